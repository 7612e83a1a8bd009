"""What a tagging did, in words: one clause per delivered entry, one warning per problem."""

from __future__ import annotations

from dvcflow.mlflow.matching import Outcome
from dvcflow.mlflow.rest import Run

PROG = "dvcflow-mlflow-tag"
RETRY_HOOK = "pre-commit run --hook-stage manual dvcflow-mlflow-retry"


def short(sha: str) -> str:
    return sha[:7]


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _run_label(run: Run) -> str:
    short = run.run_id[:8]
    return short if run.name == short else f"'{run.name}' ({short})"


def _experiments_label(outcome: Outcome) -> str:
    names = outcome.entry.get("experiments") or []
    ids = outcome.entry.get("experiment_ids") or []
    if not names and not ids:
        return "any experiment"
    labels = [f"'{n}'" for n in names] + [f"id {i}" for i in ids]
    return f"experiment{'s' if len(labels) > 1 else ''} {', '.join(labels)}"


def describe(outcome: Outcome, *, dry: bool = False) -> str:
    """One clause saying what delivering the entry did (or, `dry`, would do)."""
    entry = outcome.entry
    if entry.get("op") == "move":
        return _describe_move(outcome, dry)
    commit = short(entry["commit"])
    if outcome.no_store:
        return f"found no MLflow store at {entry['uri']}: nothing to tag for commit {commit}"
    if outcome.roots:
        runs = ", ".join(_run_label(r) for r in outcome.roots)
        nested = f" and {plural(len(outcome.nested), 'nested run')}" if outcome.nested else ""
        branch = f" on {entry['branch']}" if entry.get("branch") else ""
        label = "MLflow run" if len(outcome.roots) == 1 else "MLflow runs"
        verb = "would tag" if dry else "tagged"
        return f"{verb} {label} {runs}{nested} with commit {commit}{branch}"
    return _describe_none(outcome, commit)


def _describe_none(outcome: Outcome, commit: str) -> str:
    entry = outcome.entry
    where = _experiments_label(outcome)
    if outcome.missing_experiments and not outcome.experiment_ids:
        missing = ", ".join(f"'{n}'" for n in outcome.missing_experiments)
        return f"found no MLflow experiment {missing}: nothing to tag for commit {commit}"
    parents = ", ".join(short(p) for p in entry.get("parents", [])) or "none"
    if entry.get("match") == "since-parent":
        return (
            f"found no untagged FINISHED MLflow run in {where} started since parent "
            f"{parents}: nothing to tag for commit {commit}"
        )
    return (
        f"found no untagged FINISHED MLflow run in {where} started from parent {parents} "
        f"(or carrying the committed dvc.lock md5): nothing to tag for commit {commit}"
    )


def _describe_move(outcome: Outcome, dry: bool) -> str:
    entry = outcome.entry
    pairs = entry["pairs"]
    how = f" ({entry['rewrite']})" if entry.get("rewrite") else ""
    if not outcome.moved:
        return f"found no MLflow run tagged with the {plural(len(pairs), 'rewritten commit')}{how}"
    runs = plural(outcome.moved, "MLflow run")
    verb = "would move" if dry else "moved"
    if len(pairs) == 1:
        old, new = pairs[0]
        return f"{verb} the tags of {runs} from {short(old)} to {short(new)}{how}"
    return f"{verb} the tags of {runs} to {plural(len(pairs), 'rewritten commit')}{how}"

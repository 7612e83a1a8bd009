"""The pipeline DAG as a Mermaid `flowchart`, stages with findings highlighted by kind and the
stages downstream of them marked as affected.

One node per stage definition: the instances of a `foreach`/`matrix` stage share one node (their
count in the label). Each dvc.yaml is a subgraph when there are several. Node ids are generated
(`s0`, `s1`, ...); labels are quoted and escaped with Mermaid's entity codes, so any stage name
renders. A DAG over MAX_NODES nodes is cut to the stages with findings, those downstream of them
and their neighbours, with a note of what was left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dvcflow.reporters.dag import Dag
from dvcflow.reporters.escape import printable

MAX_NODES = 60
LISTED = 10  # stages the cut's note names
MAX_EDGES = 400  # Mermaid refuses a diagram over 500 edges (its `maxEdges`)

# kind -> (Mermaid class, what the legend and labels call it); the order is the priority when
# one node has findings of several kinds.
KINDS: dict[str, tuple[str, str]] = {
    "stale": ("stale", "stale"),
    "lock": ("lock", "inconsistent lock"),
    "deps": ("deps", "missing deps"),
    "other": ("other", "other finding"),
}
AFFECTED = "affected"
CLASS_DEFS = {
    "stale": "fill:#ffebe9,stroke:#cf222e,stroke-width:3px,color:#1f2328",
    "lock": "fill:#fff8c5,stroke:#9a6700,stroke-width:3px,color:#1f2328",
    "deps": "fill:#ddf4ff,stroke:#0969da,stroke-width:3px,color:#1f2328",
    "other": "fill:#f6f8fa,stroke:#59636e,stroke-width:3px,color:#1f2328",
    AFFECTED: "fill:#fbefff,stroke:#8250df,stroke-width:2px,stroke-dasharray:5 4,color:#1f2328",
}


@dataclass
class Node:
    id: str
    pipeline: str
    definition: str
    stages: list[int] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)  # kind -> instances with it
    affected: bool = False

    @property
    def kind(self) -> str | None:
        """The kind the node is coloured by: the first of KINDS it has (unknown ones: other)."""
        if not self.kinds:
            return None
        return next((k for k in KINDS if k in self.kinds), "other")


class Flowchart:
    text: str
    note: str | None  # what a cut left out
    classes: tuple[str, ...]  # the highlight classes it uses (for a legend)

    __slots__ = ("classes", "note", "text")

    def __init__(self, text: str, note: str | None, classes: tuple[str, ...]) -> None:
        self.text = text
        self.note = note
        self.classes = classes


def flowchart(dag: Dag, flagged: Mapping[int, Iterable[str]]) -> Flowchart:
    """The flowchart of `dag`; `flagged` maps a stage index to the kinds of its findings."""
    nodes, node_of = _nodes(dag)
    for index, kinds in flagged.items():
        node = nodes[node_of[index]]
        for kind in set(kinds):
            node.kinds[kind] = node.kinds.get(kind, 0) + 1
    for index in dag.downstream(flagged):
        nodes[node_of[index]].affected = True
    edges = sorted({(node_of[u], node_of[d]) for u, d in dag.edges if node_of[u] != node_of[d]})
    keep, note = _cut(nodes, edges)
    edges = [(u, d) for u, d in edges if u in keep and d in keep]
    if len(edges) > MAX_EDGES:
        note = (
            note + " " if note else ""
        ) + f"Only the first {MAX_EDGES} of {len(edges)} links are drawn."
        edges = edges[:MAX_EDGES]
    classes = _classes(nodes, keep)
    return Flowchart(_text(dag, nodes, keep, edges, classes), note, tuple(classes))


def _nodes(dag: Dag) -> tuple[list[Node], dict[int, int]]:
    nodes: list[Node] = []
    by_key: dict[tuple[str, str], int] = {}
    node_of: dict[int, int] = {}
    for index, stage in enumerate(dag.stages):
        key = (stage.pipeline, stage.definition)
        if key not in by_key:
            by_key[key] = len(nodes)
            nodes.append(Node(f"s{len(nodes)}", stage.pipeline, stage.definition))
        nodes[by_key[key]].stages.append(index)
        node_of[index] = by_key[key]
    return nodes, node_of


def _cut(nodes: list[Node], edges: list[tuple[int, int]]) -> tuple[set[int], str | None]:
    every = set(range(len(nodes)))
    if len(nodes) <= MAX_NODES:
        return every, None
    marked = {i for i, n in enumerate(nodes) if n.kinds or n.affected}
    if not marked:
        keep = set(range(MAX_NODES))
        return keep, _left_out(nodes, keep, f"the first {len(keep)} stages")
    neighbours = {d for u, d in edges if u in marked} | {u for u, d in edges if d in marked}
    keep = marked | neighbours
    what = "the stages with findings, those downstream of them and their neighbours"
    if len(keep) > MAX_NODES:
        keep, what = marked, "the stages with findings and those downstream of them"
    if len(keep) > MAX_NODES:
        keep = set(sorted(marked)[:MAX_NODES])
        what = f"the first {MAX_NODES} stages with findings or downstream of them"
    return keep, _left_out(nodes, keep, what)


def _left_out(nodes: list[Node], keep: set[int], what: str) -> str:
    hidden = [n.definition for i, n in enumerate(nodes) if i not in keep]
    names = ", ".join(hidden[:LISTED]) + (
        f" and {len(hidden) - LISTED} more" if len(hidden) > LISTED else ""
    )
    return (
        f"The DAG has {len(nodes)} stages (a foreach/matrix counted once); it shows {what}. "
        f"Left out ({len(hidden)}): {names}."
    )


def _text(
    dag: Dag,
    nodes: list[Node],
    keep: set[int],
    edges: list[tuple[int, int]],
    classes: dict[str, list[str]],
) -> str:
    lines = ["flowchart LR"]
    by_pipeline: dict[str, list[int]] = defaultdict(list)
    for i in sorted(keep):
        by_pipeline[nodes[i].pipeline].append(i)
    several = len(by_pipeline) > 1
    for p, (pipeline, members) in enumerate(by_pipeline.items()):
        indent = "    " if several else "  "
        if several:
            lines.append(f'  subgraph p{p}["{label(pipeline)}"]')
            lines.append("    direction LR")
        lines.extend(f'{indent}{nodes[i].id}["{label(_caption(dag, nodes[i]))}"]' for i in members)
        if several:
            lines.append("  end")
    lines.extend(f"  {nodes[u].id} --> {nodes[d].id}" for u, d in edges)
    lines.extend(f"  classDef {name} {CLASS_DEFS[name]}" for name in classes)
    lines.extend(f"  class {','.join(ids)} {name}" for name, ids in classes.items())
    return "\n".join(lines) + "\n"


def _caption(dag: Dag, node: Node) -> str:
    count = len(node.stages)
    name = dag.stages[node.stages[0]].name if count == 1 else f"{node.definition}@…"
    parts = [f"{count} instances"] if count > 1 else []
    for kind in sorted(node.kinds, key=_priority):
        instances = node.kinds[kind]
        what = KINDS.get(kind, KINDS["other"])[1]
        parts.append(f"{what} ({instances})" if count > 1 else what)
    if node.affected and not node.kinds:
        parts.append("affected")
    return name + (f" · {', '.join(parts)}" if parts else "")


def _priority(kind: str) -> int:
    order = list(KINDS)
    return order.index(kind) if kind in order else len(order)


def _classes(nodes: list[Node], keep: set[int]) -> dict[str, list[str]]:
    """Highlight class -> the ids of the nodes in it, in the legend's order."""
    members: dict[str, list[str]] = defaultdict(list)
    for i in sorted(keep):
        node = nodes[i]
        kind = node.kind
        if kind is not None:
            members[KINDS.get(kind, KINDS["other"])[0]].append(node.id)
        elif node.affected:
            members[AFFECTED].append(node.id)
    return {name: members[name] for name in CLASS_DEFS if name in members}


# Mermaid decodes `#name;` and `#code;` in labels; these characters would otherwise end the
# quoted label, start an entity or HTML, turn the label into a Markdown string, or (`%%{...}%%`,
# read anywhere in the text before parsing) a directive that reconfigures the diagram.
_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
    "%": "#37;",
}


def label(text: str) -> str:
    """`text` for a quoted Mermaid label (`id["..."]`; Mermaid refuses an empty one)."""
    return "".join(_ENTITIES.get(char, char) for char in printable(text)) or "(no name)"

"""Entry points called by pre-commit, git and CI. Thin: parse, build the context, report, exit."""

"""DVF2 (hook `dvcflow-stale`): the workspace's outputs are up to date, as `dvc status` judges."""

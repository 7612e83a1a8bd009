"""DVF3 (hook `dvcflow-lock`): params, dvc.lock, `.dvc` files and code are committed together."""

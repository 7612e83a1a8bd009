"""DVF1 (hook `dvcflow-deps`): each stage declares what it runs, imports and reads."""

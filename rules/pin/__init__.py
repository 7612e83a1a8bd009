"""DVF4 (hook `dvcflow-pin`): the DVC version and its plugins are pinned exactly."""

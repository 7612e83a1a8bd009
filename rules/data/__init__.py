"""DVF5: data lives where DVC expects it.

`dvcflow-pushed` (pre-push) checks that the pushed commits' data is on its DVC remote
(DVF501); `dvcflow-data` (pre-commit) checks the commit for DVC outputs and large data
committed to Git and for remote credentials in `.dvc/config` (DVF502-504).
"""

"""DVF1 scope (pre-commit mode) and no false positive on a pipeline modelled on DVC's
get-started example.
"""

from __future__ import annotations

from ...conftest import Repo
from .conftest import codes, findings, ml_repo, project, staged


def test_pre_commit_scope(repo: Repo) -> None:
    ml_repo(
        repo,
        "stages:\n  train:\n    cmd: python src/train.py\n    params:\n    - train.lr\n"
        "  other:\n    cmd: python other.py\n    deps:\n    - other.py\n",
    )
    repo.write("other.py", "")
    repo.add()
    repo.commit("legacy pipeline with findings")
    staged(repo, ("README.md", "hello\n"))
    assert findings(repo, "--select", "DVF1") == []  # an unrelated commit is not blocked
    assert len(findings(repo, "--all", "--select", "DVF1")) == 4

    staged(repo, ("src/utils.py", "def helper(): return 1\n"))  # an imported module
    assert codes(findings(repo, "--select", "DVF1")) == [
        ("DVF101", "src/train.py"),
        ("DVF102", "src/models/layers.py"),
        ("DVF102", "src/models/net.py"),
        ("DVF102", "src/utils.py"),
    ]
    repo.git("checkout", "-q", "HEAD", "--", "src/utils.py")
    staged(repo, ("other.py", "print(1)\n"))  # the other stage's script: nothing to report
    assert findings(repo, "--select", "DVF1") == []
    staged(repo, ("params.yaml", "train:\n  learning_rate: 0.1\n"))  # a params file
    assert ("DVF103", "params.yaml:train.lr") in codes(findings(repo, "--select", "DVF1"))


GET_STARTED_DVC_YAML = """\
stages:
  prepare:
    cmd: python src/prepare.py data/data.xml
    deps:
    - data/data.xml
    - src/prepare.py
    params:
    - prepare.seed
    - prepare.split
    outs:
    - data/prepared
  featurize:
    cmd: python src/featurization.py data/prepared data/features
    deps:
    - data/prepared
    - src/featurization.py
    params:
    - featurize.max_features
    - featurize.ngrams
    outs:
    - data/features
  train:
    cmd: python src/train.py data/features model.pkl
    deps:
    - data/features
    - src/train.py
    params:
    - train.min_split
    - train.n_est
    - train.seed
    outs:
    - model.pkl
  evaluate:
    cmd: python src/evaluate.py model.pkl data/features
    deps:
    - data/features
    - model.pkl
    - src/evaluate.py
    outs:
    - eval
metrics:
- eval/metrics.json
plots:
- eval/plots/images/importance.png
"""
GET_STARTED_PARAMS = """\
prepare:
  split: 0.20
  seed: 20170428

featurize:
  max_features: 200
  ngrams: 2

train:
  seed: 20170428
  n_est: 50
  min_split: 0.01
"""
IMPORTS = {
    "src/prepare.py": "import os\nimport random\nimport re\nimport sys\n"
    "import xml.etree.ElementTree\nimport yaml\n",
    "src/featurization.py": "import os\nimport pickle\nimport sys\n\nimport numpy as np\n"
    "import pandas as pd\nimport scipy.sparse as sparse\nimport yaml\n"
    "from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer\n",
    "src/train.py": "import os\nimport pickle\nimport sys\n\nimport numpy as np\nimport yaml\n"
    "from sklearn.ensemble import RandomForestClassifier\n",
    "src/evaluate.py": "import json\nimport math\nimport os\nimport pickle\nimport sys\n\n"
    "import pandas as pd\nfrom sklearn import metrics\nfrom sklearn import tree\n"
    "from dvclive import Live\nfrom matplotlib import pyplot as plt\n",
}


def test_no_false_positive_on_the_get_started_pipeline(repo: Repo) -> None:
    project(repo)
    staged(
        repo,
        ("dvc.yaml", GET_STARTED_DVC_YAML),
        ("params.yaml", GET_STARTED_PARAMS),
        (
            "data/data.xml.dvc",
            "outs:\n- md5: 22a1a2931c8370d3aeedd7183606fd7f\n  size: 14445097\n"
            "  hash: md5\n  path: data.xml\n",
        ),
        ("data/.gitignore", "/data.xml\n/prepared\n/features\n"),
        ("src/requirements.txt", "dvc\nscikit-learn\n"),
        *IMPORTS.items(),
    )
    assert findings(repo, "--all", "--select", "DVF1") == []
    code, out = repo.check("--all", "--select", "DVF1")
    assert code == 0, out


TWO_STAGES = """\
vars: [params.yaml]
stages:
  a:
    cmd: python src/a.py
    deps: [src/a.py]
  b:
    cmd: python src/b.py
    deps: [src/b.py]
"""


def test_one_stage_edited_leaves_the_others_out_of_scope(repo: Repo) -> None:
    """Pre-commit mode's scope for DVF1: a stage is judged when the commit changes its definition
    or a file it reads, not whenever its dvc.yaml changes. An edit of one stage (the dep the fix
    adds) does not bring the file's other stages, with their old findings, into the next round."""
    project(repo)
    staged(
        repo,
        ("dvc.yaml", TWO_STAGES),
        ("params.yaml", "seed: 1\n"),
        ("src/a.py", "import util\n"),
        ("src/b.py", "import util\n"),
        ("src/util.py", ""),
    )
    repo.commit("a and b both miss src/util.py")
    staged(repo, ("src/helper.py", ""), ("src/a.py", "import util\nimport helper\n"))
    found = findings(repo, "--select", "DVF1")
    assert codes(found) == [("DVF102", "src/helper.py"), ("DVF102", "src/util.py")]
    assert {f["stage"] for f in found} == {"a"}

    code, _ = repo.check("--fix-only", "--stage-fixes", "--select", "DVF1")
    assert code == 0
    assert findings(repo, "--select", "DVF1") == []  # b's old finding stays out of scope
    assert "src/util.py" not in repo.git("show", ":dvc.yaml").split("b:")[1]
    assert len(findings(repo, "--all", "--select", "DVF1")) == 1  # (it is still there for --all)

    repo.commit("a fixed")
    repo.write("dvc.yaml", repo.read("dvc.yaml").replace("vars: [params.yaml]", "vars: []"))
    repo.add("dvc.yaml")
    shared = findings(repo, "--select", "DVF1")  # a change every stage shares
    assert {f["stage"] for f in shared} == {"b"}

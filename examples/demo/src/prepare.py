"""Split the raw ratings into train and test sets."""

import csv
import sys
from pathlib import Path

import yaml

params = yaml.safe_load(open("params.yaml"))["prepare"]
source, target = sys.argv[1], Path(sys.argv[2])
rows = list(csv.reader(open(source)))
header, rows = rows[0], rows[1:]
cut = int(len(rows) * (1 - params["split"]))
target.mkdir(parents=True, exist_ok=True)
for name, part in (("train.csv", rows[:cut]), ("test.csv", rows[cut:])):
    with open(target / name, "w", newline="") as handle:
        csv.writer(handle).writerows([header, *part])

"""Fit a one-weight linear model with gradient descent."""

import csv
import json
import sys

import yaml

from features import features, label

params = yaml.safe_load(open("params.yaml"))["train"]
rows = list(csv.reader(open(f"{sys.argv[1]}/train.csv")))[1:]
weight = 0.0
for _ in range(params["epochs"]):
    for row in rows:
        x, y = features(row)[0], label(row)
        weight -= params["lr"] * (weight * x - y) * x
json.dump({"weight": weight}, open(sys.argv[2], "w"))

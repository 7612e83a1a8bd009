"""Mean squared error of the model on the test split."""

import csv
import json
import sys

from features import features, label

model = json.load(open(sys.argv[1]))
rows = list(csv.reader(open(f"{sys.argv[2]}/test.csv")))[1:]
errors = [(model["weight"] * features(r)[0] - label(r)) ** 2 for r in rows]
json.dump({"mse": sum(errors) / len(errors)}, open("metrics.json", "w"))

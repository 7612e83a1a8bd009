"""Render the metrics as a Markdown report."""

import json
import sys

metrics = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as out:
    out.write("| metric | value |\n|---|---|\n")
    out.writelines(f"| {k} | {v:.4f} |\n" for k, v in metrics.items())

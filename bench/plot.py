#!/usr/bin/python3
"""bench/plot.py CSV PNG: a bar chart of the bench table: skiff/QEMU ratio per metric (log
scale, 1.0 = parity), coloured by whether the goal is met; absolute medians in the labels."""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["ratio_skiff_qemu"]]
if not rows:
    sys.exit("no ratios in " + sys.argv[1])
names = [f'{r["metric"]}\nQEMU {r["qemu_median"]} / skiff {r["skiff_median"]}' for r in rows]
ratios = [float(r["ratio_skiff_qemu"]) for r in rows]
colors = [{"yes": "tab:green", "no": "tab:red"}.get(r["meets_goal"], "tab:gray") for r in rows]
fig, ax = plt.subplots(figsize=(9, 0.55 * len(rows) + 1.5))
y = range(len(rows))
ax.barh(y, ratios, color=colors)
ax.set_yticks(list(y))
ax.set_yticklabels(names, fontsize=7)
ax.invert_yaxis()
ax.axvline(1.0, color="black", linewidth=0.8)
ax.set_xscale("log")
ax.set_xlabel("skiff / QEMU (green: goal met, red: not met, grey: no goal)")
ax.set_title("skiff vs QEMU 7.2 in the nested lab (" + sys.argv[1].rsplit("/", 1)[-1] + ")")
for i, r in enumerate(ratios):
    ax.text(r, i, f" {r:.2f}", va="center", fontsize=7)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)

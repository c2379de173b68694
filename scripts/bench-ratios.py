#!/usr/bin/env python3
"""Prints the ratio tables of BENCHMARKS.md from criterion's last run.

Reads the median of every benchmark from
target/criterion/<group>/<function>/<input>/new/estimates.json (written by
`cargo bench`) and prints, as Markdown:

- the targets: ours / baseline for each comparison of issue 6, and whether
  the target is met;
- the scaling tables: time per member and per byte, and the time to reject
  hostile headers.

Usage: scripts/bench-ratios.py [path/to/target/criterion]
Exits with status 1 if a benchmark it needs has not been run.
"""

import json
import os
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")

SCHEMAS = ["small", "representative", "large", "representative_merge_8"]
WIRE = ["5_members", "64_members", "8_KiB"]
E2E = ["small", "representative", "large", "representative_plus_8"]

# (group, ours, baseline, inputs, target, what the baseline is)
COMPARISONS = [
    ("attach", "typed", "hand", SCHEMAS, 1.0, "hand-written"),
    ("attach", "typed", "floor", SCHEMAS, 1.3, "bare floor"),
    ("read", "typed", "hand", SCHEMAS[:3], 1.0, "hand-written"),
    ("read", "typed", "floor", SCHEMAS[:3], 1.3, "bare floor"),
    ("extract", "typed_baggage", "opentelemetry_sdk", WIRE, 1.0, "SDK propagator"),
    ("inject", "typed_baggage", "opentelemetry_sdk", WIRE, 1.0, "SDK propagator"),
    ("end_to_end", "typed", "sdk_hand", E2E, 0.5, "SDK extract + hand decode"),
]

missing = []


def median(group, function, value):
    """The median time in nanoseconds, or None if not run."""
    path = os.path.join(ROOT, group, function, str(value), "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]
    except FileNotFoundError:
        missing.append(f"{group}/{function}/{value}")
        return None


def fmt_time(ns):
    if ns is None:
        return "not run"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def targets():
    print("| group | input | ours | baseline | ours / baseline | target | met |")
    print("|---|---|---:|---:|---:|---:|:---:|")
    unmet = 0
    for group, ours, base, inputs, target, what in COMPARISONS:
        for value in inputs:
            a, b = median(group, ours, value), median(group, base, value)
            if a is None or b is None:
                continue
            ratio = a / b
            met = ratio <= target
            unmet += not met
            print(
                f"| {group} | {value} | {fmt_time(a)} | {fmt_time(b)} ({what}) "
                f"| **{ratio:.2f}** | ≤ {target} | {'yes' if met else 'NO'} |"
            )
    return unmet


def scaling():
    print()
    print("Time per member (`scaling_members`, 16-byte values):")
    print()
    counts = [1, 2, 4, 8, 16, 32, 64]
    fns = ["extract", "inject", "attach_merge"]
    print("| members | " + " | ".join(f"{f} / member" for f in fns) + " |")
    print("|---:|" + "---:|" * len(fns))
    for n in counts:
        cells = []
        for f in fns:
            if f == "attach_merge" and n <= 6:
                cells.append("")
                continue
            t = median("scaling_members", f, n)
            cells.append(fmt_time(t / n if t is not None else None))
        print(f"| {n} | " + " | ".join(cells) + " |")

    print()
    print("Time per byte of header (`scaling_bytes`, extract, 8 members):")
    print()
    print("| header | extract | per byte |")
    print("|---:|---:|---:|")
    for size in [100, 256, 512, 1024, 2048, 4096, 8192]:
        t = median("scaling_bytes", "extract", size)
        per = f"{t / size:.2f} ns" if t is not None else "not run"
        print(f"| {size} B | {fmt_time(t)} | {per} |")

    print()
    print("Hostile headers, rejected whole (`hostile`, extract):")
    print()
    print("| size | one header | in 8 KiB headers |")
    print("|---:|---:|---:|")
    for kib in [16, 64, 256, 1024]:
        a = median("hostile", "one_header", kib)
        b = median("hostile", "many_headers", kib)
        print(f"| {kib} KiB | {fmt_time(a)} | {fmt_time(b)} |")
    t = median("hostile", "members_8KiB", 2048)
    print(f"| 8 KiB of 2048 members | {fmt_time(t)} | |")


def main():
    unmet = targets()
    scaling()
    if missing:
        print("\nnot run: " + ", ".join(missing), file=sys.stderr)
        sys.exit(1)
    print(f"\n{unmet} target(s) not met.", file=sys.stderr)


main()

#!/usr/bin/env python3
"""The ratio tables of BENCHMARKS.md.

Three modes:

  scripts/bench-ratios.py [--rounds DIR]
      Reads the median of every benchmark of criterion's last run
      (target/criterion/<group>/<function>/<input>/new/estimates.json) and
      prints the targets table (ours / baseline, target, met) and the
      scaling tables. With --rounds, reads instead every round saved in DIR
      by `--save DIR` and reports, for each comparison, the median of the
      per-round ratios and their range.

  scripts/bench-ratios.py --save DIR
      Copies the medians of criterion's last run into DIR/round-N.json, so
      that several runs of `cargo bench` (interleaved with whatever else the
      machine does) can be combined.

  scripts/bench-ratios.py --instructions
      Runs every operation of benches/instructions.rs under valgrind's
      callgrind and prints instructions per call and the same ratios. The
      counts do not depend on the machine's load.

Exits with status 1 if a benchmark it needs is missing.
"""

import glob
import json
import os
import statistics
import subprocess
import sys

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CRITERION = os.path.join(REPO, "target", "criterion")

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


def criterion_medians():
    """{"group/function/input": median ns} of criterion's last run."""
    out = {}
    pattern = os.path.join(CRITERION, "*", "*", "*", "new", "estimates.json")
    for path in glob.glob(pattern):
        rel = os.path.relpath(path, CRITERION).split(os.sep)
        with open(path) as f:
            out["/".join(rel[:3])] = json.load(f)["median"]["point_estimate"]
    return out


def fmt_time(ns):
    if ns is None:
        return "not run"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def fmt_count(n):
    return "not run" if n is None else f"{n:,.0f}"


def get(rounds, name):
    """The values of `name` in every round (missing ones noted)."""
    values = [r[name] for r in rounds if name in r]
    if not values:
        missing.append(name)
    return values


def targets(rounds, fmt, unit):
    """Prints the targets table; returns how many targets are missed."""
    several = len(rounds) > 1
    spread = " | range over rounds" if several else ""
    print(f"| group | input | ours ({unit}) | baseline ({unit}) | ours / baseline{spread} | target | met |")
    print("|---|---|---:|---:|---:|" + ("---:|" if several else "") + "---:|:---:|")
    unmet = 0
    for group, ours, base, inputs, target, what in COMPARISONS:
        for value in inputs:
            a = get(rounds, f"{group}/{ours}/{value}")
            b = get(rounds, f"{group}/{base}/{value}")
            pairs = [r for r in rounds if f"{group}/{ours}/{value}" in r and f"{group}/{base}/{value}" in r]
            if not pairs:
                continue
            ratios = [r[f"{group}/{ours}/{value}"] / r[f"{group}/{base}/{value}"] for r in pairs]
            ratio = statistics.median(ratios)
            met = ratio <= target
            unmet += not met
            rng = f" | {min(ratios):.2f}–{max(ratios):.2f}" if several else ""
            print(
                f"| {group} | {value} | {fmt(statistics.median(a))} "
                f"| {fmt(statistics.median(b))} ({what}) "
                f"| **{ratio:.2f}**{rng} | ≤ {target} | {'yes' if met else 'NO'} |"
            )
    return unmet


def scaling(rounds):
    def med(name):
        values = get(rounds, name)
        return statistics.median(values) if values else None

    print()
    print("Time per member (`scaling_members`, 16-byte values):")
    print()
    fns = ["extract", "inject", "attach_merge"]
    print("| members | " + " | ".join(f"{f} / member" for f in fns) + " |")
    print("|---:|" + "---:|" * len(fns))
    for n in [1, 2, 4, 8, 16, 32, 64]:
        cells = []
        for f in fns:
            if f == "attach_merge" and n <= 6:
                cells.append("")
                continue
            t = med(f"scaling_members/{f}/{n}")
            cells.append(fmt_time(t / n if t is not None else None))
        print(f"| {n} | " + " | ".join(cells) + " |")

    print()
    print("Time per byte of header (`scaling_bytes`, extract, 8 members):")
    print()
    print("| header | extract | per byte |")
    print("|---:|---:|---:|")
    for size in [100, 256, 512, 1024, 2048, 4096, 8192]:
        t = med(f"scaling_bytes/extract/{size}")
        per = f"{t / size:.2f} ns" if t is not None else "not run"
        print(f"| {size} B | {fmt_time(t)} | {per} |")

    print()
    print("Hostile headers, rejected whole (`hostile`, extract):")
    print()
    print("| size | one header | in 8 KiB headers |")
    print("|---:|---:|---:|")
    for kib in [16, 64, 256, 1024]:
        a = med(f"hostile/one_header/{kib}")
        b = med(f"hostile/many_headers/{kib}")
        print(f"| {kib} KiB | {fmt_time(a)} | {fmt_time(b)} |")
    t = med("hostile/members_8KiB/2048")
    print(f"| 8 KiB of 2048 members | {fmt_time(t)} | |")


def instructions():
    """{"group/function/input": instructions per call}, from callgrind."""
    built = subprocess.run(
        ["cargo", "bench", "--bench", "instructions", "--no-run", "--message-format=json"],
        cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout
    exe = next(
        m["executable"]
        for m in map(json.loads, built.splitlines())
        if m.get("reason") == "compiler-artifact" and m.get("executable")
        and m["target"]["name"] == "instructions"
    )
    listed = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    ops = [line.strip() for line in listed.splitlines()[1:] if line.strip()]
    n = int(os.environ.get("ITERATIONS", "2000"))

    def count(op, iterations):
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", exe, op, str(iterations)],
            check=True, capture_output=True, text=True,
        )
        line = next(l for l in run.stderr.splitlines() if "Collected" in l)
        return int(line.split()[-1])

    out = {}
    for op in ops:
        # The setup is the same with 0 iterations: the difference is the op's.
        out[op] = (count(op, n) - count(op, 0)) / n
        print(f"  {op}: {out[op]:,.0f}", file=sys.stderr)
    return out


def main():
    args = sys.argv[1:]
    if args[:1] == ["--save"]:
        os.makedirs(args[1], exist_ok=True)
        k = len(glob.glob(os.path.join(args[1], "round-*.json")))
        path = os.path.join(args[1], f"round-{k + 1}.json")
        with open(path, "w") as f:
            json.dump(criterion_medians(), f, indent=1, sort_keys=True)
        print(path)
        return
    if args[:1] == ["--instructions"]:
        counts = instructions()
        unmet = targets([counts], fmt_count, "instructions")
    else:
        if args[:1] == ["--rounds"]:
            rounds = []
            for path in sorted(glob.glob(os.path.join(args[1], "round-*.json"))):
                with open(path) as f:
                    rounds.append(json.load(f))
            print(f"{len(rounds)} rounds; each ratio is the median of the rounds' ratios.\n")
        else:
            rounds = [criterion_medians()]
        unmet = targets(rounds, fmt_time, "median")
        scaling(rounds)
    if missing:
        print("\nnot run: " + ", ".join(sorted(set(missing))), file=sys.stderr)
        sys.exit(1)
    print(f"\n{unmet} target(s) not met.", file=sys.stderr)


main()

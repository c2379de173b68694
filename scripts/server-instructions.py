#!/usr/bin/env python3
"""Server-thread instructions per request over loopback (issue 19).

Runs benches/server.rs under valgrind's callgrind with one thread file per
thread (--separate-threads=yes), twice, with two request counts, and
prints for each service the user-space instructions its thread spends per
request: the difference of the two runs' thread totals over the
difference of their requests, so that the thread's start (runtime, socket,
first page-ins) cancels out. Unlike time, the counts do not move with the
machine's load; unlike the benchmark's own CPU figures they leave out the
kernel (the loopback TCP stack), which is the same work for every service.

Then the in-process path the layer takes (extract into a context, then
`from_context`, as benches/instructions.rs's
`server_path/typed/representative`) and its hand-written counterpart, the
same way (0 and N calls), for the "within 1.3x of its in-process cost"
comparison: run by the same binary (`server --in-process typed|hand N`),
so that both sides have the same layout.

  scripts/server-instructions.py [--requests N1,N2] [--in-flight K]

Needs valgrind. Builds the server benchmark in release first.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

# The order benches/server.rs starts its service threads in (each waits
# for the one before to be listening), after the main thread (the client).
SERVICES = ["none", "layer", "layer_typed", "hand"]


def bench_exe(name, features):
    """Builds benches/<name>.rs in release and returns its executable."""
    out = subprocess.run(
        ["cargo", "bench", "--bench", name, "--features", features, "--no-run",
         "--message-format=json"],
        cwd=REPO, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == name \
                and msg.get("executable"):
            return msg["executable"]
    sys.exit(f"no executable for the {name} benchmark")


def callgrind(args, separate_threads):
    """{thread number: instructions} of one run under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        if separate_threads:
            cmd.append("--separate-threads=yes")
        run = subprocess.run(cmd + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        if run.returncode != 0:
            sys.exit(f"{' '.join(args)} failed under valgrind:\n{run.stderr[-2000:]}")
        counts = {}
        for path in glob.glob(out + "*"):
            text = open(path).read()
            thread = re.search(r"^thread: (\d+)$", text, re.M)
            total = re.search(r"^totals: (\d+)$", text, re.M)
            if total is None:
                continue  # the file callgrind writes before the threads' own
            counts[int(thread.group(1)) if thread else 1] = int(total.group(1))
        return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", default="400,2400",
                        help="the two request counts per service (default 400,2400)")
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--calls", type=int, default=2000,
                        help="in-process calls (default 2000)")
    args = parser.parse_args()
    n1, n2 = (int(n) for n in args.requests.split(","))

    server = bench_exe("server", "tower,axum")
    runs = []
    for n in (n1, n2):
        counts = callgrind([server, "1", str(n), str(args.in_flight)], True)
        if sorted(counts) != list(range(1, len(SERVICES) + 2)):
            sys.exit(f"expected {len(SERVICES) + 1} threads, found {sorted(counts)}")
        # One round of n requests, after a warm-up of n / 4 + 1.
        runs.append((n + n // 4 + 1, counts))
    (r1, c1), (r2, c2) = runs
    per_request = {
        name: (c2[i + 2] - c1[i + 2]) / (r2 - r1) for i, name in enumerate(SERVICES)
    }

    # The in-process path in the same binary as the services: where the
    # linker puts OpenTelemetry's key-check table differs from one binary
    # to another and moves the cost of every insert
    # (scripts/otel-key-table.py), so a comparison across binaries would
    # measure the layout.
    def per_call(path):
        zero = callgrind([server, "--in-process", path, "0"], False)[1]
        many = callgrind([server, "--in-process", path, str(args.calls)], False)[1]
        return (many - zero) / args.calls

    inproc = {op: per_call(path) for op, path in (("typed", "typed"), ("sdk_hand", "hand"))}

    table = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "otel-key-table.py"),
                            server], capture_output=True, text=True)
    print(f"OpenTelemetry's key-check {table.stdout.strip() or table.stderr.strip()}")
    floor = per_request["none"]
    print(f"server-thread user-space instructions per request, {n2 - n1} requests "
          f"({r1} and {r2} per service), {args.in_flight} in flight")
    print(f"{'service':<12} {'per request':>12} {'added':>10}")
    for name in SERVICES:
        print(f"{name:<12} {per_request[name]:>12,.0f} {per_request[name] - floor:>10,.0f}")
    added = {name: per_request[name] - floor for name in SERVICES}
    print()
    print(f"added, layer_typed / hand: {added['layer_typed'] / added['hand']:.2f} (target <= 0.7)")
    print(f"added, layer / hand: {added['layer'] / added['hand']:.2f}")
    print(f"in process (server --in-process, as server_path/typed/representative): "
          f"{inproc['typed']:,.0f}; "
          f"sdk_hand: {inproc['sdk_hand']:,.0f} (ratio {inproc['typed'] / inproc['sdk_hand']:.2f})")
    print(f"layer_typed added / its in-process cost: {added['layer_typed'] / inproc['typed']:.2f} "
          f"(target <= 1.3); hand added / its in-process cost: "
          f"{added['hand'] / inproc['sdk_hand']:.2f}")
    print(f"outside the in-process work, per request: layer_typed "
          f"{added['layer_typed'] - inproc['typed']:,.0f}, hand "
          f"{added['hand'] - inproc['sdk_hand']:,.0f}")


if __name__ == "__main__":
    main()

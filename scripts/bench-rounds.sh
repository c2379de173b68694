#!/usr/bin/env bash
# Runs `cargo bench` (every group) ROUNDS times and prints the ratio tables
# of BENCHMARKS.md, each ratio the median of the rounds' ratios: on a shared
# machine, the load changes while a round runs, and repeating the rounds
# spreads that over both sides of every comparison.
#
# Usage: scripts/bench-rounds.sh [ROUNDS] [criterion options...]
# e.g.   scripts/bench-rounds.sh 3 --warm-up-time 1 --measurement-time 3
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
shift || true
dir=target/bench-rounds
rm -rf "$dir"
cargo bench --no-run --quiet
for i in $(seq "$rounds"); do
  echo "round $i of $rounds" >&2
  cargo bench --quiet -- "$@" > "$dir.log" 2>&1 || { tail -20 "$dir.log"; exit 1; }
  python3 scripts/bench-ratios.py --save "$dir" >&2
done
python3 scripts/bench-ratios.py --rounds "$dir"

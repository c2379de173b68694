#!/usr/bin/env bash
# Runs each fuzz target of typed-baggage for a given time.
#
#   scripts/fuzz.sh SECONDS [TARGET...]     (default: every target, one after the other)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). The targets need
# nightly compiler flags; on a stable toolchain RUSTC_BOOTSTRAP=1 allows them.
# Each target starts from its committed seeds (fuzz/seeds/TARGET, taken from
# the conformance cases) and keeps what it finds in fuzz/corpus/TARGET (not
# committed). A crash leaves its input in fuzz/artifacts/TARGET and makes the
# script fail; reproduce it with `cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...`.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}
shift
if [ $# -eq 0 ]; then
  set -- $(cargo fuzz list)
fi
export RUSTC_BOOTSTRAP=1
# Inputs up to 12 000 bytes: past the 8192-byte header limit. An input that
# takes 10 s, or one allocation over 256 MiB, is a failure too.
flags=(-max_len=12000 -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=256 -print_final_stats=1)

cargo fuzz build
status=0
for target in "$@"; do
  mkdir -p "corpus/$target"
  log=$(mktemp)
  echo "==> fuzz $target for ${seconds}s"
  if cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- \
      -max_total_time="$seconds" "${flags[@]}" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
    grep -v "^\s*\[" "$log" | cut -c1-300 | tail -n 40
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  echo "    $target: $result, $runs executions in ${seconds}s, corpus $(ls "corpus/$target" | wc -l) inputs"
  rm -f "$log"
done
exit $status

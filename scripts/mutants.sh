#!/usr/bin/env bash
# Mutation testing of the modules that hold the rules, one module at a time
# (TESTING.md has the scores). Needs cargo-mutants
# (`cargo install cargo-mutants --locked`).
#
#   scripts/mutants.sh rules          baggage-rules: key, size, secret (2 minutes)
#   scripts/mutants.sh derive         the derive's checks (valid.rs) against
#                                     its unit tests, which run the trybuild
#                                     corpus's derive errors (4 minutes)
#   scripts/mutants.sh core FILE      a baggage-core module against its unit
#                                     tests (a first build of every
#                                     dependency, then about 6 s a mutant)
#   scripts/mutants.sh again FILE TEST...
#                                     the survivors of `core FILE` only,
#                                     against the unit tests and the
#                                     integration tests named (tests/TEST.rs
#                                     of the root crate); about a minute a
#                                     mutant
#   scripts/mutants.sh score FILE     caught / viable over both passes
#
# Results go to target/mutants/<name>/mutants.out (caught.txt, missed.txt,
# and previously_caught.txt after `again`).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/mutants

what=${1:?usage: scripts/mutants.sh rules | derive | core FILE | again FILE TEST... | score FILE}
shift
out() { echo "target/mutants/core-${1%.rs}"; }
case "$what" in
  rules)
    cargo mutants -p baggage-rules --test-package baggage-rules -j 2 \
      -o target/mutants/rules -- --lib
    ;;
  derive)
    cargo mutants -p baggage-derive --test-package baggage-derive -j 2 \
      -f baggage-derive/src/valid.rs -o target/mutants/derive-valid -- --lib
    ;;
  core)
    file=${1:?usage: scripts/mutants.sh core FILE}
    cargo mutants -p baggage-core --test-package baggage-core -j 2 \
      -f "baggage-core/src/$file" -o "$(out "$file")" -- --lib
    ;;
  again)
    file=${1:?usage: scripts/mutants.sh again FILE TEST...}
    shift
    [ $# -gt 0 ] || { echo "name the integration tests (tests/NAME.rs)" >&2; exit 2; }
    tests=()
    for t in "$@"; do tests+=(--test "$t"); done
    dir="$(out "$file")"
    # Keep the first pass's verdicts: `--iterate` folds caught and unviable
    # into one previously_caught.txt.
    if [ ! -f "$dir/first-caught.txt" ]; then
      cp "$dir/mutants.out/caught.txt" "$dir/first-caught.txt"
      cp "$dir/mutants.out/unviable.txt" "$dir/first-unviable.txt"
    fi
    cargo mutants -p baggage-core --test-package baggage-core --test-package typed-baggage \
      --all-features -j 2 --iterate -f "baggage-core/src/$file" -o "$(out "$file")" \
      -- --lib "${tests[@]}"
    ;;
  score)
    file=${1:?usage: scripts/mutants.sh score FILE}
    dir="$(out "$file")"
    count() { [ -f "$1" ] && grep -c . "$1" || true; }
    if [ -f "$dir/first-caught.txt" ]; then
      caught=$(( $(count "$dir/first-caught.txt") + $(count "$dir/mutants.out/caught.txt") ))
      unviable=$(count "$dir/first-unviable.txt")
    else
      caught=$(count "$dir/mutants.out/caught.txt")
      unviable=$(count "$dir/mutants.out/unviable.txt")
    fi
    missed=$(count "$dir/mutants.out/missed.txt")
    timeout=$(count "$dir/mutants.out/timeout.txt")
    # A mutant that makes the tests hang is detected: the suite does not
    # pass with it (as PIT and Stryker count it).
    viable=$(( caught + missed + timeout ))
    detected=$(( caught + timeout ))
    echo "$file: $viable viable ($unviable unviable), caught $caught, timed out $timeout, missed $missed: $(( 1000 * detected / viable / 10 )).$(( 1000 * detected / viable % 10 )) %"
    ;;
  *)
    echo "unknown target $what: rules | derive | core FILE | again FILE TEST... | score FILE" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Mutation testing of the modules that hold the rules (TESTING.md has the
# scores). Needs cargo-mutants (`cargo install cargo-mutants --locked`).
#
#   scripts/mutants.sh rules     baggage-rules: key, size, secret, against
#                                its unit tests (2 minutes)
#   scripts/mutants.sh derive    the derive's checks (valid.rs) against its
#                                unit tests, which run the trybuild
#                                corpus's derive errors (4 minutes)
#   scripts/mutants.sh core      baggage-core's rule modules (CORE_FILES)
#                                against its unit tests (about 6 s a mutant)
#   scripts/mutants.sh again     the survivors of `core` only, against the
#                                integration tests that reach them
#                                (AGAIN_TESTS; about a minute a mutant)
#   scripts/mutants.sh score     caught / viable per module over both passes
#
# Results go to target/mutants/<name>/mutants.out (caught.txt, missed.txt,
# timeout.txt, unviable.txt; previously_caught.txt after `again`).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/mutants

CORE_FILES=(context.rs keys.rs value.rs wire.rs signing.rs limits.rs read.rs)
# The integration tests (tests/NAME.rs) that exercise those modules through
# derived schemas, which baggage-core's own unit tests cannot use.
AGAIN_TESTS=(context bounded guards pipeline_equivalence roundtrip conformance
  signing signing_seams)
# The modules whose survivors of the unit tests are reached by derived
# schemas (the others' survivors are equivalent or reached by unit tests).
AGAIN_FILES=(context.rs read.rs)
CORE=target/mutants/core

what=${1:?usage: scripts/mutants.sh rules | derive | core | again | score}
files=()
for f in "${CORE_FILES[@]}"; do files+=(-f "baggage-core/src/$f"); done
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
    # cargo-mutants exits with 2 when mutants were missed and 3 when some
    # timed out: results, not failures of the run.
    status=0
    cargo mutants -p baggage-core --test-package baggage-core -j 2 "${files[@]}" \
      -o "$CORE" -- --lib || status=$?
    case $status in 0 | 2 | 3) ;; *) exit "$status" ;; esac
    # Keep this pass's verdicts: `--iterate` folds caught and unviable into
    # one previously_caught.txt.
    cp "$CORE/mutants.out/caught.txt" "$CORE/first-caught.txt"
    cp "$CORE/mutants.out/unviable.txt" "$CORE/first-unviable.txt"
    cp "$CORE/mutants.out/timeout.txt" "$CORE/first-timeout.txt"
    cp "$CORE/mutants.out/missed.txt" "$CORE/first-missed.txt"
    ;;
  again)
    [ -f "$CORE/first-caught.txt" ] || { echo "run scripts/mutants.sh core first" >&2; exit 2; }
    tests=()
    for t in "${AGAIN_TESTS[@]}"; do tests+=(--test "$t"); done
    files=()
    for f in "${AGAIN_FILES[@]}"; do files+=(-f "baggage-core/src/$f"); done
    status=0
    # No baseline: cargo-mutants 27 runs it on the mutated package's tests,
    # where these test targets do not exist. The unmutated tree passes them
    # in every CI run; the timeout is set by hand instead.
    cargo mutants -p baggage-core --test-package typed-baggage --all-features -j 2 \
      --baseline=skip --timeout 180 --build-timeout 600 \
      --iterate "${files[@]}" -o "$CORE" -- "${tests[@]}" || status=$?
    case $status in 0 | 2 | 3) ;; *) exit "$status" ;; esac
    ;;
  score)
    # A mutant that makes the tests hang is detected: the suite does not
    # pass with it (as PIT and Stryker count it).
    count() { if [ -f "$1" ]; then grep -c "^baggage-core/src/$2:" "$1" || true; else echo 0; fi; }
    again=false
    [ -f "$CORE/mutants.out/previously_caught.txt" ] && again=true
    for f in "${CORE_FILES[@]}"; do
      retested=false
      for a in "${AGAIN_FILES[@]}"; do [ "$a" = "$f" ] && retested=true; done
      if $again && $retested; then
        caught=$(( $(count "$CORE/first-caught.txt" "$f") + $(count "$CORE/mutants.out/caught.txt" "$f") ))
        timeout=$(( $(count "$CORE/first-timeout.txt" "$f") + $(count "$CORE/mutants.out/timeout.txt" "$f") ))
        missed=$(count "$CORE/mutants.out/missed.txt" "$f")
      elif $again; then
        caught=$(count "$CORE/first-caught.txt" "$f")
        timeout=$(count "$CORE/first-timeout.txt" "$f")
        missed=$(count "$CORE/first-missed.txt" "$f")
      else
        caught=$(count "$CORE/mutants.out/caught.txt" "$f")
        timeout=$(count "$CORE/mutants.out/timeout.txt" "$f")
        missed=$(count "$CORE/mutants.out/missed.txt" "$f")
      fi
      unviable=$(count "$CORE/first-unviable.txt" "$f")
      viable=$(( caught + missed + timeout ))
      [ "$viable" -gt 0 ] || continue
      detected=$(( caught + timeout ))
      echo "$f: $viable viable ($unviable unviable), caught $caught, timed out $timeout, missed $missed: $(( 1000 * detected / viable / 10 )).$(( 1000 * detected / viable % 10 )) %"
    done
    ;;
  *)
    echo "unknown target $what: rules | derive | core | again | score" >&2
    exit 2
    ;;
esac

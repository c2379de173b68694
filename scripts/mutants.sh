#!/usr/bin/env bash
# Mutation testing of the modules that hold the rules, one module at a time
# (TESTING.md has the scores). Needs cargo-mutants
# (`cargo install cargo-mutants --locked`).
#
#   scripts/mutants.sh rules          baggage-rules: key, size, secret (2 minutes)
#   scripts/mutants.sh core FILE...   baggage-core modules, against its unit
#                                     tests (e.g. limits.rs read.rs; a first
#                                     build of every dependency, then about
#                                     30 s a mutant on 2 cores)
#
# Results go to target/mutants/<name>/mutants.out (caught.txt, missed.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p target/mutants

what=${1:?usage: scripts/mutants.sh rules | core FILE...}
shift
case "$what" in
  rules)
    cargo mutants -p baggage-rules --test-package baggage-rules -j 2 \
      -o target/mutants/rules -- --lib
    ;;
  core)
    [ $# -gt 0 ] || { echo "usage: scripts/mutants.sh core FILE..." >&2; exit 2; }
    files=()
    for f in "$@"; do files+=(-f "baggage-core/src/$f"); done
    name=$(printf '%s-' "$@" | tr -c 'a-z0-9-' '-')
    cargo mutants -p baggage-core --test-package baggage-core -j 2 "${files[@]}" \
      -o "target/mutants/core-${name%-}" -- --lib
    ;;
  *)
    echo "unknown target $what: rules | core FILE..." >&2
    exit 2
    ;;
esac

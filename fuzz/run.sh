#!/usr/bin/env bash
# fuzz/run.sh SECONDS [TARGET...]: runs each fuzz target (all of them by default) for
# SECONDS with `cargo fuzz run -s none -a` (stable toolchain, no sanitizer; debug assertions
# on, so an integer overflow is a crash rather than a wrapped value), starting from the
# seed corpus in fuzz/corpus/<target> (read only: new inputs go to
# fuzz/target/corpus/<target>). Fails on the first crash, hang (-timeout) or memory
# blow-up (-rss_limit_mb); the reproducer is in fuzz/artifacts/<target>/.
# Prints one summary line per target: execs, corpus size, crashes.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
cargo fuzz build -s none -a 2>&1 | tail -1
mkdir -p target/logs
for target in "${targets[@]}"; do
  work=target/corpus/$target
  mkdir -p "$work" "corpus/$target"
  log=target/logs/$target.log
  status=0
  cargo fuzz run -s none -a "$target" "$work" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=1024 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  # libFuzzer's own count of the corpus it kept (distinct inputs that add coverage).
  corpus=$(sed -n 's/.*DONE .* corp: \([0-9]*\)\/\([^ ]*\) .*/\1 inputs (\2)/p' "$log" | tail -1)
  if [ "$status" -ne 0 ]; then
    echo "$target: FAILED (exit $status) after ${execs:-?} execs; log $PWD/$log" >&2
    grep -E "panicked|ERROR: libFuzzer|SUMMARY|Test unit written" "$log" | head -20 >&2 || true
    exit 1
  fi
  echo "$target: ${execs:-?} execs in ${seconds}s, corpus ${corpus:-?}, 0 crashes"
done

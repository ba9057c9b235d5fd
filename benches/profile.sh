#!/usr/bin/env bash
# Profiles contender servers of `cargo bench --bench compare` (default: the crate's
# ThreadingTcpServer and its hand-written twin) and prints, per round trip of 64-byte line
# echo on 16 connections and per connection of a burst:
#   - syscalls (strace -f -c),
#   - user-space instructions (valgrind --tool=callgrind),
#   - heap allocations (valgrind --tool=dhat).
# Each figure is the difference between a short and a long run divided by the difference
# in round trips (or connections), so start-up costs cancel out.
#   PROFILE_IDS="ss-threading std-thread" PROFILE_SCENARIOS="echo-64B-c16 burst" \
#     PROFILE_OUT=/tmp/profile bash benches/profile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
IDS=${PROFILE_IDS:-"ss-threading std-thread"}
OUT=${PROFILE_OUT:-/tmp/profile}
mkdir -p "$OUT"
cargo bench --bench compare --no-run >/dev/null 2>&1

# run ID SCENARIO SECONDS BURST TAG WRAP... -> prints the work done (round trips or connections)
run() {
  local id=$1 scenario=$2 seconds=$3 burst=$4 tag=$5
  shift 5
  BENCH_WRAP="$*" BENCH_ONLY="=$id" BENCH_SCENARIOS=$scenario BENCH_REPEATS=1 BENCH_RETRIES=0 BENCH_WARMUP=0 \
    BENCH_SECONDS=$seconds BENCH_BURST=$burst BENCH_BURST_DEADLINE=120 \
    BENCH_OUT="$OUT/report-$tag" cargo bench --bench compare 2>"$OUT/$tag.stderr" >/dev/null
  # "[1/1] SCENARIO ID N rt ..."
  awk -v id="$id" '$1 == "[1/1]" && $3 == id { print $4 }' "$OUT/$tag.stderr"
}

strace_calls() { # file -> "name count" lines
  awk '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { print $NF, $4 }' "$1"
}

for id in $IDS; do
  for scenario in ${PROFILE_SCENARIOS:-echo-64B-c16 burst}; do
    if [ "$scenario" = burst ]; then short=(1 200) long=(1 600) unit=connection; else short=(1 0) long=(3 0) unit="round trip"; fi
    echo "== $id, $scenario: per $unit"
    # syscalls
    n1=$(run "$id" "$scenario" "${short[0]}" "${short[1]:-1000}" "$id-$scenario-strace1" strace -f -c -o "$OUT/$id-$scenario-strace1.txt")
    n2=$(run "$id" "$scenario" "${long[0]}" "${long[1]:-1000}" "$id-$scenario-strace2" strace -f -c -o "$OUT/$id-$scenario-strace2.txt")
    [ "$scenario" = burst ] && n1=${short[1]} && n2=${long[1]}
    echo "syscalls (strace -f -c), work $n1 -> $n2:"
    join -a2 -e0 -o 0,1.2,2.2 <(strace_calls "$OUT/$id-$scenario-strace1.txt" | sort) \
      <(strace_calls "$OUT/$id-$scenario-strace2.txt" | sort) |
      awk -v a="$n1" -v b="$n2" '{ d = ($3 - $2) / (b - a); if (d > 0.005) printf "  %-16s %8.3f\n", $1, d; t += d } END { printf "  %-16s %8.3f\n", "total", t }'
    # instructions
    for k in 1 2; do rm -f "$OUT/$id-$scenario-cg$k".*; done
    m1=$(run "$id" "$scenario" "${short[0]}" "${short[1]:-1000}" "$id-$scenario-cg1" valgrind --tool=callgrind "--callgrind-out-file=$OUT/$id-$scenario-cg1.%p")
    m2=$(run "$id" "$scenario" "${long[0]}" "${long[1]:-1000}" "$id-$scenario-cg2" valgrind --tool=callgrind "--callgrind-out-file=$OUT/$id-$scenario-cg2.%p")
    [ "$scenario" = burst ] && m1=${short[1]} && m2=${long[1]}
    i1=$(awk '/^totals:/ { print $2 }' "$OUT/$id-$scenario-cg1".*)
    i2=$(awk '/^totals:/ { print $2 }' "$OUT/$id-$scenario-cg2".*)
    echo "user-space instructions (callgrind), work $m1 -> $m2: $(( (i2 - i1) / (m2 - m1) ))"
    # allocations
    a1=$(run "$id" "$scenario" "${short[0]}" "${short[1]:-1000}" "$id-$scenario-dhat1" valgrind --tool=dhat "--dhat-out-file=$OUT/$id-$scenario-dhat1.json" "--log-file=$OUT/$id-$scenario-dhat1.log")
    a2=$(run "$id" "$scenario" "${long[0]}" "${long[1]:-1000}" "$id-$scenario-dhat2" valgrind --tool=dhat "--dhat-out-file=$OUT/$id-$scenario-dhat2.json" "--log-file=$OUT/$id-$scenario-dhat2.log")
    [ "$scenario" = burst ] && a1=${short[1]} && a2=${long[1]}
    b1=$(awk '/Total:/ { gsub(",", "", $6); print $6 }' "$OUT/$id-$scenario-dhat1.log")
    b2=$(awk '/Total:/ { gsub(",", "", $6); print $6 }' "$OUT/$id-$scenario-dhat2.log")
    echo "heap allocations (dhat), work $a1 -> $a2: $(awk -v a="$a1" -v b="$a2" -v x="$b1" -v y="$b2" 'BEGIN { printf "%.3f", (y - x) / (b - a) }')"
  done
done

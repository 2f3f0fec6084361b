#!/usr/bin/env bash
# The broker benchmark (docs/benchmarks.md): W1 and W2 read from a real broker
# with --until-end, next to a plain rdkafka consumer that only counts the same
# records (one message per poll, the target's reference), and to one that
# reads in batches as sluice's runtime does (the lower limit).
#
#   ./examples/bench/kafka-bench.sh [N]     N records (default 1,000,000) on 4 partitions
#
# Needs the broker (scripts/broker.sh install) and a sluice binary (cargo build).
# RUNS=3 timed runs each; PORT=19600. Prints figures; judges nothing.
set -euo pipefail

N=${1:-1000000}
RUNS=${RUNS:-3}
PORT=${PORT:-19600}
PROGRAMS="w1-kafka w2-kafka"
# shellcheck source=kafka-setup.sh
source "$(dirname "$0")/kafka-setup.sh"

# Prints "records-per-CPU-second wall-seconds peak-RSS-MB" of one run, after checking
# that it read all N records (each program says so: the counters on standard output,
# sluice's binaries in their summary on standard error).
measure() {
    local out
    $TIME -o "$WORK/time.txt" -f "TIME %U %S %e %M" "$@" >"$WORK/run.out" 2>"$WORK/run.log" \
        || { echo "error: $* failed; see $WORK/run.log" >&2; exit 1; }
    read_all "$WORK/run.out" "$WORK/run.log"
    out=$(grep '^TIME' "$WORK/time.txt")
    awk -v n="$N" -v line="$out" 'BEGIN { split(line, f, " "); cpu = f[2] + f[3];
        printf "%.0f %.2f %.1f\n", n / cpu, f[4], f[5] / 1024 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

run_case() {
    local label=$1; shift
    local rates=() walls=() rss=()
    for _ in $(seq "$RUNS"); do
        # Each run starts afresh: no checkpoint, and a consumer group with no committed offsets.
        rm -rf "$WORK/ckpt"
        GROUP=bench-$(date +%s%N)
        read -r rate wall mem < <(measure "${@/#GROUP/$GROUP}")
        rates+=("$rate"); walls+=("$wall"); rss+=("$mem")
    done
    local r w m
    r=$(printf '%s\n' "${rates[@]}" | median); w=$(printf '%s\n' "${walls[@]}" | median); m=$(printf '%s\n' "${rss[@]}" | median)
    printf '%-34s %12s rec/CPU-s %8s s wall (%s rec/s) %8s MB RSS\n' "$label" "$r" "$w" \
        "$(awk -v n="$N" -v w="$w" 'BEGIN { printf "%.0f", n / w }')" "$m"
    echo "$r $w"
}

echo
echo "median of $RUNS runs, $N records:"
RAW=$(run_case "raw rdkafka consumer (count only)" "$TOOL" "$BROKERS" count bench-clicks | tee -a /dev/stderr | tail -1)
BATCH=$(run_case "raw consumer, batch reads" "$TOOL" "$BROKERS" count-batch bench-clicks | tee -a /dev/stderr | tail -1)
W1=$(run_case "W1 filter+project -> /dev/null" "$WORK/w1-kafka" --brokers "$BROKERS" --until-end \
    --checkpoint-dir "$WORK/ckpt" --group GROUP --output out=/dev/null | tee -a /dev/stderr | tail -1)
W2=$(run_case "W2 window -> kafka, checkpoint 5s" "$WORK/w2-kafka" --brokers "$BROKERS" --until-end \
    --checkpoint-dir "$WORK/ckpt" --group GROUP --output late_clicks=/dev/null | tee -a /dev/stderr | tail -1)
W2F=$(run_case "W2 window -> kafka, checkpoint 1s" "$WORK/w2-kafka" --brokers "$BROKERS" --until-end \
    --checkpoint-interval 1s --checkpoint-dir "$WORK/ckpt" --group GROUP --output late_clicks=/dev/null | tee -a /dev/stderr | tail -1)
echo
awk -v raw="$RAW" -v batch="$BATCH" -v w1="$W1" -v w2="$W2" -v w2f="$W2F" 'BEGIN {
    split(raw, r, " "); split(batch, q, " "); split(w1, a, " "); split(w2, b, " "); split(w2f, c, " ")
    printf "W1 / raw consumer: %.2fx per CPU-second, %.2fx records/s (wall); / batch reads: %.2fx per CPU-second\n", a[1] / r[1], r[2] / a[2], a[1] / q[1]
    printf "W2 / raw consumer: %.2fx per CPU-second, %.2fx records/s (wall); / batch reads: %.2fx per CPU-second\n", b[1] / r[1], r[2] / b[2], b[1] / q[1]
    printf "checkpoint overhead at 1s (W2, CPU): %.1f%%\n", (b[1] / c[1] - 1) * 100 }'

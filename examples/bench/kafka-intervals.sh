#!/usr/bin/env bash
# W2 from the broker with a checkpoint every 5 s and every 1 s, next to the
# counting consumers, interleaved (raw, batch, 5 s, 1 s, raw, ...) so that the
# machine's drift hits all four alike (docs/benchmarks.md, "From the broker").
#
#   ./examples/bench/kafka-intervals.sh [N]    N records (default 10,000,000) on 4 partitions
#
# RUNS=3 rounds; PORT=19610. Needs the broker (scripts/broker.sh install) and a
# sluice binary (cargo build). Prints CPU and wall seconds; judges nothing.
set -euo pipefail

N=${1:-10000000}
RUNS=${RUNS:-3}
PORT=${PORT:-19610}
PROGRAMS="w2-kafka"
# shellcheck source=kafka-setup.sh
source "$(dirname "$0")/kafka-setup.sh"

declare -A cpu wall
for _ in $(seq "$RUNS"); do
    for case in raw batch 5s 1s; do
        rm -rf "$WORK/ckpt"
        if [[ $case == raw ]]; then
            /usr/bin/time -o "$WORK/time.txt" -f "%U %S %e" "$TOOL" "$BROKERS" count bench-clicks >"$WORK/run.out" 2>&1
        elif [[ $case == batch ]]; then
            /usr/bin/time -o "$WORK/time.txt" -f "%U %S %e" "$TOOL" "$BROKERS" count-batch bench-clicks >"$WORK/run.out" 2>&1
        else
            /usr/bin/time -o "$WORK/time.txt" -f "%U %S %e" "$WORK/w2-kafka" --brokers "$BROKERS" --until-end \
                --checkpoint-interval "$case" --checkpoint-dir "$WORK/ckpt" --group "bench-$(date +%s%N)" \
                --output late_clicks=/dev/null >"$WORK/run.out" 2>&1
        fi
        read_all "$WORK/run.out"
        cpu[$case]="${cpu[$case]:-} $(awk '{ print $1 + $2 }' "$WORK/time.txt")"
        wall[$case]="${wall[$case]:-} $(awk '{ print $3 }' "$WORK/time.txt")"
    done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo
echo "$N records, $RUNS interleaved rounds, CPU seconds (user+sys) and wall seconds:"
for case in raw batch 5s 1s; do
    printf '%-4s CPU%s (median %s)  wall%s (median %s)\n' "$case" "${cpu[$case]}" "$(echo "${cpu[$case]}" | median)" \
        "${wall[$case]}" "$(echo "${wall[$case]}" | median)"
done
raw=$(echo "${cpu[raw]}" | median); batch=$(echo "${cpu[batch]}" | median); five=$(echo "${cpu[5s]}" | median); one=$(echo "${cpu[1s]}" | median)
awk -v r="$raw" -v b="$batch" -v f="$five" -v o="$one" 'BEGIN {
    printf "W2 / raw consumer per CPU-second: %.2fx (every 5 s), %.2fx (every 1 s)\n", r / f, r / o
    printf "W2 / batch-reading consumer per CPU-second: %.2fx (every 5 s)\n", b / f
    printf "every 1 s against every 5 s: %+.1f%% CPU\n", (o / f - 1) * 100 }'

#!/usr/bin/env bash
# The sinks benchmark (docs/benchmarks.md): the same records written as JSON
# lines, as Parquet and into a PostgreSQL table (insert, and upsert of a
# windowed count), from a file, so the sink is what differs.
#
#   ./examples/bench/sinks-bench.sh [N]      N records (default 1,000,000)
#
# Environment: RUNS=3, SLUICE=PATH, SLUICE_BENCH_DIR=DIR (as bench.sh).
# PostgreSQL: a throwaway server is started on loopback with scripts/postgres.sh
# (install it once with `scripts/postgres.sh install`) and stopped at the end.
# It prints figures and never judges them.
set -euo pipefail

N=${1:-1000000}
RUNS=${RUNS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${SLUICE_BENCH_DIR:-${TMPDIR:-/tmp}/sluice-bench}
TIME=/usr/bin/time

if [[ -n ${SLUICE:-} ]]; then :
elif [[ -x $ROOT/target/debug/sluice ]]; then SLUICE=$ROOT/target/debug/sluice
elif command -v sluice >/dev/null; then SLUICE=$(command -v sluice)
else echo "error: no sluice binary: run \`cargo build\` in the repository first, or set SLUICE" >&2; exit 2
fi
[[ -x $TIME ]] || { echo "error: $TIME is missing (Debian/Ubuntu: apt-get install time)" >&2; exit 2; }
mkdir -p "$WORK/sinks"
cd "$ROOT"

DATA=$WORK/clicks-$N.jsonl
if [[ ! -s $DATA ]]; then
    echo "generating $N records into $DATA ..."
    python3 "$HERE/gen.py" "$N" >"$DATA.partial"
    mv "$DATA.partial" "$DATA"
fi

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
eval "$(scripts/postgres.sh start "$PORT" | sed 's/^/PG_/')"
trap 'scripts/postgres.sh stop "$PG_dir"' EXIT
export PG_URL=$PG_url

SCHEMA='schema Click { user_id: string, url: string, bytes: int, ts: timestamp }
source clicks: Click from file { path: "clicks.jsonl", event_time: ts }'
declare -A SINK=(
    [json]='sink out to file { path: "OUT/json", format: json }'
    [parquet]='sink out to file { path: "OUT/parquet", format: parquet }'
    [pg-insert]='sink out to postgres { url: env("PG_URL"), table: "clicks", create: true }'
)
for kind in json parquet pg-insert; do
    sink=${SINK[$kind]//OUT/$WORK\/sinks\/out}
    printf '%s\n%s\npipeline archive { from clicks | to out }\n' "$SCHEMA" "$sink" >"$WORK/sinks/$kind.pipe"
done
printf '%s\n%s\n%s\n' "$SCHEMA" \
    'sink out to postgres { url: env("PG_URL"), table: "views", mode: upsert, key: [url, window_start], create: true }' \
    'pipeline views { from clicks | group by url window tumbling 10s watermark 1s aggregate { views: count() } | to out }' \
    >"$WORK/sinks/pg-upsert.pipe"

KINDS=(json parquet pg-insert pg-upsert)
echo "building ${KINDS[*]} ..."
for kind in "${KINDS[@]}"; do
    "$SLUICE" build "$WORK/sinks/$kind.pipe" -o "$WORK/sinks/bin-$kind" --color never 2>/dev/null
done

now_ns() { date +%s%N; }
declare -A WALL CPU RSS
for ((i = 1; i <= RUNS; i++)); do
    for kind in "${KINDS[@]}"; do
        rm -rf "$WORK/sinks/out"
        psql -q "$PG_URL" -c 'SET client_min_messages = warning; DROP TABLE IF EXISTS clicks; DROP TABLE IF EXISTS views' >/dev/null
        t=$(now_ns)
        "$TIME" -f "%U %S %M" -o "$WORK/sinks/time.txt" "$WORK/sinks/bin-$kind" --input "clicks=$DATA" --quiet
        WALL[$kind]+="$(awk -v a="$t" -v b="$(now_ns)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }') "
        read -r user sys rss <"$WORK/sinks/time.txt"
        CPU[$kind]+="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }') "
        RSS[$kind]+="$rss "
        if [[ $kind == parquet ]]; then files=$(find "$WORK/sinks/out/parquet" -name '*.parquet' | wc -l); fi
    done
done
rows=$(psql -tA "$PG_URL" -c 'SELECT count(*) FROM views')

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maximum() { tr ' ' '\n' | grep . | sort -g | tail -1; }
echo
echo "machine: $(nproc) cores, $(uname -sr); PostgreSQL $(psql -tA "$PG_URL" -c 'SHOW server_version') on loopback"
echo "input:   $N records from a JSON-lines file; $RUNS runs each, medians; CPU is the pipeline's (not the server's)"
echo "         (the upsert program writes $rows window rows; parquet: $files file(s) of output)"
echo
printf '%-10s %12s %16s %10s   %s\n' "sink" "records/s" "records/CPU-s" "peak RSS" "runs: wall s / cpu s"
for kind in "${KINDS[@]}"; do
    wall=$(median <<<"${WALL[$kind]}")
    cpu=$(median <<<"${CPU[$kind]}")
    rss=$(maximum <<<"${RSS[$kind]}")
    printf '%-10s %12s %16s %8.1fMB   [%s/ %s]\n' "$kind" \
        "$(awk -v n="$N" -v s="$wall" 'BEGIN { printf "%.2fM", n / s / 1e6 }')" \
        "$(awk -v n="$N" -v s="$cpu" 'BEGIN { printf "%.2fM", n / s / 1e6 }')" \
        "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "${WALL[$kind]}" "${CPU[$kind]}"
done

# Sourced by the broker benchmarks (kafka-bench.sh, kafka-intervals.sh), after
# they set N (records) and PORT: builds the counting consumer and the programs
# named in PROGRAMS, starts a broker of its own on PORT (stopped on exit), and
# produces N generated records to `bench-clicks` (4 partitions).
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Fails unless a run read all N records: the counters print it on standard
# output, sluice's binaries in their summary on standard error.
read_all() {
    grep -q "read $N records" "$@" || { echo "error: a run did not read all $N records; see $*" >&2; exit 1; }
}
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${SLUICE_BENCH_DIR:-${TMPDIR:-/tmp}/sluice-bench}
CACHE=${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}
TARGET=${SLUICE_TARGET_DIR:-$CACHE/target}
SLUICE=${SLUICE:-$ROOT/target/debug/sluice}
BROKERS=127.0.0.1:$PORT
TIME=/usr/bin/time
mkdir -p "$WORK"
cd "$ROOT"

DATA=$WORK/clicks-$N.jsonl
[[ -s $DATA ]] || python3 "$HERE/gen.py" "$N" >"$DATA"

echo "building the counting consumer and ${PROGRAMS} ..."
(cd "$HERE/kafka-tool" && CARGO_TARGET_DIR=$TARGET cargo build --release --quiet)
TOOL=$TARGET/release/sluice-bench-kafka-tool
for program in $PROGRAMS; do
    "$SLUICE" build "$HERE/$program.pipe" -o "$WORK/$program" >/dev/null
done

export SLUICE_BROKER_STATE=$WORK/broker-$PORT
"$ROOT/scripts/broker.sh" start "$PORT" >/dev/null
trap '"$ROOT/scripts/broker.sh" stop >/dev/null' EXIT
"$TOOL" "$BROKERS" create bench-clicks 4
"$TOOL" "$BROKERS" create bench-w2 1
echo "producing $N records to bench-clicks (4 partitions) ..."
"$TOOL" "$BROKERS" produce bench-clicks 4 "$DATA"

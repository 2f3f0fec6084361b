#!/usr/bin/env bash
# The file-runtime benchmark (docs/benchmarks.md): sluice-generated binaries
# against a hand-written Rust program doing the same two jobs.
#
#   ./examples/bench/bench.sh [N]        N records (default 2,000,000)
#
# Environment:
#   RUNS=3                  timed runs of each binary
#   SLUICE=PATH             the sluice binary (default: target/debug/sluice, then `sluice` on PATH)
#   SLUICE_BENCH_DIR=DIR    where data, binaries and outputs go (default: $TMPDIR/sluice-bench);
#                           the generated data is kept there and reused
#   SKIP_COLD=1             skip the cold build (it compiles the runtime's dependencies: minutes)
#
# It prints figures and never judges them. It exits non-zero only when
# something fails or when the two programs' outputs differ.
set -euo pipefail

N=${1:-2000000}
RUNS=${RUNS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${SLUICE_BENCH_DIR:-${TMPDIR:-/tmp}/sluice-bench}
CACHE=${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}
TARGET=${SLUICE_TARGET_DIR:-$CACHE/target}
TIME=/usr/bin/time

if [[ -n ${SLUICE:-} ]]; then :
elif [[ -x $ROOT/target/debug/sluice ]]; then SLUICE=$ROOT/target/debug/sluice
elif [[ -x $ROOT/target/release/sluice ]]; then SLUICE=$ROOT/target/release/sluice
elif command -v sluice >/dev/null; then SLUICE=$(command -v sluice)
else echo "error: no sluice binary: run \`cargo build\` in the repository first, or set SLUICE" >&2; exit 2
fi
if [[ ! -x $TIME ]]; then
    echo "error: $TIME is missing (Debian/Ubuntu: apt-get install time)" >&2
    exit 2
fi
mkdir -p "$WORK/out"
cd "$ROOT"

now_ns() { date +%s%N; }
seconds_since() { awk -v a="$1" -v b="$(now_ns)" -v d="${2:-1}" 'BEGIN { printf "%." d "f", (b - a) / 1e9 }'; }

# --- data -------------------------------------------------------------------
DATA=$WORK/clicks-$N.jsonl
if [[ ! -s $DATA ]]; then
    echo "generating $N records into $DATA ..."
    python3 "$HERE/gen.py" "$N" >"$DATA.partial"
    mv "$DATA.partial" "$DATA"
fi

# --- builds -----------------------------------------------------------------
export SLUICE_QUIET=1
COLD=
if [[ -z ${SKIP_COLD:-} ]]; then
    echo "cold build of w1 (fresh cache: compiles the runtime and its dependencies) ..."
    fresh=$(mktemp -d "$WORK/cold-cache.XXXXXX")
    t=$(now_ns)
    env -u SLUICE_TARGET_DIR SLUICE_CACHE_DIR="$fresh" "$SLUICE" build examples/bench/w1.pipe -o "$WORK/w1-cold" --color never
    COLD=$(seconds_since "$t")
    rm -rf "$fresh" "$WORK/w1-cold"
fi

echo "building w1, w2 (shared cache $CACHE) and the hand-written program ..."
"$SLUICE" build examples/bench/w1.pipe -o "$WORK/w1" --color never
"$SLUICE" build examples/bench/w2.pipe -o "$WORK/w2" --color never
CARGO_TARGET_DIR=$TARGET cargo build --release --quiet --manifest-path "$HERE/handwritten/Cargo.toml"
HAND=$TARGET/release/bench_handwritten

# Warm: the same program again after touching it (nothing to recompile) ...
touch examples/bench/w1.pipe
t=$(now_ns)
"$SLUICE" build examples/bench/w1.pipe -o "$WORK/w1" --color never
WARM_TOUCH=$(seconds_since "$t")
# ... and an edited program (a new constant: the program's crate recompiles, the runtime does not).
mkdir -p "$WORK/edit"
sed "s/bytes > 100/bytes > $((101 + $(date +%s) % 1000))/" examples/bench/w1.pipe >"$WORK/edit/w1_edited.pipe"
t=$(now_ns)
"$SLUICE" build "$WORK/edit/w1_edited.pipe" -o "$WORK/w1_edited" --color never
WARM_EDIT=$(seconds_since "$t")

# --- commands ---------------------------------------------------------------
OUT=$WORK/out
gen_w1=("$WORK/w1" --input "clicks=$DATA" --output "out=$OUT/gen-w1.jsonl" --quiet)
hand_w1=("$HAND" w1 "$DATA" "$OUT/hand-w1.jsonl")
gen_w2=("$WORK/w2" --input "clicks=$DATA" --output "out=$OUT/gen-w2.jsonl" --output "late_clicks=$OUT/gen-w2-late.jsonl" --quiet)
hand_w2=("$HAND" w2 "$DATA" "$OUT/hand-w2.jsonl" "$OUT/hand-w2-late.jsonl")

# --- same output? (also warms the page cache) -------------------------------
same_records() { # same multiset of JSON records in two JSON-lines files
    if cmp -s <(LC_ALL=C sort "$1") <(LC_ALL=C sort "$2"); then return 0; fi
    python3 - "$1" "$2" <<'EOF'
import collections, json, sys
def records(path):
    with open(path) as f:
        return collections.Counter(json.dumps(json.loads(l), sort_keys=False) for l in f if l.strip())
sys.exit(0 if records(sys.argv[1]) == records(sys.argv[2]) else 1)
EOF
}
echo "checking that both programs write the same records ..."
"${gen_w1[@]}"; "${hand_w1[@]}"; "${gen_w2[@]}"; "${hand_w2[@]}"
for pair in w1 w2 w2-late; do
    if ! same_records "$OUT/gen-$pair.jsonl" "$OUT/hand-$pair.jsonl"; then
        echo "error: $pair: sluice and the hand-written program wrote different records ($OUT/gen-$pair.jsonl, $OUT/hand-$pair.jsonl)" >&2
        exit 1
    fi
done
echo "  same records: w1 $(wc -l <"$OUT/gen-w1.jsonl"), w2 $(wc -l <"$OUT/gen-w2.jsonl") rows + $(wc -l <"$OUT/gen-w2-late.jsonl") late"

# --- timed runs (interleaved, one at a time) --------------------------------
declare -A WALL CPU RSS
run() { # name command...: appends "wall cpu rss_kb" of one run
    local name=$1 t; shift
    t=$(now_ns)
    "$TIME" -f "%U %S %M" -o "$WORK/time.txt" "$@"
    WALL[$name]+="$(seconds_since "$t" 3) "
    read -r user sys rss <"$WORK/time.txt"
    CPU[$name]+="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }') "
    RSS[$name]+="$rss "
}
echo "timing $RUNS runs of each on $N records ..."
for ((i = 1; i <= RUNS; i++)); do
    run gen-w1 "${gen_w1[@]}"
    run hand-w1 "${hand_w1[@]}"
    run gen-w2 "${gen_w2[@]}"
    run hand-w2 "${hand_w2[@]}"
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maximum() { tr ' ' '\n' | grep . | sort -g | tail -1; }
per_sec() { awk -v n="$N" -v s="$1" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "inf" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "inf") printf "%.2f", a / b; else print "n/a" }'; }
human() { awk -v x="$1" 'BEGIN { if (x == "inf") print x; else printf "%.2fM", x / 1e6 }'; }

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -sr), $(rustc --version | cut -d' ' -f1-2)"
echo "input:   $N records, $(du -m "$DATA" | cut -f1) MB of JSON lines; $RUNS runs each, medians (per-run wall/cpu seconds in brackets)"
echo
printf '%-4s %-12s %12s %16s %10s   %s\n' "" "program" "records/s" "records/CPU-s" "peak RSS" "runs: wall s / cpu s"
for w in w1 w2; do
    for who in gen hand; do
        key=$who-$w
        wall=$(median <<<"${WALL[$key]}")
        cpu=$(median <<<"${CPU[$key]}")
        rss=$(maximum <<<"${RSS[$key]}")
        eval "${who}_rate=$(per_sec "$wall") ${who}_cpu_rate=$(per_sec "$cpu")"
        label=$([[ $who == gen ]] && echo "sluice" || echo "hand-written")
        rate_var=${who}_rate cpu_var=${who}_cpu_rate
        printf '%-4s %-12s %12s %16s %8.1fMB   [%s/ %s]\n' "$w" "$label" "$(human "${!rate_var}")" "$(human "${!cpu_var}")" \
            "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "${WALL[$key]}" "${CPU[$key]}"
    done
    printf '%-4s %-12s %12s %16s\n' "$w" "ratio" "$(ratio "$gen_rate" "$hand_rate")x" "$(ratio "$gen_cpu_rate" "$hand_cpu_rate")x"
done
echo "(ratio = sluice / hand-written throughput; above 1 means sluice is faster)"
echo
echo "sluice build of w1: cold ${COLD:-skipped}${COLD:+s (empty cache)}, warm ${WARM_TOUCH}s (touched, unchanged), warm ${WARM_EDIT}s (edited constant)"

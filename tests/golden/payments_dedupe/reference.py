#!/usr/bin/env python3
"""Independent reference for tests/golden/payments_dedupe.

Written from the language spec (shared/design/language.md) only (not from sluice's code):
- `from payments, payments_replay`: a union; each file is one partition. The
  relative order of the two files is not defined, so this script runs several
  interleavings (each file in its own order) and two readings of "a partition
  that has not delivered yet" (ignored, or holding the watermark at -inf), and
  checks that every run gives the same outputs: the fixture is built so that
  the expected rows do not depend on the interleaving.
- dedupe by payment_id, status within 1h on `ts` (both sources' event_time):
  drop a record when the last *kept* record of its key is within 1h (|dt| <
  1h); a key's state expires once the dedupe watermark (min over unfinished
  partitions of the max ts seen, delay 0) passes kept + 1h.
- where captured/refunded; extend signed_cents (`-amount_cents` of i64::MIN
  overflows: a runtime fault, the record leaves the stream as a dead letter).
- running aggregate per (merchant_id, currency): compared on the last row per
  key, i.e. the totals over all records.
- bad lines (JSON errors, a float or string for an int, a missing field,
  non-UTF-8 bytes) go to `dead_letters`; blank lines are skipped.
Run: python3 reference.py  (rewrites expected/merchant_totals.jsonl and
dead_letters.partial.jsonl, prints the run)
"""
import base64
import itertools
import json
import os
import re
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
HOUR = 3_600_000
I64_MIN = -(2 ** 63)
TS_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z$")


def parse_ts(v):
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    m = TS_RE.match(v) if isinstance(v, str) else None
    if not m:
        raise ValueError("bad ts")
    y, mo, d, h, mi, s, frac = m.groups()
    ms = int((frac[1:] + "000")[:3]) if frac else 0
    return int(datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=timezone.utc).timestamp()) * 1000 + ms


def fmt_ts(ms):
    return datetime.fromtimestamp(ms // 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def decode(raw):
    text = raw.decode("utf-8")  # UnicodeDecodeError -> dead letter
    o = json.loads(text)
    rec = {}
    for name in ("payment_id", "merchant_id", "customer_id", "currency", "status"):
        if not isinstance(o.get(name), str):
            raise ValueError(f"bad {name}")
        rec[name] = o[name]
    a = o.get("amount_cents")
    if not (isinstance(a, int) and not isinstance(a, bool)):
        raise ValueError("bad amount_cents")
    rec["amount_cents"] = a
    rec["ts"] = parse_ts(o.get("ts"))
    return rec


def read(source):
    lines = open(os.path.join(HERE, "input", source + ".jsonl"), "rb").read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [(source, i, raw) for i, raw in enumerate(lines, start=1)]


def interleavings(a, b):
    yield a + b
    yield b + a
    out = []
    for x, y in itertools.zip_longest(a, b):
        out += [r for r in (x, y) if r is not None]
    yield out
    out = []
    for x, y in itertools.zip_longest(b, a):
        out += [r for r in (x, y) if r is not None]
    yield out


def run(order, counts, unstarted_holds_back):
    kept = {}
    max_seen = {}
    remaining = dict(counts)
    totals = {}
    dead = []
    log = []

    def watermark():
        values = []
        for src in counts:
            if remaining[src] == 0:
                continue  # finished file: does not hold the watermark back
            if src in max_seen:
                values.append(max_seen[src])
            elif unstarted_holds_back:
                values.append(float("-inf"))
        if values:
            return min(values)
        return float("inf") if all(v == 0 for v in remaining.values()) else float("-inf")

    previous = None
    for src, n, raw in order:
        if previous is not None:
            remaining[previous] -= 1  # the previous record is done: its file may now be finished
        previous = src
        if not raw.strip():
            log.append(f"{src}:{n} blank")
            continue
        try:
            r = decode(raw)
        except Exception as e:
            try:
                payload, enc = raw.decode("utf-8"), "utf8"
            except UnicodeDecodeError:
                payload, enc = base64.b64encode(raw).decode(), "base64"
            dead.append({"source": src, "partition": 0, "offset": n, "payload": payload, "payload_encoding": enc})
            log.append(f"{src}:{n} decode error ({type(e).__name__}) -> dead letter")
            continue
        key = (r["payment_id"], r["status"])
        wm = watermark()
        if key in kept and wm > kept[key] + HOUR:
            del kept[key]
        max_seen[src] = max(max_seen.get(src, r["ts"]), r["ts"])
        if key in kept and abs(r["ts"] - kept[key]) < HOUR:
            log.append(f"{src}:{n} {key} {fmt_ts(r['ts'])[11:19]}: dedupe drop (kept {fmt_ts(kept[key])[11:19]})")
            continue
        kept[key] = r["ts"]
        if r["status"] not in ("captured", "refunded"):
            log.append(f"{src}:{n} {key}: kept by dedupe, dropped by where")
            continue
        if r["status"] == "refunded":
            if r["amount_cents"] == I64_MIN:
                dead.append({"source": src, "partition": 0, "offset": n, "stage": "extend",
                             "payload": raw.decode(), "payload_encoding": "utf8"})
                log.append(f"{src}:{n} {key}: -amount_cents overflows -> fault -> dead letter")
                continue
            signed = -r["amount_cents"]
        else:
            signed = r["amount_cents"]
        g = totals.setdefault((r["merchant_id"], r["currency"]), [])
        g.append(dict(r, signed=signed))
        log.append(f"{src}:{n} {key} {fmt_ts(r['ts'])[11:19]}: counted for {r['merchant_id']}/{r['currency']}")
    rows = []
    for (m, c), rs in sorted(totals.items()):
        amount_sum = sum(x["amount_cents"] for x in rs)
        rows.append({
            "merchant_id": m, "currency": c,
            "payments": len(rs),
            "customers": len({x["customer_id"] for x in rs}),
            "net_cents": sum(x["signed"] for x in rs),
            "refunds": sum(1 for x in rs if x["status"] == "refunded"),
            "avg_ticket_cents": int(amount_sum / len(rs)) if amount_sum >= 0 else -(-amount_sum // len(rs)),
            "largest_cents": max(x["amount_cents"] for x in rs),
            "last_payment_at": fmt_ts(max(x["ts"] for x in rs)),
        })
    dead.sort(key=lambda d: (d["source"], d["offset"]))
    return rows, dead, log


def main():
    a, b = read("payments"), read("payments_replay")
    counts = {"payments": len(a), "payments_replay": len(b)}
    results = []
    for order in interleavings(a, b):
        for holds in (False, True):
            results.append(run(order, counts, holds))
    first_rows, first_dead, first_log = results[0]
    for rows, dead, _ in results[1:]:
        assert rows == first_rows, "result depends on the interleaving"
        assert dead == first_dead
    print("\n".join(first_log))
    print(f"\n{len(results)} interleavings/readings agree")
    with open(os.path.join(HERE, "expected/merchant_totals.jsonl"), "w") as f:
        for row in first_rows:
            f.write(json.dumps(row) + "\n")
    with open(os.path.join(HERE, "dead_letters.partial.jsonl"), "w") as f:
        for d in first_dead:
            f.write(json.dumps(d) + "\n")


if __name__ == "__main__":
    main()

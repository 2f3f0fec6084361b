#!/usr/bin/env python3
"""Independent reference for examples/pipes/shared_stream.pipe (default params).

Reads input/checkouts.jsonl, writes expected/high_value_checkouts.jsonl and
expected/lake.jsonl. Written from the spec, not from sluice's output.
"""
import calendar, json, re
from decimal import Decimal, ROUND_HALF_UP
from pathlib import Path

HERE = Path(__file__).parent
HIGH_VALUE = 1000.0  # param high_value: float = 1_000.0
DAY = 86_400_000


def parse_ts(v):
    """timestamp: epoch millis (JSON int) or RFC 3339; sub-millisecond digits truncated."""
    if isinstance(v, int):
        return v
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", v)
    y, mo, d, h, mi, s, frac, tz = m.groups()
    ms = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s))) * 1000
    ms += int((frac or "0")[:3].ljust(3, "0"))
    if tz != "Z":
        off = (int(tz[1:3]) * 60 + int(tz[4:6])) * 60_000
        ms -= off if tz[0] == "+" else -off
    return ms


def fmt_ts(ms):
    secs, milli = divmod(ms, 1000)
    t = __import__("time").gmtime(secs)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, milli)


def idiv(a, b):  # int / int truncates toward zero
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def round_digits(x, digits):
    """Half away from zero on the float's shortest decimal form (round(2.675, 2) = 2.68),
    as Spark's round on a double does (BigDecimal of Double.toString, HALF_UP)."""
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


class Fault(Exception):
    pass


def decode(line):
    r = json.loads(line)
    c = r["customer"]
    # an int field given as a float or a string is a decode error (on_error: skip)
    if not isinstance(r["item_count"], int) or isinstance(r["item_count"], bool):
        raise Fault("decode")
    return {
        "checkout_id": r["checkout_id"],
        "customer": {"id": c["id"], "email": c["email"], "vip": c.get("vip"), "signup_ts": parse_ts(c["signup_ts"])},
        "cart_total": float(r["cart_total"]),
        "item_count": r["item_count"],
        "coupon": r.get("coupon"),
        "payment_method": r["payment_method"],
        "ts": parse_ts(r["ts"]),
    }


def clean(r):
    if not (r["cart_total"] > 0.0 and r["item_count"] > 0):
        return None
    parts = r["customer"]["email"].split("@")  # literal split
    if len(parts) < 2:
        raise Fault("index out of range")  # on_error: skip (default)
    coupon = r["coupon"]
    return {
        "checkout_id": r["checkout_id"],
        "customer_id": r["customer"]["id"],
        "email_domain": parts[1].lower(),
        "vip": r["customer"]["vip"] if r["customer"]["vip"] is not None else False,
        "tenure_days": idiv(r["ts"] - r["customer"]["signup_ts"], DAY),
        "total": round_digits(r["cart_total"], 2),
        "avg_item_price": r["cart_total"] / r["item_count"],
        "coupon": None if coupon is None else coupon.strip().upper(),
        "payment_method": r["payment_method"],
        "ts": r["ts"],
    }


def out(rec):
    rec = dict(rec)
    for k in ("ts", "day"):
        if k in rec:
            rec[k] = fmt_ts(rec[k])
    return json.dumps(rec, ensure_ascii=False)


high, lake = [], []
for line in (HERE / "input/checkouts.jsonl").read_text().splitlines():
    if not line.strip():
        continue
    try:
        c = clean(decode(line))
    except Fault:
        continue
    if c is None:
        continue
    if c["total"] >= HIGH_VALUE or (c["vip"] and c["total"] >= HIGH_VALUE / 4):
        high.append(out(c))
    lake.append(out({**c, "day": c["ts"] - c["ts"] % DAY, "ts_ms": c["ts"]}))

(HERE / "expected").mkdir(exist_ok=True)
(HERE / "expected/high_value_checkouts.jsonl").write_text("".join(l + "\n" for l in high))
(HERE / "expected/lake.jsonl").write_text("".join(l + "\n" for l in lake))

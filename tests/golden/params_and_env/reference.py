#!/usr/bin/env python3
"""Independent reference for examples/pipes/params_and_env.pipe with the params in ./params
(region=emea, fx_rate=0.5, local_offset=2h; min_order_cents=1000, include_test_orders=false,
big_order_usd=5e3 by default). Writes expected/daily_sales.jsonl (last row per
(store_id, business_day)) and expected/big_orders.jsonl."""
import calendar, json, re, time
from decimal import Decimal, ROUND_HALF_UP
from pathlib import Path

HERE = Path(__file__).parent
REGION, MIN_ORDER_CENTS, FX_RATE, INCLUDE_TEST, LOCAL_OFFSET, BIG = "emea", 1000, 0.5, False, 2 * 3_600_000, 5e3
DAY = 86_400_000


def parse_ts(v):
    if isinstance(v, int):
        return v
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", v)
    y, mo, d, h, mi, s, frac, tz = m.groups()
    ms = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s))) * 1000 + int((frac or "0")[:3].ljust(3, "0"))
    if tz != "Z":
        off = (int(tz[1:3]) * 60 + int(tz[4:6])) * 60_000
        ms -= off if tz[0] == "+" else -off
    return ms


def fmt_ts(ms):
    secs, milli = divmod(ms, 1000)
    t = time.gmtime(secs)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, milli)


def round_digits(x, digits):
    """Half away from zero on the float's shortest decimal form (round(2.675, 2) = 2.68),
    as Spark's round on a double does (BigDecimal of Double.toString, HALF_UP)."""
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


groups, big = {}, []
for line in (HERE / "input/sales.jsonl").read_text().splitlines():
    if not line.strip():
        continue
    r = json.loads(line)
    r["ts"] = parse_ts(r["ts"])
    if not (r["region_code"].lower() == REGION and r["total_cents"] >= MIN_ORDER_CENTS and (INCLUDE_TEST or not r["is_test"])):
        continue
    r["total_usd"] = r["total_cents"] / 100.0 / FX_RATE
    # store_days: running aggregate per (store_id, date_trunc("day", ts + local_offset))
    shifted = r["ts"] + LOCAL_OFFSET
    key = (r["store_id"], shifted - shifted % DAY)
    g = groups.setdefault(key, {"n": 0, "sum": 0.0, "min": None, "max": None})
    g["n"] += 1
    g["sum"] += r["total_usd"]
    g["min"] = r["ts"] if g["min"] is None else min(g["min"], r["ts"])
    g["max"] = r["ts"] if g["max"] is None else max(g["max"], r["ts"])
    if r["total_usd"] >= BIG:
        big.append({"order_id": r["order_id"], "store_id": r["store_id"], "total_usd": round_digits(r["total_usd"], 2), "ts": fmt_ts(r["ts"])})

daily = [
    {"store_id": s, "business_day": fmt_ts(d), "orders": g["n"], "revenue_usd": g["sum"], "avg_order_usd": g["sum"] / g["n"],
     "first_sale_at": fmt_ts(g["min"]), "last_sale_at": fmt_ts(g["max"])}
    for (s, d), g in sorted(groups.items())
]
(HERE / "expected").mkdir(exist_ok=True)
(HERE / "expected/daily_sales.jsonl").write_text("".join(json.dumps(r) + "\n" for r in daily))
(HERE / "expected/big_orders.jsonl").write_text("".join(json.dumps(r) + "\n" for r in big))

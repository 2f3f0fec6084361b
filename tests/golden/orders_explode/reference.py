#!/usr/bin/env python3
"""Independent reference for examples/pipes/orders_explode.pipe.

Simulates, record by record in file order (one partition), the stages from the
spec: where / extend / explode as / inner join on the products table (latest
row per product_sku, loaded whole first) / select / tumbling 1h window on
placed_at with watermark 5m (watermark = largest placed_at that reached the
stage - 5m; window emitted when watermark >= window_end; a record is late when
its window_end <= the watermark when it arrives; at the end every open window
is emitted) and the running coupon aggregate (last row per code)."""
import calendar, json, re, time
from pathlib import Path

HERE = Path(__file__).parent
HOUR, WM_DELAY = 3_600_000, 5 * 60_000


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


products = {}
for line in (HERE / "input/products.jsonl").read_text().splitlines():
    if line.strip():
        p = json.loads(line)
        p["unit_cost"] = float(p["unit_cost"])
        products[p["product_sku"]] = p  # a later row for a key replaces the earlier one

open_windows = {}  # (country, category, start) -> list of rows
emitted = []
late = []
max_seen = None
coupons = {}


def emit_ready(watermark):
    for key in sorted(k for k in open_windows if k[2] + HOUR <= watermark):
        emitted.append((key, open_windows.pop(key)))


for line in (HERE / "input/orders.jsonl").read_text().splitlines():
    if not line.strip():
        continue
    o = json.loads(line)
    o["placed_at"] = parse_ts(o["placed_at"])
    # pipeline coupon_usage: explode coupon_codes | running group by upper(trim(code))
    for code in o["coupon_codes"]:
        c = coupons.setdefault(code.strip().upper(), {"n": 0, "customers": set(), "last": None})
        c["n"] += 1
        c["customers"].add(o["customer_id"])
        c["last"] = o["placed_at"] if c["last"] is None else max(c["last"], o["placed_at"])
    # pipeline category_revenue_hourly
    if not (len(o["items"]) > 0 and "STAFF100" not in o["coupon_codes"]):
        continue
    landing_sku = o["items"][0]["sku"]
    for item in o["items"]:
        p = products.get(item["sku"])
        if p is None:
            continue  # inner join: no table row, no record
        unit_price = float(item["unit_price"])
        row = {
            "order_id": o["order_id"], "category": p["category"], "brand": p["brand"],
            "placed_at": o["placed_at"], "country": o["shipping"]["country"], "units": item["qty"],
            "revenue": item["qty"] * unit_price,
            "margin": item["qty"] * (unit_price - p["unit_cost"]),
            "on_sale": "sale" in item["tags"],
            "cross_sell": item["sku"] != landing_sku,
        }
        t = row["placed_at"]
        start = t - t % HOUR
        watermark = None if max_seen is None else max_seen - WM_DELAY
        if watermark is not None and start + HOUR <= watermark:
            late.append(row)
            continue
        open_windows.setdefault((row["country"], row["category"], start), []).append(row)
        max_seen = t if max_seen is None else max(max_seen, t)
        emit_ready(max_seen - WM_DELAY)

emit_ready(float("inf"))

out = []
for (country, category, start), rows in emitted:
    out.append({
        "country": country, "category": category,
        "window_start": fmt_ts(start), "window_end": fmt_ts(start + HOUR),
        "order_count": len({r["order_id"] for r in rows}),
        "units": sum(r["units"] for r in rows),
        "revenue": sum(r["revenue"] for r in rows),
        "margin": sum(r["margin"] for r in rows),
        "sale_units": sum(r["units"] if r["on_sale"] else 0 for r in rows),
        "cross_sell_units": sum(r["units"] if r["cross_sell"] else 0 for r in rows),
    })
(HERE / "expected").mkdir(exist_ok=True)
(HERE / "expected/category_revenue.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out))
(HERE / "expected/late_lines.jsonl").write_text(
    "".join(json.dumps({**r, "placed_at": fmt_ts(r["placed_at"])}, ensure_ascii=False) + "\n" for r in late))
(HERE / "expected/coupon_stats.jsonl").write_text("".join(
    json.dumps({"code": k, "redemptions": c["n"], "customers": len(c["customers"]), "last_used_at": fmt_ts(c["last"])}) + "\n"
    for k, c in sorted(coupons.items())))

#!/usr/bin/env python3
"""Independent reference for tests/golden/clickstream_pageviews.

Written from the language spec (shared/design/language.md) only (not from sluice's code):
- JSON reading: unknown fields ignored, int accepted for float, a float or a
  string for an int field is an error, missing non-optional field is an error,
  timestamps are epoch millis or RFC 3339 (sub-millisecond digits truncated),
  blank lines skipped; `on_error: skip` drops bad lines.
- `where`: null counts as false; filtered records do not advance watermarks.
- tumbling 1m windows, epoch-aligned, half-open; watermark = max event time
  seen by the stage - 10s; a window is emitted when watermark >= window_end;
  a record is late when its window's end <= the watermark when it arrives
  (late records go, as the group-by's input record, to `late_clicks`).
- end of input: watermark -> infinity, every open window emitted.

Run: python3 reference.py  (rewrites expected/*.jsonl, prints the timeline)
"""
import json
import os
import re
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
MIN = 60_000
PARAMS = {"min_bytes": 100}
for line in open(os.path.join(HERE, "params")):
    if "=" in line and not line.startswith("#"):
        k, v = line.strip().split("=", 1)
        PARAMS[k] = int(v)

TS_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def parse_ts(v):
    if isinstance(v, bool):
        raise ValueError("bool for timestamp")
    if isinstance(v, int):
        return v
    if not isinstance(v, str):
        raise ValueError("bad timestamp")
    m = TS_RE.match(v)
    if not m:
        raise ValueError("bad timestamp")
    y, mo, d, h, mi, s, frac, off = m.groups()
    ms = int((frac[1:] + "000")[:3]) if frac else 0
    dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=timezone.utc)
    base = int(dt.timestamp()) * 1000 + ms
    if off != "Z":
        sign = 1 if off[0] == "+" else -1
        base -= sign * (int(off[1:3]) * 60 + int(off[4:6])) * 60_000
    return base


def fmt_ts(ms):
    dt = datetime.fromtimestamp(ms // 1000, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def req(obj, name, kind, optional=False):
    if name not in obj or obj[name] is None:
        if optional:
            return None
        raise ValueError(f"missing {name}")
    v = obj[name]
    if kind == "string" and isinstance(v, str):
        return v
    if kind == "int" and isinstance(v, int) and not isinstance(v, bool):
        return v
    if kind == "timestamp":
        return parse_ts(v)
    raise ValueError(f"bad {name}")


def decode(line):
    obj = json.loads(line)
    if not isinstance(obj, dict):
        raise ValueError("not an object")
    geo = obj.get("geo")
    if not isinstance(geo, dict):
        raise ValueError("bad geo")
    return {
        "user_id": req(obj, "user_id", "string"),
        "url": req(obj, "url", "string"),
        "bytes": req(obj, "bytes", "int"),
        "user_agent": req(obj, "user_agent", "string"),
        "referrer": req(obj, "referrer", "string", optional=True),
        "ts": req(obj, "ts", "timestamp"),
        "geo": {"country": req(geo, "country", "string"), "city": req(geo, "city", "string", optional=True)},
    }


def main():
    windows = {}  # (url, country, start) -> list of selected records
    emitted = []
    late = []
    max_seen = None
    wm = None
    log = []

    def close(upto):
        for key in sorted(windows, key=lambda k: (k[2], k[0], k[1])):
            if key[2] + MIN <= upto:
                rows = windows.pop(key)
                emitted.append(aggregate(key, rows))
                log.append(f"      emit {key[0]} {key[1]} [{fmt_ts(key[2])[11:19]}, {fmt_ts(key[2] + MIN)[11:19]}) views={len(rows)}")

    for n, line in enumerate(open(os.path.join(HERE, "input/clicks.jsonl")), start=1):
        if not line.strip():
            log.append(f"{n:>2} blank: skipped")
            continue
        try:
            c = decode(line)
        except Exception as e:  # on_error: skip
            log.append(f"{n:>2} decode error ({e}): skipped")
            continue
        keep = c["bytes"] >= PARAMS["min_bytes"] and not c["url"].startswith("/health") and "bot" not in c["user_agent"].lower()
        if not keep:
            log.append(f"{n:>2} {fmt_ts(c['ts'])[11:23]} filtered by where (watermark unchanged)")
            continue
        r = {"url": c["url"].lower(), "country": c["geo"]["country"], "user_id": c["user_id"],
             "referrer": c["referrer"], "kb": c["bytes"] / 1024.0, "ts": c["ts"]}
        start = r["ts"] // MIN * MIN
        if wm is not None and start + MIN <= wm:
            late.append(r)
            log.append(f"{n:>2} {fmt_ts(r['ts'])[11:23]} {r['url']} {r['country']}: LATE (end {fmt_ts(start + MIN)[11:19]} <= wm {fmt_ts(wm)[11:23]}) -> late_clicks")
            continue
        windows.setdefault((r["url"], r["country"], start), []).append(r)
        max_seen = r["ts"] if max_seen is None else max(max_seen, r["ts"])
        wm = max_seen - 10_000
        log.append(f"{n:>2} {fmt_ts(r['ts'])[11:23]} {r['url']} {r['country']} -> [{fmt_ts(start)[11:19]}); wm after = {fmt_ts(wm)[11:23]}")
        close(wm)
    log.append("end of input: wm = infinity")
    close(float("inf"))

    print("\n".join(log))
    with open(os.path.join(HERE, "expected/pageviews.jsonl"), "w") as f:
        for row in emitted:
            f.write(json.dumps(row) + "\n")
    with open(os.path.join(HERE, "expected/late_clicks.jsonl"), "w") as f:
        for r in late:
            f.write(json.dumps(dict(r, ts=fmt_ts(r["ts"]))) + "\n")


def aggregate(key, rows):
    url, country, start = key
    kbs = [r["kb"] for r in rows]
    total = 0.0
    for kb in kbs:
        total += kb
    return {
        "url": url, "country": country,
        "window_start": fmt_ts(start), "window_end": fmt_ts(start + MIN),
        "views": len(rows),
        "referred_views": sum(1 for r in rows if r["referrer"] is not None),
        "visitors": len({r["user_id"] for r in rows}),
        "kb": total,
        "largest_kb": max(kbs),
    }


if __name__ == "__main__":
    main()

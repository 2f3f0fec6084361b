#!/usr/bin/env python3
"""Independent reference for tests/golden/session_analytics.

Written from the language spec (shared/design/language.md) only (not from sluice's code).
Session semantics used (spec "Windows" and "Decisions / Sessions"):
- per key (user_id, platform) a session is [first event, last event + GAP);
  window_start = earliest event time, window_end = latest event time + GAP;
- an event joins a session when the two overlap: its own [t, t + GAP) meets
  [start, end) (so events less than GAP apart are grouped; events exactly GAP
  apart are not); an event overlapping several open sessions merges them;
- one watermark for the stage = max event time of the records that reach the
  group by (after `where`) - 1m; a session is emitted when watermark >= end;
- an event is late when it would extend an already emitted session, or when its
  own window [t, t + GAP) already ends at or before the watermark;
- first/last/collect follow arrival order (also across merged sessions);
  aggregates skip nulls; sum of no value is null;
- `int / int` truncates toward zero; float division by zero gives null;
  `round(x, 2)` rounds half away from zero.
Run: python3 reference.py  (rewrites expected/*.jsonl, prints the timeline)
"""
import json
import math
import os
import re
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
GAP = 30 * 60_000
DELAY = 60_000
TS_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def parse_ts(v):
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    m = TS_RE.match(v) if isinstance(v, str) else None
    if not m:
        raise ValueError("bad timestamp")
    y, mo, d, h, mi, s, frac, off = m.groups()
    ms = int((frac[1:] + "000")[:3]) if frac else 0
    base = int(datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=timezone.utc).timestamp()) * 1000 + ms
    if off != "Z":
        sign = 1 if off[0] == "+" else -1
        base -= sign * (int(off[1:3]) * 60 + int(off[4:6])) * 60_000
    return base


def fmt_ts(ms):
    return datetime.fromtimestamp(ms // 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def field(obj, name, kind, optional=False):
    v = obj.get(name)
    if v is None:
        if optional:
            return None
        raise ValueError(f"missing {name}")
    if kind == "string" and isinstance(v, str):
        return v
    if kind == "float" and isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    if kind == "duration" and isinstance(v, int) and not isinstance(v, bool):
        return v
    if kind == "timestamp":
        return parse_ts(v)
    raise ValueError(f"bad {name}")


def decode(line):
    o = json.loads(line)
    return {
        "user_id": field(o, "user_id", "string"),
        "platform": field(o, "platform", "string"),
        "app_version": field(o, "app_version", "string"),
        "event_name": field(o, "event_name", "string"),
        "screen": field(o, "screen", "string", True),
        "order_id": field(o, "order_id", "string", True),
        "revenue": field(o, "revenue", "float", True),
        "time_on_screen": field(o, "time_on_screen", "duration", True),
        "ts": field(o, "ts", "timestamp"),
    }


def round_half_away(x, digits):
    f = 10 ** digits
    y = abs(x) * f
    r = math.floor(y + 0.5)
    return math.copysign(r / f, x)


def trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def session_row(key, events):
    nn = lambda xs: [x for x in xs if x is not None]
    screens = nn([e["screen"] for e in events])
    revenue_vals = nn([e["revenue"] for e in events])
    revenue = None
    if revenue_vals:
        revenue = 0.0
        for r in revenue_vals:
            revenue += r
    tos = nn([e["time_on_screen"] for e in events])
    purchases = len(nn([e["order_id"] for e in events]))
    start = min(e["ts"] for e in events)
    end = max(e["ts"] for e in events) + GAP
    active = events[-1]["ts"] - events[0]["ts"]  # last(ts) - first(ts), arrival order
    return {
        "user_id": key[0],
        "platform": key[1],
        "app_version": events[-1]["app_version"],
        "started_at": fmt_ts(start),
        "timed_out_at": fmt_ts(end),
        "active_s": trunc_div(active, 1000),
        "events": len(events),
        "screen_views": len(screens),
        "distinct_screens": len(set(screens)),
        "engaged_ms": sum(tos) if tos else None,
        "bounced": len(events) == 1,
        "entry_screen": screens[0] if screens else None,
        "exit_screen": screens[-1] if screens else None,
        "journey": [e["event_name"] for e in events],
        "purchases": purchases,
        "revenue": round_half_away(revenue if revenue is not None else 0.0, 2),
        "revenue_per_purchase": None if revenue is None or purchases == 0 else revenue / purchases,
    }


def main():
    open_sessions = {}  # key -> list of {"events": [(arrival, event)], ...}
    emitted_bounds = {}  # key -> list of (start, end)
    out, late, log = [], [], []
    max_seen, wm = None, None

    def bounds(s):
        ts = [e["ts"] for _, e in s]
        return min(ts), max(ts) + GAP

    def close(upto):
        for key in sorted(open_sessions):
            keep = []
            for s in open_sessions[key]:
                st, en = bounds(s)
                if en <= upto:
                    events = [e for _, e in sorted(s, key=lambda p: p[0])]
                    out.append(session_row(key, events))
                    emitted_bounds.setdefault(key, []).append((st, en))
                    log.append(f"      emit {key[0]}/{key[1]} [{fmt_ts(st)[11:23]}, {fmt_ts(en)[11:23]}) events={len(events)}")
                else:
                    keep.append(s)
            open_sessions[key] = keep

    for n, line in enumerate(open(os.path.join(HERE, "input/app_events.jsonl")), start=1):
        if not line.strip():
            continue
        try:
            e = decode(line)
        except Exception as err:
            log.append(f"{n:>2} decode error ({err}): skipped")
            continue
        if not (e["event_name"] != "heartbeat" and not e["app_version"].startswith("0.")):
            log.append(f"{n:>2} {fmt_ts(e['ts'])[11:23]} {e['user_id']}: filtered by where (watermark unchanged)")
            continue
        key = (e["user_id"], e["platform"])
        t = e["ts"]
        hits_emitted = any(st < t + GAP and t < en for st, en in emitted_bounds.get(key, []))
        if hits_emitted or (wm is not None and t + GAP <= wm):
            late.append(e)
            why = "would extend an emitted session" if hits_emitted else "own window end <= watermark"
            log.append(f"{n:>2} {fmt_ts(t)[11:23]} {key[0]}/{key[1]}: LATE ({why}; wm {fmt_ts(wm)[11:23]}) -> late_events")
            continue
        merged = [(n, e)]
        keep = []
        for s in open_sessions.get(key, []):
            st, en = bounds(s)
            if st < t + GAP and t < en:
                merged.extend(s)
            else:
                keep.append(s)
        keep.append(merged)
        open_sessions[key] = keep
        max_seen = t if max_seen is None else max(max_seen, t)
        wm = max_seen - DELAY
        st, en = bounds(merged)
        log.append(f"{n:>2} {fmt_ts(t)[11:23]} {key[0]}/{key[1]} -> session [{fmt_ts(st)[11:23]}, {fmt_ts(en)[11:23]}) ({len(merged)} events); wm after = {fmt_ts(wm)[11:23]}")
        close(wm)
    log.append("end of input: wm = infinity")
    close(float("inf"))
    print("\n".join(log))
    with open(os.path.join(HERE, "expected/sessions.jsonl"), "w") as f:
        for r in out:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(HERE, "expected/late_events.jsonl"), "w") as f:
        for e in late:
            f.write(json.dumps(dict(e, ts=fmt_ts(e["ts"]))) + "\n")


if __name__ == "__main__":
    main()

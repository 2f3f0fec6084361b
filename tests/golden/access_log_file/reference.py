#!/usr/bin/env python3
"""Independent reference for examples/pipes/access_log_file.pipe.

Simulates the program line by line (text source: every line is a record, one
partition): the regex filter, the parsing `select` (a malformed timestamp is a
fault: the line is skipped, on_error defaults to skip), the /static/ filter,
status_class, and the tumbling 1m window on ts with watermark 5s (watermark =
largest ts that reached the stage - 5s; emit when watermark >= window_end; late
when window_end <= watermark on arrival; all open windows emitted at the end).
Writes expected/per_minute.jsonl and expected/late_requests.jsonl."""
import calendar, json, re, time
from pathlib import Path

HERE = Path(__file__).parent
MINUTE, WM_DELAY = 60_000, 5_000


class Fault(Exception):
    pass


def parse_ts(v):
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", v)
    if not m:
        raise Fault("to_timestamp: not RFC 3339")
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


def extract(line, pattern):  # regex_extract: group 1 of the first match (search), else null
    m = re.search(pattern, line)
    return None if m is None else m.group(1)


def parse_int(s):
    return int(s) if s is not None and re.fullmatch(r"[+-]?[0-9]+", s) else None


def parse_float(s):
    if s is None:
        return None
    try:
        return float(s)
    except ValueError:
        return None


def default(v, d):
    return d if v is None else v


open_windows, emitted, late = {}, [], []
max_seen = None


def emit_ready(watermark):
    for key in sorted(k for k in open_windows if k[1] + MINUTE <= watermark):
        emitted.append((key, open_windows.pop(key)))


for line in (HERE / "input/access_log.txt").read_text().split("\n")[:-1]:
    if not re.search(r'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ [^ ]+ "', line):
        continue
    try:
        rec = {
            "ts": parse_ts(line.split(" ")[0]),
            "client_ip": line.split(" ")[1],
            "method": default(extract(line, r'"([A-Z]+) '), "-"),
            "route": default(extract(line, r'"[A-Z]+ ([^ ?"]+)'), "-"),
            "status": default(parse_int(extract(line, r'" ([0-9]{3}) ')), 0),
            "body_bytes": default(parse_int(extract(line, r'" [0-9]{3} ([0-9]+) ')), 0),
        }
        f = parse_float(extract(line, r" ([0-9.]+)$"))
        rec["request_ms"] = None if f is None else f * 1e3
    except Fault:
        continue
    if rec["route"].startswith("/static/"):
        continue
    rec["status_class"] = str(rec["status"] // 100) + "xx"  # statuses are >= 0: // is truncation here
    start = rec["ts"] - rec["ts"] % MINUTE
    if max_seen is not None and start + MINUTE <= max_seen - WM_DELAY:
        late.append(rec)
        continue
    open_windows.setdefault((rec["status_class"], start), []).append(rec)
    max_seen = rec["ts"] if max_seen is None else max(max_seen, rec["ts"])
    emit_ready(max_seen - WM_DELAY)
emit_ready(float("inf"))

rows = []
for (cls, start), recs in emitted:
    ms = [r["request_ms"] for r in recs if r["request_ms"] is not None]
    rows.append({
        "status_class": cls, "window_start": fmt_ts(start), "window_end": fmt_ts(start + MINUTE),
        "requests": len(recs),
        "clients": len({r["client_ip"] for r in recs}),
        "writes": sum(1 for r in recs if r["method"] != "GET" and r["method"] != "HEAD"),
        "mb_sent": sum(r["body_bytes"] for r in recs) / 1_048_576.0,
        "avg_ms": sum(ms) / len(ms) if ms else None,
        "slowest_ms": max(ms) if ms else None,
    })
(HERE / "expected").mkdir(exist_ok=True)
(HERE / "expected/per_minute.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
(HERE / "expected/late_requests.jsonl").write_text("".join(json.dumps({**r, "ts": fmt_ts(r["ts"])}) + "\n" for r in late))

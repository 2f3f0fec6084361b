#!/usr/bin/env python3
"""Independent reference for tests/golden/iot_sensor_averages.

Written from the language spec (shared/design/language.md) only (not from sluice's code):
- dedupe by device_id within 500ms (time: the source's event_time `ts`): a
  record is dropped when the last record *kept* for its key has an event time
  within 500ms (|dt| < 500ms); the key's state expires once the dedupe stage's
  own watermark (max ts seen by the stage, delay 0) passes kept time + 500ms.
  The dedupe runs before `where`, so a record later dropped by `where` is
  still "kept" by dedupe.
- where rssi >= -90; extend (site ?? "unassigned", coalesce, battery_mv/1e3);
  extend (temp_c -127.0 -> null).
- group by device_id, site window sliding 5m every 1m watermark 30s: windows
  [k*1m, k*1m + 5m) containing ts; the group-by's watermark = max ts of the
  records reaching it - 30s; a window is emitted when watermark >= end; a
  record counts in those of its windows that are still open; if any of its
  windows has end <= watermark at arrival, it is also sent once to late_to.
- end of input: every open window is emitted.
- battery_watch: where min_battery_v <= 3.3 (null -> false), round(x, 2).
Run: python3 reference.py  (rewrites expected/*.jsonl, prints the timeline)
"""
import json
import math
import os
import re
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
SEC = 1000
MIN = 60 * SEC
SIZE, SLIDE, DELAY, DEDUPE = 5 * MIN, MIN, 30 * SEC, 500
LOW_BATTERY_V = 3.3
TS_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z$")


def parse_ts(v):
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    m = TS_RE.match(v)
    y, mo, d, h, mi, s, frac = m.groups()
    ms = int((frac[1:] + "000")[:3]) if frac else 0
    return int(datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=timezone.utc).timestamp()) * 1000 + ms


def fmt_ts(ms):
    return datetime.fromtimestamp(ms // 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def hms(ms):
    return fmt_ts(ms)[11:23]


def field(o, name, kind, optional=False):
    v = o.get(name)
    if v is None:
        if optional:
            return None
        raise ValueError(f"missing {name}")
    if kind == "string" and isinstance(v, str):
        return v
    if kind == "int" and isinstance(v, int) and not isinstance(v, bool):
        return v
    if kind == "float" and isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    if kind == "timestamp":
        return parse_ts(v)
    raise ValueError(f"bad {name}")


def decode(line):
    o = json.loads(line)
    return {
        "device_id": field(o, "device_id", "string"),
        "site": field(o, "site", "string", True),
        "temp_c": field(o, "temp_c", "float", True),
        "temp_f": field(o, "temp_f", "float", True),
        "humidity": field(o, "humidity", "float", True),
        "battery_mv": field(o, "battery_mv", "int", True),
        "rssi": field(o, "rssi", "int"),
        "ts": field(o, "ts", "timestamp"),
    }


def round_half_away(x, digits):
    f = 10 ** digits
    return math.copysign(math.floor(abs(x) * f + 0.5) / f, x)


def fsum_in_order(xs):
    total = 0.0
    for x in xs:
        total += x
    return total


def window_row(key, start, rows):
    temps = [r["temp_c"] for r in rows if r["temp_c"] is not None]
    hums = [r["humidity"] for r in rows if r["humidity"] is not None]
    batts = [r["battery_v"] for r in rows if r["battery_v"] is not None]
    mn = min(temps) if temps else None
    mx = max(temps) if temps else None
    return {
        "device_id": key[0], "site": key[1],
        "window_start": fmt_ts(start), "window_end": fmt_ts(start + SIZE),
        "readings": len(rows),
        "avg_temp_c": fsum_in_order(temps) / len(temps) if temps else None,
        "min_temp_c": mn, "max_temp_c": mx,
        "temp_swing_c": mx - mn if temps else None,
        "avg_humidity": fsum_in_order(hums) / len(hums) if hums else None,
        "min_battery_v": min(batts) if batts else None,
    }


def main():
    kept = {}
    lines = {}
    dd_wm = None
    windows = {}  # (device, site, start) -> rows
    closed = set()
    stats, late, log = [], [], []
    gb_max, gb_wm = None, None

    def close(upto):
        for k in sorted(windows, key=lambda k: (k[2], k[0], k[1])):
            if k[2] + SIZE <= upto:
                rows = windows.pop(k)
                stats.append(window_row(k[:2], k[2], rows))
                stats[-1]["_lines"] = [lines[id(x)] for x in rows]
                closed.add(k)
                log.append(f"      emit {k[0]}/{k[1]} [{hms(k[2])[:5]}, {hms(k[2] + SIZE)[:5]}) readings={len(rows)}")

    for n, line in enumerate(open(os.path.join(HERE, "input/readings.jsonl")), start=1):
        if not line.strip():
            log.append(f"{n:>2} blank: skipped")
            continue
        try:
            r = decode(line)
        except Exception as e:
            log.append(f"{n:>2} decode error ({e}): skipped")
            continue
        dev, t = r["device_id"], r["ts"]
        # dedupe
        if dev in kept and dd_wm is not None and dd_wm > kept[dev] + DEDUPE:
            log.append(f"    (dedupe state of {dev}, kept {hms(kept[dev])}, expired: dedupe wm {hms(dd_wm)} > kept + 500ms)")
            del kept[dev]
        dd_wm = t if dd_wm is None else max(dd_wm, t)
        if dev in kept and abs(t - kept[dev]) < DEDUPE:
            log.append(f"{n:>2} {hms(t)} {dev}: dedupe drop (last kept {hms(kept[dev])}, |dt| = {abs(t - kept[dev])}ms)")
            continue
        kept[dev] = t
        if not r["rssi"] >= -90:
            log.append(f"{n:>2} {hms(t)} {dev}: kept by dedupe, dropped by where (rssi {r['rssi']})")
            continue
        r["site"] = r["site"] if r["site"] is not None else "unassigned"
        if r["temp_c"] is None and r["temp_f"] is not None:
            r["temp_c"] = (r["temp_f"] - 32.0) * 5.0 / 9.0
        r["battery_v"] = r["battery_mv"] / 1e3 if r["battery_mv"] is not None else None
        if r["temp_c"] == -127.0:
            r["temp_c"] = None
        key = (dev, r["site"])
        lines[id(r)] = n
        last_start = t // SLIDE * SLIDE
        starts = [s for s in range(last_start - SIZE + SLIDE, last_start + 1, SLIDE)]
        open_starts = [s for s in starts if gb_wm is None or s + SIZE > gb_wm]
        is_late = len(open_starts) < len(starts)
        for s in open_starts:
            windows.setdefault(key + (s,), []).append(r)
        if is_late:
            late.append(r)
        gb_max = t if gb_max is None else max(gb_max, t)
        gb_wm = gb_max - DELAY
        what = "LATE -> late_readings; " if is_late else ""
        what += f"counts in windows starting {', '.join(hms(s)[:5] for s in open_starts) or 'none'}"
        log.append(f"{n:>2} {hms(t)} {dev}/{r['site']} temp_c={r['temp_c']} batt={r['battery_v']}: {what}; gb wm after = {hms(gb_wm)}")
        close(gb_wm)
    log.append("end of input")
    close(float("inf"))
    print("\n".join(log))

    def dump(name, rows):
        with open(os.path.join(HERE, "expected", name), "w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")

    contributing = [s.pop("_lines") for s in stats]
    dump("stats_table.jsonl", stats)
    dump("late_readings.jsonl", [dict(r, ts=fmt_ts(r["ts"])) for r in late])
    tech = [{"device_id": s["device_id"], "site": s["site"], "window_end": s["window_end"],
             "battery_v": round_half_away(s["min_battery_v"], 2)}
            for s in stats if s["min_battery_v"] is not None and s["min_battery_v"] <= LOW_BATTERY_V]
    dump("technician.jsonl", tech)
    print("\nstats_table rows:")
    for s, ls in zip(stats, contributing):
        print(f"  lines {ls}: {s['device_id']}/{s['site']} [{s['window_start'][11:16]}, {s['window_end'][11:16]}) n={s['readings']} "
              f"avg={s['avg_temp_c']} min={s['min_temp_c']} max={s['max_temp_c']} hum={s['avg_humidity']} batt={s['min_battery_v']}")


if __name__ == "__main__":
    main()

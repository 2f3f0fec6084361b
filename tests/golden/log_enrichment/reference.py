#!/usr/bin/env python3
"""Independent reference for tests/golden/log_enrichment.

Written from the language spec (shared/design/language.md) only (not from sluice's code):
- text source: every line is a record { line }; the `where` regex drops the
  rest (regex_match is a search, case-sensitive);
- split/replace are literal; regex_extract returns group 1 (or the given
  group), null when there is no match; parse_int returns null on bad input
  (including a number outside the int range); to_timestamp(string) of a
  malformed RFC 3339 string is a runtime fault -> on_error of app_logs
  (default skip: dropped from every reader of the named stream);
- tables: the whole file is loaded first; a later record with the same key
  replaces an earlier one; a bad owners line is skipped (on_error: skip);
- join = inner (unknown services dropped), left join keeps the record with
  the table's fields null; `latency_ms > slo_ms` with a null side is null.
- error_rates (processing-time window) depends on the wall clock; this script
  only prints the clock-independent totals per service (see NOTES.md).
Run: python3 reference.py  (rewrites expected/enriched.jsonl)
"""
import csv
import json
import os
import re
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
I64 = 2 ** 63
TS_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z$")


def to_timestamp(s):
    m = TS_RE.match(s)
    if not m:
        raise ValueError("malformed timestamp")
    y, mo, d, h, mi, sec, frac = m.groups()
    ms = int((frac[1:] + "000")[:3]) if frac else 0
    dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec), tzinfo=timezone.utc)  # raises on 13/45/99
    return int(dt.timestamp()) * 1000 + ms


def fmt_ts(ms):
    return datetime.fromtimestamp(ms // 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def regex_extract(s, pattern, group=None):
    m = re.search(pattern, s)
    if not m:
        return None
    if group is None:
        group = 1 if m.re.groups >= 1 else 0
    return m.group(group)


def parse_int(s):
    if s is None or not re.fullmatch(r"[+-]?\d+", s):
        return None
    v = int(s)
    return v if -I64 <= v < I64 else None


def main():
    owners = {}
    for line in open(os.path.join(HERE, "input/owners.jsonl")):
        if not line.strip():
            continue
        o = json.loads(line)
        if not all(isinstance(o.get(k), str) for k in ("service_name", "owner", "pager")) or not isinstance(o.get("slo_ms"), int):
            print(f"owners: skipped bad line {line.strip()}")
            continue
        owners[o["service_name"]] = o
    hosts = {}
    with open(os.path.join(HERE, "input/hosts.csv"), newline="") as f:
        for row in csv.DictReader(f):
            hosts[row["host_name"]] = row

    parsed = []
    for n, line in enumerate(open(os.path.join(HERE, "input/app_logs.txt")).read().split("\n")[:-1], start=1):
        if not re.search(r"^\d{4}-\d{2}-\d{2}T[^ ]+Z [A-Z]+ ", line):
            print(f"{n:>2} dropped by where: {line[:50]!r}")
            continue
        parts = line.replace("\t", " ").split(" ")
        try:
            logged_at = to_timestamp(parts[0])
        except ValueError as e:
            print(f"{n:>2} runtime fault in to_timestamp ({e}): skipped")
            continue
        host = regex_extract(line, r"host=([^ ]+)")
        r = {
            "logged_at": logged_at,
            "level": parts[1],
            "service": parts[2].lower(),
            "host": host if host is not None else "unknown",
            "status": parse_int(regex_extract(line, r"status=(\d{3})")),
            "latency_ms": parse_int(regex_extract(line, r"latency_ms=(\d+)")),
            "route": regex_extract(line, r'req="([A-Z]+) ([^"]+)"', 2),
            "msg": regex_extract(line, r'msg="([^"]*)"'),
            "_n": n,
        }
        parsed.append(r)

    enriched = []
    for r in parsed:
        o = owners.get(r["service"])
        if o is None:
            print(f"{r['_n']:>2} service {r['service']!r} not in owners: dropped by join")
            continue
        h = hosts.get(r["host"])
        slo_breach = None if r["latency_ms"] is None else r["latency_ms"] > o["slo_ms"]
        enriched.append({
            "logged_at": fmt_ts(r["logged_at"]), "level": r["level"], "service": r["service"],
            "owner": o["owner"], "pager": o["pager"], "host": r["host"],
            "datacenter": h["datacenter"] if h else None, "rack": h["rack"] if h else None,
            "status": r["status"], "latency_ms": r["latency_ms"], "slo_breach": slo_breach,
            "route": r["route"], "msg": r["msg"],
        })
        print(f"{r['_n']:>2} enriched: {r['service']} host={r['host']} dc={enriched[-1]['datacenter']} breach={slo_breach}")
    with open(os.path.join(HERE, "expected/enriched.jsonl"), "w") as f:
        for e in enriched:
            f.write(json.dumps(e) + "\n")

    totals = {}
    for r in parsed:
        if r["level"] == "ERROR" or (r["status"] if r["status"] is not None else 0) >= 500:
            t = totals.setdefault(r["service"], {"errors": 0, "hosts": set(), "slow_errors": 0, "msgs": []})
            t["errors"] += 1
            t["hosts"].add(r["host"])
            t["slow_errors"] += 1 if (r["latency_ms"] if r["latency_ms"] is not None else 0) > 1000 else 0
            if r["msg"] is not None:
                t["msgs"].append(r["msg"])
    print("\nerror_rates totals per service over all windows (clock-independent):")
    for s, t in sorted(totals.items()):
        print(f"  {s}: errors={t['errors']} hosts={sorted(t['hosts'])} slow_errors={t['slow_errors']} msgs={t['msgs']}")


if __name__ == "__main__":
    main()

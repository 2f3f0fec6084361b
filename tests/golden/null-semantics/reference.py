#!/usr/bin/env python3
"""Independent reference for tests/golden/null-semantics/pipeline.pipe.

None is SQL null. Rules from the spec: operations on null give null; && and ||
use SQL three-valued logic; `where` keeps only true; `if` takes `else` on a null
condition; `x ?? d` / coalesce take the first non-null (int/float unify to
float); float division by zero gives null; aggregates skip nulls, and
sum/avg/min/max of no value are null, count(x) counts non-nulls, count() rows,
collect of nothing is [], first/last are the first/last non-null value."""
import calendar, json, re, time
from pathlib import Path

HERE = Path(__file__).parent


def parse_ts(v):
    if v is None or isinstance(v, int):
        return v
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", v)
    y, mo, d, h, mi, s, frac, tz = m.groups()
    ms = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s))) * 1000 + int((frac or "0")[:3].ljust(3, "0"))
    if tz != "Z":
        off = (int(tz[1:3]) * 60 + int(tz[4:6])) * 60_000
        ms -= off if tz[0] == "+" else -off
    return ms


def fmt_ts(ms):
    if ms is None:
        return None
    secs, milli = divmod(ms, 1000)
    t = time.gmtime(secs)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, milli)


def AND(a, b):
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def OR(a, b):
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def NOT(a):
    return None if a is None else not a


def op(f, *args):  # any null operand -> null
    return None if any(v is None for v in args) else f(*args)


def fdiv(a, b):  # float division: by zero -> null
    return op(lambda p, q: None if q == 0 else float(p) / float(q), a, b)


def coalesce(*args):
    return next((v for v in args if v is not None), None)


def as_float(v):
    return None if v is None else float(v)


rows = []
for line in (HERE / "input/recs.jsonl").read_text().splitlines():
    if line.strip():
        r = json.loads(line)
        rows.append({
            "id": r["id"], "g": r["g"], "a": r.get("a"), "b": r.get("b"), "x": r.get("x"),
            "y": as_float(r.get("y")), "s": r.get("s"), "t2": parse_ts(r.get("t2")), "ts": parse_ts(r["ts"]),
        })

values, kept = [], []
for r in rows:
    a, b, x, y, s, t2, ts = r["a"], r["b"], r["x"], r["y"], r["s"], r["t2"], r["ts"]
    x_gt_5 = op(lambda p: p > 5, x)
    values.append({
        "id": r["id"],
        "a_and_b": AND(a, b),
        "a_or_b": OR(a, b),
        "not_a": NOT(a),
        "x_plus_1": op(lambda p: p + 1, x),
        "neg_x": op(lambda p: -p, x),
        "x_times_y": op(lambda p, q: p * q, x, y),
        "ten_over_y": fdiv(10.0, y),
        "x_over_y": fdiv(x, y),
        "y_over_0": fdiv(y, 0),
        "x_gt_5": x_gt_5,
        "s_eq_k": op(lambda p: p == "k", s),
        "s_ne_k": op(lambda p: p != "k", s),
        "x_or_minus1": coalesce(x, -1),
        "x_or_y_or_half": as_float(coalesce(as_float(x), y, 0.5)),  # float: x ?? y unifies to float
        "first_str": coalesce(s, "none"),
        "first_num": as_float(coalesce(x, y, 0)),  # float
        "s_is_null": s is None,
        "x_plus_1_is_null": op(lambda p: p + 1, x) is None,
        "size": "big" if x_gt_5 is True else "small",
        "loud": op(lambda p: p.upper() + "!", s),
        "s_len": op(len, s),
        "gap": op(lambda p, q: p - q, t2, ts),
        "later": op(lambda p, q: p > q, t2, ts),
    })
    if OR(a, x_gt_5) is True:
        kept.append({"rule": "a || x > 5", "id": r["id"]})
    if NOT(AND(a, b)) is True:
        kept.append({"rule": "!(a && b)", "id": r["id"]})
    if (False if x_gt_5 is True else True) is True:
        kept.append({"rule": "if x > 5 then false else true", "id": r["id"]})

totals = []
for g in sorted({r["g"] for r in rows}):
    grp = [r for r in rows if r["g"] == g]  # arrival order
    xs = [r["x"] for r in grp if r["x"] is not None]
    ys = [r["y"] for r in grp if r["y"] is not None]
    ss = [r["s"] for r in grp if r["s"] is not None]
    t2s = [r["t2"] for r in grp if r["t2"] is not None]
    totals.append({
        "g": g,
        "rows": len(grp),
        "xs": len(xs),
        "sum_x": sum(xs) if xs else None,
        "avg_x": sum(xs) / len(xs) if xs else None,
        "min_x": min(xs) if xs else None,
        "max_x": max(xs) if xs else None,
        "sum_y": sum(ys) if ys else None,
        "avg_y": sum(ys) / len(ys) if ys else None,
        "min_s": min(ss) if ss else None,
        "max_s": max(ss) if ss else None,
        "first_s": ss[0] if ss else None,
        "last_s": ss[-1] if ss else None,
        "all_s": ss,
        "distinct_s": len(set(ss)),
        "max_t2": fmt_ts(max(t2s)) if t2s else None,
    })

(HERE / "expected").mkdir(exist_ok=True)
for name, recs in (("values", values), ("kept", kept), ("totals", totals)):
    (HERE / f"expected/{name}.jsonl").write_text("".join(json.dumps(v) + "\n" for v in recs))

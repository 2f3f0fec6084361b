#!/usr/bin/env python3
"""Independent reference for tests/golden/functions/pipeline.pipe.

Each built-in is re-implemented from the spec's wording (Decisions: Functions,
Arithmetic; docs/language.md section 10), not from sluice's code."""
import calendar, json, math, re, time
from decimal import Decimal, ROUND_HALF_UP
from pathlib import Path

HERE = Path(__file__).parent
I64_MIN, I64_MAX = -2**63, 2**63 - 1


def parse_ts(v):
    """JSON timestamp / to_timestamp(string): epoch millis or RFC 3339; sub-ms digits truncated."""
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
    secs, milli = divmod(ms, 1000)  # floor division: correct before 1970 too
    t = time.gmtime(secs)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, milli)


def date_trunc(unit, ms):  # UTC calendar units: the start of the second/minute/hour/day containing ms
    size = {"second": 1000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000}[unit]
    return ms - ms % size  # Python % floors, so 1969 instants go back, not forward


def idiv(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def imod(a, b):
    return a - b * idiv(a, b)


def round_half_away(x, digits=0):
    """Half away from zero on the float's shortest decimal form (round(2.675, 2) = 2.68),
    as Spark's round on a double does (BigDecimal of Double.toString, HALF_UP)."""
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def substr(s, start, n=None):  # 0-based character positions, clamped to the string
    start = min(max(start, 0), len(s))
    return s[start:] if n is None else s[start:start + max(n, 0)]


def regex_extract(s, pattern, group=None):
    m = re.search(pattern, s)
    if m is None:
        return None
    if group is None:
        group = 1 if re.compile(pattern).groups >= 1 else 0
    return m.group(group)  # None when the group did not take part


def string_of_float(x):
    """Shortest round-trip digits; integral values without ".0" (as decided for
    fraud_rules: 2500.0 -> "2500"); exponent written as in the reference's `1e21`."""
    r = repr(x)
    if "e" in r:
        mant, exp = r.split("e")
        r = mant + "e" + str(int(exp))
    if r.endswith(".0"):
        r = r[:-2]
    return r


def parse_int(s):
    if not re.fullmatch(r"-?[0-9]+", s):
        return None
    v = int(s)
    return v if I64_MIN <= v <= I64_MAX else None


def parse_float(s):
    if not re.fullmatch(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", s):
        return None
    return float(s)


def int_of_string(s):
    v = parse_int(s)
    assert v is not None, f"int({s!r}) would fault: fixture error"
    return v


def read(name):
    return [json.loads(l) for l in (HERE / f"input/{name}.jsonl").read_text().splitlines() if l.strip()]


str_out = []
for r in read("strs"):
    s, n = r["s"], r["n"]
    g = "([a-z]+)-([0-9]+)"
    str_out.append({
        "id": r["id"],
        "lower": s.lower(),
        "upper": s.upper(),
        "trimmed": s.strip(),
        "chars": len(s),
        "head3": substr(s, 0, 3),
        "from2": substr(s, 2),
        "mid": substr(s, 1, 4),
        "tail_clamped": substr(s, 3, 100),
        "past_end": substr(s, 50),
        "at_n": substr(s, n, 2),
        "dots": s.replace(".", "-"),
        "aa": s.replace("aa", "b"),
        "parts": s.split("."),
        "n_parts": len(s.split(".")),
        "has_empty_part": "" in s.split("."),
        "pipes": s.split("|"),
        "joined": s + "|" + s.upper(),
        "one": s,
        "has_dot": "." in s,
        "starts_a": s.startswith("a"),
        "ends_c": s.endswith("c"),
        "m_digits": re.search("[0-9]+", s) is not None,
        "m_anchored": re.search("^[0-9]+$", s) is not None,
        "g1": regex_extract(s, g),
        "g2": regex_extract(s, g, 2),
        "g0": regex_extract(s, g, 0),
        "whole": regex_extract(s, "[0-9]+"),
        "opt": regex_extract(s, "(x)?y"),
    })

num_out = []
for r in read("nums"):
    i, f, d = r["i"], float(r["f"]), r["d"]
    num_out.append({
        "id": r["id"],
        "abs_i": abs(i),
        "abs_f": abs(f),
        "round_i": i,
        "round_f": round_half_away(f),
        "round2": round_half_away(f, 2),
        "round0": round_half_away(f, 0),
        "floor_i": i,
        "floor_f": float(math.floor(f)),
        "ceil_i": i,
        "ceil_f": float(math.ceil(f)),
        "min_i": min(i, 3),
        "max_f": max(f, 0.5),
        "quot": idiv(i, d),
        "rem": imod(i, d),
        "fquot": f / d,
        "mixed": i + f,
        "i_lt_f": i < f,
    })

conv_out = []
for r in read("convs"):
    t = parse_ts(r["t"])
    conv_out.append({
        "id": r["id"],
        "int_f": int(r["fi"]),  # truncates toward zero
        "int_b": 1 if r["b"] else 0,
        "int_t": t,
        "int_d": t,
        "int_s": int_of_string(r["istr"]),
        "float_i": float(r["i"]),
        "float_s": float(r["ns"]),
        "str_i": str(r["i"]),
        "str_f": string_of_float(float(r["fs"])),
        "str_b": "true" if r["b"] else "false",
        "str_t": fmt_ts(t),
        "str_d": str(t),
        "str_s": r["s"],
        "pi": parse_int(r["s"]),
        "pf": parse_float(r["s"]),
    })

time_out = []
for r in read("times"):
    t, u = parse_ts(r["t"]), parse_ts(r["u"])
    time_out.append({
        "id": r["id"],
        "t": fmt_ts(t),
        "sec": fmt_ts(date_trunc("second", t)),
        "minute": fmt_ts(date_trunc("minute", t)),
        "hour": fmt_ts(date_trunc("hour", t)),
        "day": fmt_ts(date_trunc("day", t)),
        "t_ms": t,
        "span": u - t,  # a duration: integer millis in JSON
        "span_ms": u - t,
        "neg_span": -(u - t),
        "long_span": u - t > 3_600_000,
        "back": fmt_ts(r["ms"]),
        "parsed": fmt_ts(parse_ts(r["txt"])),
        "plus": fmt_ts(t + 90 * 60_000),
        "minus": fmt_ts(t - 86_400_000),
        "later": fmt_ts(max(t, u)),
        "earlier": fmt_ts(min(t, u)),
        "clock_after_epoch": True,
    })

(HERE / "expected").mkdir(exist_ok=True)
for name, recs in (("str_out", str_out), ("num_out", num_out), ("conv_out", conv_out), ("time_out", time_out)):
    (HERE / f"expected/{name}.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in recs))

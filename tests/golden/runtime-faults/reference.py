#!/usr/bin/env python3
"""Independent reference for tests/golden/runtime-faults/pipeline.pipe.

Python ints are unbounded, so every int result is checked against the i64 range
(outside it: an overflow fault). int / and % truncate toward zero. `&&`/`||`
short-circuit. A faulting record goes to its source's dead-letter sink as
{source, topic, partition, offset, stage, error, payload, payload_encoding};
for a file: topic = the path given to --input, partition 0, offset = the
1-based line number (blank lines count as lines but carry no record).

Division faults have a documented message ("division by zero in A / B") and
stage name ("div_checks [3] select"), so only div_dead is
written; misc_dead's messages are unspecified and it is left unchecked."""
import json
import re
from pathlib import Path

HERE = Path(__file__).parent
TOPIC_DIR = "tests/golden/runtime-faults/input"  # sluice test runs from the repo root
I64_MIN, I64_MAX = -2**63, 2**63 - 1


class Fault(Exception):
    pass


def chk(v):
    if not I64_MIN <= v <= I64_MAX:
        raise Fault("overflow")
    return v


def idiv(a, b):
    if a is None or b is None:
        return None
    if b == 0:
        raise Fault(f"division by zero in {a} / {b}")
    q = abs(a) // abs(b)
    return chk(q if (a >= 0) == (b >= 0) else -q)


def imod(a, b):
    if a is None or b is None:
        return None
    if b == 0:
        raise Fault(f"division by zero in {a} % {b}")
    q = abs(a) // abs(b)
    q = q if (a >= 0) == (b >= 0) else -q
    return a - b * q  # always in range (|result| < |b|): MIN % -1 is 0, not a fault


def index(xs, i):
    if i < 0 or i >= len(xs):
        raise Fault("index out of range")
    return xs[i]


def int_of_string(s):  # "the decimal integer it holds; anything else is a fault"
    if not re.fullmatch(r"-?[0-9]+", s):
        raise Fault("invalid int")
    return chk(int(s))


def int_of_float(f):
    if f != f:
        raise Fault("NaN")
    t = int(f)  # truncates toward zero
    return chk(t)


def lines(name):
    raw = (HERE / "input" / name).read_bytes().split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    for number, payload in enumerate(raw, start=1):
        if payload.strip():
            yield number, payload


def dead(source, number, payload, stage, error):
    return {"source": source, "topic": f"{TOPIC_DIR}/{source}.jsonl", "partition": 0, "offset": number,
            "stage": stage, "error": error, "payload": payload.decode("utf-8"), "payload_encoding": "utf8"}


div_good, div_dead = [], []
for number, payload in lines("divs.jsonl"):
    r = json.loads(payload)
    a, b, v, w, c = r["a"], r["b"], r["v"], r["w"], r.get("c")
    # Dead letters name the stage as `PIPELINE [POSITION] KEYWORD` and the fault with
    # its operands (docs/language.md, dead letters).
    stage = "div_checks [1] where"
    try:
        if not (b == 0 or idiv(a, v) > -100):
            continue
        stage = "div_checks [2] where"
        if not (w != 0 and idiv(100, w) > 0):
            continue
        stage = "div_checks [3] select"
        div_good.append({"id": r["id"], "q": idiv(a, b), "r": imod(a, 3), "cq": idiv(a, c)})
    except Fault as e:
        div_dead.append(dead("divs", number, payload, stage, str(e)))

misc_good = []
for number, payload in lines("misc.jsonl"):
    try:
        r = json.loads(payload.decode("utf-8"))
        if any(not isinstance(r.get(k), int) for k in ("p", "q", "m1", "m2", "d1", "d2", "i", "n", "num", "den", "rn", "rd")):
            raise Fault("decode")
        misc_good.append({
            "id": r["id"],
            "sum": chk(r["p"] + r["q"]),
            "prod": chk(r["m1"] * r["m2"]),
            "diff": chk(r["d1"] - r["d2"]),
            "el": index(r["xs"], r["i"]),
            "conv": int_of_string(r["s"]),
            "neg": chk(-r["n"]),
            "magnitude": chk(abs(r["n"])),
            "quot": idiv(r["num"], r["den"]),
            "rem": imod(r["rn"], r["rd"]),
            "trunc": int_of_float(float(r["f"])),
        })
    except (Fault, KeyError, UnicodeDecodeError, json.JSONDecodeError):
        pass  # -> misc_dead (not checked)

(HERE / "expected").mkdir(exist_ok=True)
for name, recs in (("div_good", div_good), ("div_dead", div_dead), ("misc_good", misc_good)):
    (HERE / f"expected/{name}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in recs))

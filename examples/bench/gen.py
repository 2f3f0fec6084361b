#!/usr/bin/env python3
"""Generates the benchmark input: N click records as JSON lines, deterministically.

    gen.py [N] > clicks.jsonl        (N defaults to 2,000,000)

Each line is {"user_id": "u123", "url": "/p/42/...", "bytes": 5120,
"ts": "2026-11-24T14:40:00.123Z"}: about 1000 distinct urls with a Zipf-ish
popularity (weight 1/rank), 50,000 user ids, bytes uniform in 0..=10000, and
timestamps advancing 1ms per record with up to ~400ms of out-of-order jitter
(plus a rare ~8s straggler, so the windowed workload sees late records).
The output depends only on N and the fixed seed.
"""
import bisect
import random
import sys
import time

SEED = 20261124
URLS = 1000
USERS = 50_000
START_MS = 1_795_531_200_000  # 2026-11-24T14:40:00.000Z
SECTIONS = ["product", "cart", "search", "blog", "account", "help", "api/v1/items", "category"]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    rng = random.Random(SEED)
    urls = [f"/{SECTIONS[i % len(SECTIONS)]}/{i}" + ("/reviews" if i % 7 == 0 else "") for i in range(URLS)]
    cumulative, total = [], 0.0
    for rank in range(1, URLS + 1):
        total += 1.0 / rank
        cumulative.append(total)
    # Precompute the per-second prefix of every timestamp: formatting is the slow part.
    prefix_cache = {}
    out = sys.stdout
    buf = []
    rand = rng.random
    randrange = rng.randrange
    for i in range(n):
        url = urls[min(bisect.bisect_left(cumulative, rand() * total), URLS - 1)]
        user = randrange(USERS)
        nbytes = randrange(10_001)
        jitter = randrange(400)
        if randrange(2000) == 0:
            jitter = 8000 + randrange(2000)  # a straggler: later than the 5s watermark delay
        ms = START_MS + i - jitter
        sec, milli = divmod(ms, 1000)
        prefix = prefix_cache.get(sec)
        if prefix is None:
            prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
            if len(prefix_cache) > 64:
                prefix_cache.clear()
            prefix_cache[sec] = prefix
        buf.append(f'{{"user_id":"u{user}","url":"{url}","bytes":{nbytes},"ts":"{prefix}.{milli:03d}Z"}}\n')
        if len(buf) >= 10_000:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))


if __name__ == "__main__":
    main()

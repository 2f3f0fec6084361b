#!/usr/bin/env python3
"""What a read_committed consumer must see in a topic, computed from the broker's
own log (nisshi's SQLite storage), independently of the pipeline and of the client.

nisshi 0.7.0 writes transaction markers (control records) into the log but does not
send the aborted-transactions list in fetch responses, so clients cannot filter
aborted records. This applies Kafka's rule directly: per partition, in offset order,
a transactional record is visible once a COMMIT marker of its producer follows it,
and dropped at an ABORT marker; records of a transaction still open are not visible;
non-transactional records are visible at once.

usage: read_committed.py BROKER_DB TOPIC   (prints each visible payload on a line)
"""
import sqlite3
import sys

TRANSACTIONAL = 0x10
CONTROL = 0x20


def main(db_path, topic):
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    topitions = db.execute(
        "select topition.id, topition.partition from topition join topic on topition.topic = topic.id "
        "where topic.name = ? order by topition.partition",
        (topic,),
    ).fetchall()
    if not topitions:
        sys.exit(f"no topic {topic!r} in {db_path}")
    for topition, _partition in topitions:
        pending = {}  # producer id -> payloads of its open transaction
        rows = db.execute(
            "select offset_id, attributes, producer_id, k, v from record where topition = ? order by offset_id",
            (topition,),
        )
        for _offset, attributes, producer, key, value in rows:
            attributes = attributes or 0
            if attributes & CONTROL:
                # Control record key: int16 version, int16 type (0 = abort, 1 = commit).
                kind = int.from_bytes(bytes(key)[2:4], "big") if key else -1
                records = pending.pop(producer, [])
                if kind == 1:
                    for payload in records:
                        print(payload)
                continue
            payload = bytes(value or b"").decode("utf-8")
            if attributes & TRANSACTIONAL:
                pending.setdefault(producer, []).append(payload)
            else:
                print(payload)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

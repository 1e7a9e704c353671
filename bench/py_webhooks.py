"""Webhook handling through the Python binding: every delivery of a file (one
batch body a line) through ``client.webhooks.handle``; prints one JSON line.

    python bench/py_webhooks.py DELIVERIES_FILE SECRET"""

import json
import resource
import sys
import time

import passfort


def main() -> None:
    path, secret = sys.argv[1], sys.argv[2]
    with open(path, "rb") as file:
        deliveries = file.read().splitlines()
    client = passfort.Client("unused", base_url="http://127.0.0.1:9", webhook_secret=secret)
    headers = {"Authorization": f"Bearer {secret}"}
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    events = 0
    for body in deliveries:
        events += len(client.webhooks.handle(body, headers))
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"contender": "python", "events": events, "seconds": seconds, "cpu_seconds": cpu,
                      "peak_rss_kb": after.ru_maxrss}))


if __name__ == "__main__":
    main()

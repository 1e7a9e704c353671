"""Waiting at scale: N concurrent checks started and waited for in one Python
process, by passfort's ``run_check_and_wait`` or by a hand-written httpx loop
that polls each check every second. Prints one JSON line.

    python bench/py_wait.py VARIANT --emulator-url URL --base-url URL/4.0 --api-key KEY \
        --profiles FILE --checks N [--webhook-secret S]

VARIANT: passfort-webhooks (async mode, the built-in listener receives the
emulator's batched webhooks), passfort-polling (async mode, no webhooks),
passfort-sync (the default sync mode), httpx-poll-loop.

Besides the totals, the line carries ``resolved_ms`` (each check id: when its
waiter resolved, ms since the epoch, for the per-check lag against the
emulator's ``completed_ms``) and ``rss_timeline_kb`` (``[ms since start, KB]``
every 100 ms)."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import threading
import time
import urllib.request
from typing import Any, Awaitable, Callable, Dict, List


def admin_put_webhook(base_url: str, body: dict) -> None:
    request = urllib.request.Request(
        base_url + "/_emulator/webhook", data=json.dumps(body).encode(), method="PUT",
        headers={"content-type": "application/json"},
    )
    urllib.request.urlopen(request).read()


async def passfort_waits(args: argparse.Namespace, profiles: List[str]) -> Callable[[int], Awaitable[object]]:
    import passfort

    client = passfort.AsyncClient(args.api_key, base_url=args.base_url, webhook_secret=args.webhook_secret)
    mode = "sync" if args.variant == "passfort-sync" else "async"
    if args.variant == "passfort-webhooks":
        server = client.webhooks.serve()
        admin_put_webhook(args.emulator_url, {"url": server.url, "secret": args.webhook_secret, "batching": True})
        args.keep_alive = server
    else:
        admin_put_webhook(args.emulator_url, {"url": None})

    # The awaitable itself, not a coroutine around it: one frame less a wait.
    def wait(index: int) -> Awaitable[object]:
        return client.run_check_and_wait(profiles[index % len(profiles)], "IDENTITY_CHECK", mode=mode)

    return wait


async def httpx_waits(args: argparse.Namespace, profiles: List[str]) -> Callable[[int], Awaitable[object]]:
    import httpx

    admin_put_webhook(args.emulator_url, {"url": None})
    http = httpx.AsyncClient(base_url=args.base_url, headers={"apikey": args.api_key}, timeout=httpx.Timeout(120.0))
    # At most as many requests in flight as httpx has connections (100 by
    # default): with 10,000 queued for its pool, httpx spends minutes
    # shuffling the queue and sends almost nothing.
    in_flight = asyncio.Semaphore(100)

    async def send(method: str, path: str, **options: object) -> dict:
        async with in_flight:
            response = await http.request(method, path, **options)  # type: ignore[arg-type]
        response.raise_for_status()
        return response.json()

    async def wait(index: int) -> object:
        profile = profiles[index % len(profiles)]
        check = await send("POST", f"/profiles/{profile}/checks", params={"mode": "async"},
                           json={"check_type": "IDENTITY_CHECK"})
        while check["state"] != "COMPLETE":
            await asyncio.sleep(1.0)
            check = await send("GET", f"/profiles/{profile}/checks/{check['id']}")
        return check

    return wait


def check_id(check: Any) -> str:
    return check["id"] if isinstance(check, dict) else check.id


class RssTimeline:
    """Resident set size every 100 ms, from a thread: the event loop may be too busy to sample."""

    def __init__(self) -> None:
        self.samples: List[List[int]] = []
        self.started = time.perf_counter()
        self.stopped = threading.Event()
        self.page_kb = resource.getpagesize() // 1024
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        self.samples.append([round((time.perf_counter() - self.started) * 1000), pages * self.page_kb])

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            self.sample()

    def stop(self) -> List[List[int]]:
        self.stopped.set()
        self.thread.join()
        self.sample()
        return self.samples


async def main(args: argparse.Namespace) -> None:
    with open(args.profiles) as file:
        profiles = file.read().split()
    make = httpx_waits if args.variant == "httpx-poll-loop" else passfort_waits
    wait = await make(args, profiles)
    # Check id -> when its waiter resolved (ms since the epoch).
    resolved_ms: Dict[str, float] = {}

    def resolved(task: "asyncio.Future[object]") -> None:
        if not task.cancelled() and task.exception() is None:
            resolved_ms[check_id(task.result())] = time.time() * 1000

    def started_wait(index: int) -> "asyncio.Future[object]":
        task = asyncio.ensure_future(wait(index))
        task.add_done_callback(resolved)
        return task

    rss = RssTimeline()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    # As an application would: gather the waits; a done callback notes when each resolved.
    await asyncio.gather(*(started_wait(index) for index in range(args.checks)))
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    timeline = rss.stop()
    print(json.dumps({
        "variant": args.variant,
        "resolved": len(resolved_ms),
        "seconds": seconds,
        "last_resolved_ms": max(resolved_ms.values()),
        "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime,
        "peak_rss_kb": usage.ru_maxrss,
        "rss_timeline_kb": timeline,
        "resolved_ms": resolved_ms,
    }))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("variant", choices=["passfort-webhooks", "passfort-polling", "passfort-sync", "httpx-poll-loop"])
    parser.add_argument("--emulator-url", required=True, help="the emulator itself, for its admin API")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--profiles", required=True)
    parser.add_argument("--checks", type=int, default=10_000)
    parser.add_argument("--webhook-secret", default="bench-webhook-secret")
    asyncio.run(main(parser.parse_args()))

"""A fleet of Python workers waiting for checks, with and without Redis.

    python bench/py_fleet.py worker --index I --checks N --profiles FILE --base-url URL/4.0 \
        --api-key KEY [--redis-url URL] [--receiver]

One worker process: ``N`` concurrent ``run_check_and_wait`` (async mode). The
receiver (worker 0) also answers PassFort's webhooks with a small aiohttp
endpoint that hands each body to ``client.webhooks.handle`` and notes, per
check, when its webhook arrived. Every worker waits for a line on stdin before
it starts, so that the fleet starts together, and prints one JSON line: when
each of its checks resolved, and (the receiver) when each webhook was handled.

``bench/harness.py`` starts redis-server, the emulator and the workers, and
derives requests per check, the lag after the emulator finished each check,
the fan-out lag (the webhook arrived at the receiver -> the waiter in another
worker resolved: an upper bound of "``handle`` returned -> resolved", as it
includes ``handle`` itself) and each worker's peak RSS."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from typing import Dict


async def receiver(client: object, handled: Dict[str, float]) -> str:
    from aiohttp import web

    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        received = time.time()
        events = client.webhooks.handle(body, list(request.headers.items()))  # type: ignore[attr-defined]
        for event in events:
            check_id = getattr(event, "check_id", None)
            if check_id:
                handled.setdefault(check_id, received)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/webhooks", webhook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return f"http://127.0.0.1:{port}/webhooks"


async def worker(args: argparse.Namespace) -> None:
    import passfort

    with open(args.profiles) as file:
        profiles = file.read().split()
    options = {"redis_url": args.redis_url} if args.redis_url else {}
    client = passfort.AsyncClient(args.api_key, base_url=args.base_url, webhook_secret=args.webhook_secret, **options)
    handled: Dict[str, float] = {}
    url = await receiver(client, handled) if args.receiver else None
    print(json.dumps({"ready": True, "webhook_url": url}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

    resolved: Dict[str, float] = {}

    async def wait(index: int) -> None:
        profile = profiles[(index * 7 + args.index) % len(profiles)]
        check = await client.run_check_and_wait(profile, "IDENTITY_CHECK", mode="async", wait_timeout=600)
        resolved[check.id] = time.time()

    started = time.perf_counter()
    await asyncio.gather(*(wait(index) for index in range(args.checks)))
    seconds = time.perf_counter() - started
    if args.receiver:
        # Webhooks for the other workers' checks may still be coming.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "index": args.index,
        "resolved": {check: at * 1000 for check, at in resolved.items()},
        "handled": {check: at * 1000 for check, at in handled.items()},
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_kb": usage.ru_maxrss,
    }), flush=True)
    await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["worker"])
    parser.add_argument("--index", type=int, required=True)
    parser.add_argument("--checks", type=int, required=True)
    parser.add_argument("--profiles", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--webhook-secret", default="bench-webhook-secret")
    parser.add_argument("--redis-url")
    parser.add_argument("--receiver", action="store_true")
    asyncio.run(worker(parser.parse_args()))

"""One contender of the GET benchmark: read the same check N times and decode
it, at a given concurrency, then print one JSON line of measurements.

    python bench/py_get.py CONTENDER --base-url URL --api-key KEY \
        --profile ID --check ID --calls N --concurrency C

Async contenders run C workers that share the N calls; blocking ones loop."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from typing import Awaitable, Callable


async def drive(call: Callable[[], Awaitable[object]], calls: int, concurrency: int) -> None:
    remaining = calls

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def run_async(args: argparse.Namespace) -> None:
    path = f"/profiles/{args.profile}/checks/{args.check}"

    async def main() -> None:
        if args.contender == "passfort-async":
            import passfort

            client = passfort.AsyncClient(args.api_key, base_url=args.base_url)

            async def call() -> object:
                return await client.get_check(args.profile, args.check)
        elif args.contender == "httpx-async":
            import httpx

            limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
            client = httpx.AsyncClient(base_url=args.base_url, headers={"apikey": args.api_key}, limits=limits)

            async def call() -> object:
                response = await client.get(path)
                response.raise_for_status()
                return response.json()
        elif args.contender == "aiohttp":
            import aiohttp

            session = aiohttp.ClientSession(
                headers={"apikey": args.api_key}, connector=aiohttp.TCPConnector(limit=args.concurrency)
            )
            url = args.base_url + path

            async def call() -> object:
                async with session.get(url) as response:
                    response.raise_for_status()
                    return await response.json()
        else:
            raise SystemExit(f"unknown contender {args.contender}")
        await drive(call, args.concurrency * 4, args.concurrency)  # warm up: connections open
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        await drive(call, args.calls, args.concurrency)
        report(args, started, before)

    asyncio.run(main())


def report(args: argparse.Namespace, started: float, before: resource.struct_rusage) -> None:
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"contender": args.contender, "calls": args.calls, "seconds": seconds,
                      "cpu_seconds": cpu, "peak_rss_kb": after.ru_maxrss}))


def run_blocking(args: argparse.Namespace) -> None:
    path = f"/profiles/{args.profile}/checks/{args.check}"
    if args.contender == "passfort-blocking":
        import passfort

        client = passfort.Client(args.api_key, base_url=args.base_url)

        def call() -> object:
            return client.get_check(args.profile, args.check)
    elif args.contender == "httpx-blocking":
        import httpx

        http = httpx.Client(base_url=args.base_url, headers={"apikey": args.api_key})

        def call() -> object:
            response = http.get(path)
            response.raise_for_status()
            return response.json()
    elif args.contender == "requests":
        import requests

        session = requests.Session()
        session.headers["apikey"] = args.api_key
        url = args.base_url + path

        def call() -> object:
            response = session.get(url)
            response.raise_for_status()
            return response.json()
    else:
        raise SystemExit(f"unknown contender {args.contender}")
    for _ in range(20):
        call()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    for _ in range(args.calls):
        call()
    report(args, started, before)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("contender")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--check", required=True)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    if args.contender in ("passfort-async", "httpx-async", "aiohttp"):
        run_async(args)
    else:
        run_blocking(args)


if __name__ == "__main__":
    main()

"""One contender of the GET benchmark: read the same check N times and decode
it, then print one JSON line of measurements.

    python bench/py_get.py CONTENDER --base-url URL --api-key KEY \
        --profile ID --check ID --calls N [--concurrency C] [--loop asyncio|uvloop] [--rate R]

Closed loop (the default): async contenders run C workers that share the N
calls; blocking ones loop. CPU is the process's own (getrusage, all threads).

Open loop (``--rate R``): call i is due at start + i/R whether or not the
earlier ones have answered (async contenders start a task for each; blocking
ones send as soon as the previous call returns), and its latency is measured
from that due time, so a client that stalls is charged for the calls it kept
waiting (no coordinated omission).

Every contender returns the check decoded: passfort into its ``Check`` model,
the others into dicts (the JSON decoder each is named with)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from typing import Awaitable, Callable, List, Tuple

ASYNC = ("passfort-async", "pyreqwest-async", "aiohttp-orjson", "httpx-async", "httpx-async-best", "httpx2-async")
HTTPX_BEST_CONNECTIONS = 4
BLOCKING = ("passfort-blocking", "pyreqwest-blocking", "httpx-blocking", "requests")


async def closed_loop(call: Callable[[], Awaitable[object]], calls: int, concurrency: int) -> None:
    remaining = calls

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def open_loop(call: Callable[[], Awaitable[object]], calls: int, rate: float) -> List[float]:
    """Starts call i at its due time; returns each call's latency from its due time, in ms."""
    latencies: List[float] = []
    interval = 1.0 / rate

    async def timed(due: float) -> None:
        await call()
        latencies.append((time.perf_counter() - due) * 1000)

    tasks = []
    start = time.perf_counter()
    sent = 0
    while sent < calls:
        now = time.perf_counter()
        due_count = min(calls, int((now - start) / interval) + 1)
        while sent < due_count:
            tasks.append(asyncio.ensure_future(timed(start + sent * interval)))
            sent += 1
        await asyncio.sleep(max(0.0, start + sent * interval - time.perf_counter()))
    await asyncio.gather(*tasks)
    return latencies


Close = Callable[[], Awaitable[object]]


async def async_call(args: argparse.Namespace) -> Tuple[Callable[[], Awaitable[object]], Close]:
    """The contender's call, and what closes its client before the loop ends."""
    path = f"/profiles/{args.profile}/checks/{args.check}"
    url = args.base_url + path
    if args.contender == "passfort-async":
        import passfort

        client = passfort.AsyncClient(args.api_key, base_url=args.base_url)

        async def call() -> object:
            return await client.get_check(args.profile, args.check)

        return call, nothing
    if args.contender == "pyreqwest-async":
        from pyreqwest.client import ClientBuilder

        # The body is decoded by pyreqwest's own Response.json() (serde, in Rust).
        rclient = (ClientBuilder().default_headers({"apikey": args.api_key}).max_connections(args.concurrency)
                   .error_for_status(True).build())

        async def call() -> object:
            response = await rclient.get(url).build().send()
            return await response.json()

        return call, rclient.close
    if args.contender == "aiohttp-orjson":
        import aiohttp
        import orjson

        session = aiohttp.ClientSession(
            headers={"apikey": args.api_key}, connector=aiohttp.TCPConnector(limit=args.concurrency)
        )

        async def call() -> object:
            async with session.get(url) as response:
                response.raise_for_status()
                return orjson.loads(await response.read())

        return call, session.close
    if args.contender in ("httpx-async", "httpx-async-best"):
        import httpx

        # Default: httpx's own Limits (100 connections, 20 kept alive), every call handed to it at once.
        # Best (bench/httpx-findings.md): httpcore's pool scans every connection for every request, so
        # few connections (HTTPX_BEST_CONNECTIONS), all kept alive, and no more calls handed to httpx
        # than it has connections, so that its pool never queues; and sniffio importable (--sys-path).
        best = args.contender == "httpx-async-best"
        if best:
            import sniffio  # noqa: F401  (fails here, not silently slower, when --sys-path lacks it)
        connections = HTTPX_BEST_CONNECTIONS
        limits = (httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
                  if best else httpx.Limits())
        hclient = httpx.AsyncClient(base_url=args.base_url, headers={"apikey": args.api_key}, limits=limits)
        gate = asyncio.Semaphore(connections) if best else None

        async def call() -> object:
            if gate is None:
                response = await hclient.get(path)
            else:
                async with gate:
                    response = await hclient.get(path)
            response.raise_for_status()
            return response.json()

        return call, hclient.aclose
    if args.contender == "httpx2-async":
        import httpx2

        # httpx2 (the pydantic/httpx2 fork of httpx, whose pool no longer scans every connection
        # for every request), as many connections as workers, all kept alive.
        limits2 = httpx2.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
        client2 = httpx2.AsyncClient(base_url=args.base_url, headers={"apikey": args.api_key}, limits=limits2)

        async def call2() -> object:
            response = await client2.get(path)
            response.raise_for_status()
            return response.json()

        return call2, client2.aclose
    raise SystemExit(f"unknown contender {args.contender}")


async def nothing() -> None:
    pass


def run_async(args: argparse.Namespace) -> None:
    async def main() -> None:
        call, close = await async_call(args)
        await closed_loop(call, args.concurrency * 4, args.concurrency)  # warm up: connections open
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        if args.rate:
            latencies = await open_loop(call, args.calls, args.rate)
            report(args, started, before, latencies)
        else:
            await closed_loop(call, args.calls, args.concurrency)
            report(args, started, before)
        await close()

    if args.loop == "uvloop":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


def percentile(ordered: List[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(args: argparse.Namespace, started: float, before: resource.struct_rusage,
           latencies: List[float] | None = None) -> None:
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    measured = {"contender": args.contender, "loop": args.loop, "calls": args.calls, "seconds": seconds,
                "cpu_seconds": cpu, "peak_rss_kb": after.ru_maxrss}
    if args.contender.startswith("httpx"):
        measured["sniffio"] = "sniffio" in sys.modules  # httpcore imports it on each request when it can
    if latencies is not None:
        ordered = sorted(latencies)
        measured.update({"rate": args.rate, "p50_ms": percentile(ordered, 0.50),
                         "p99_ms": percentile(ordered, 0.99), "max_ms": ordered[-1]})
    print(json.dumps(measured))


def blocking_call(args: argparse.Namespace) -> Callable[[], object]:
    path = f"/profiles/{args.profile}/checks/{args.check}"
    url = args.base_url + path
    if args.contender == "passfort-blocking":
        import passfort

        client = passfort.Client(args.api_key, base_url=args.base_url)
        return lambda: client.get_check(args.profile, args.check)
    if args.contender == "pyreqwest-blocking":
        from pyreqwest.client import SyncClientBuilder

        rclient = SyncClientBuilder().default_headers({"apikey": args.api_key}).error_for_status(True).build()
        return lambda: rclient.get(url).build().send().json()
    if args.contender == "httpx-blocking":
        import httpx

        http = httpx.Client(base_url=args.base_url, headers={"apikey": args.api_key})

        def call() -> object:
            response = http.get(path)
            response.raise_for_status()
            return response.json()

        return call
    if args.contender == "requests":
        import requests

        session = requests.Session()
        session.headers["apikey"] = args.api_key

        def call_requests() -> object:
            response = session.get(url)
            response.raise_for_status()
            return response.json()

        return call_requests
    raise SystemExit(f"unknown contender {args.contender}")


def run_blocking(args: argparse.Namespace) -> None:
    call = blocking_call(args)
    for _ in range(20):
        call()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if not args.rate:
        for _ in range(args.calls):
            call()
        report(args, started, before)
        return
    latencies = []
    interval = 1.0 / args.rate
    for index in range(args.calls):
        due = started + index * interval
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        call()
        latencies.append((time.perf_counter() - due) * 1000)
    report(args, started, before, latencies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("contender", choices=ASYNC + BLOCKING)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--check", required=True)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--rate", type=float, help="open loop: calls a second, each timed from when it was due")
    parser.add_argument("--sys-path", action="append", default=[], help="a directory put first on sys.path")
    args = parser.parse_args()
    sys.path[:0] = args.sys_path
    if args.contender in ASYNC:
        run_async(args)
    else:
        args.loop = None
        run_blocking(args)


if __name__ == "__main__":
    main()
    # Leave without finalizing the interpreter: nothing is measured past the JSON line, and
    # pyreqwest 0.15.1 can abort in finalization (PyGILState_Release: thread state must be
    # current), which would lose a finished run.
    sys.stdout.flush()
    os._exit(0)

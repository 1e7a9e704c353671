"""Turns the measurements of bench/harness.py into BENCHMARKS.md."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

GOALS = {
    "python_async_httpx": 2.0,
    "python_async_aiohttp": 1.2,
    "node_fetch": 1.2,
    "of_wrk": 0.70,
    "waiting_rss_mb": 150,
    "waiting_lag_ms": 1000,
    "waiting_fewer_requests": 5.0,
    "webhooks_rust": 100_000,
    "webhooks_binding": 30_000,
    "cold_python_ms": 50,
    "cold_node_ms": 30,
    "fleet_fan_out_p99_ms": 50,
}


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def throughput_table(rows: Dict[str, dict], unit: str = "req/s") -> List[str]:
    lines = [f"| client | {unit} (median) | rounds | CPU s / 1,000 calls | peak RSS |", "|---|---:|---|---:|---:|"]
    for name, row in rows.items():
        rounds = ", ".join(f"{value:,}" for value in row["rounds"])
        lines.append(f"| {name} | {row['per_second']:,.0f} | {rounds} | {row['cpu_per_1k']:.3f} | "
                     f"{row['peak_rss_mb']:.0f} MB |")
    return lines


def ratio(rows: Dict[str, dict], ours: str, theirs: str) -> float:
    return rows[ours]["per_second"] / rows[theirs]["per_second"]


def render(report: Dict[str, Any], smoke: bool) -> str:
    scale = report["scale"]
    versions = report["versions"]
    out: List[str] = ["# Benchmarks", ""]
    if smoke:
        out += ["**Smoke run**: tiny counts and debug builds, to prove `bench/run` works. "
                "The numbers mean nothing.", ""]
    out += [
        "Written by `bench/run` (see the README); every figure below comes from one run of it, "
        f"on one machine, against one emulator ({report['build']} build).",
        "",
        f"- Date: {report['date']}; build: {report['build']}; whole run: {report['elapsed_s'] / 60:.1f} min",
    ]
    out += [f"- {name}: {value}" for name, value in versions.items()]
    out += [
        "- Placement: " + ("the emulator on CPU 0, each client (and wrk) on CPU 1, with `taskset`, so a client's own "
                           "cost sets its speed and the emulator is the same ceiling for every client."
                           if report["pinned"] else "not pinned (fewer than two CPUs, or no taskset)."),
        f"- Rounds: {scale['rounds']}, alternating between contenders; tables give the median and every round. "
        "CPU seconds and peak RSS are the client process's own (getrusage; all its threads).",
        "",
    ]

    goals: List[str] = []
    python_async = report["python_async"]
    ours = "passfort AsyncClient.get_check"
    vs_httpx = ratio(python_async, ours, "httpx.AsyncClient")
    vs_aiohttp = ratio(python_async, ours, "aiohttp")
    goals.append(f"| Python async vs httpx | ≥ 2× | {vs_httpx:.2f}× | {verdict(vs_httpx >= GOALS['python_async_httpx'])} |")
    goals.append(f"| Python async vs aiohttp | ≥ 1.2× | {vs_aiohttp:.2f}× | "
                 f"{verdict(vs_aiohttp >= GOALS['python_async_aiohttp'])} |")
    out += [
        "## 1. Python, async: `get_check` against httpx and aiohttp",
        "",
        f"{scale['get_calls']:,} reads of one check at concurrency {scale['concurrency']}, after a warm-up that opens "
        "the connections. passfort decodes into its `Check` model; httpx and aiohttp do the same GET "
        "(`apikey` header) and decode the JSON into dicts. Command: "
        f"`python bench/py_get.py <contender> --calls {scale['get_calls']} --concurrency {scale['concurrency']} ...`",
        "",
        *throughput_table(python_async),
        "",
        f"Ratios: **{vs_httpx:.2f}×** httpx, **{vs_aiohttp:.2f}×** aiohttp.",
        "",
    ]

    blocking = report["python_blocking"]
    ours_blocking = "passfort Client.get_check"
    vs_httpx_client = ratio(blocking, ours_blocking, "httpx.Client")
    vs_requests = ratio(blocking, ours_blocking, "requests.Session")
    out += [
        "## 2. Python, blocking: `Client.get_check` in a loop",
        "",
        f"{scale['blocking_calls']:,} reads one after another on one connection. Command: "
        f"`python bench/py_get.py <contender> --calls {scale['blocking_calls']} ...`",
        "",
        *throughput_table(blocking),
        "",
        f"Ratios: **{vs_httpx_client:.2f}×** httpx.Client, **{vs_requests:.2f}×** requests.Session (no goal set).",
        "",
    ]

    node = report["node"]
    vs_fetch = ratio(node, "passfort getCheck", "fetch + JSON.parse")
    goals.append(f"| Node vs fetch | ≥ 1.2× | {vs_fetch:.2f}× | {verdict(vs_fetch >= GOALS['node_fetch'])} |")
    out += [
        "## 3. Node: `getCheck` against fetch",
        "",
        f"Same load: {scale['get_calls']:,} reads at concurrency {scale['concurrency']}. The alternative is the global "
        "`fetch` (undici) with `JSON.parse` of the body. Command: `node bench/node_get.js <contender> ...`",
        "",
        *throughput_table(node),
        "",
        f"Ratio: **{vs_fetch:.2f}×** fetch.",
        "",
    ]

    ceiling: Optional[dict] = report["wrk"]
    out += ["## 4. The ceiling: wrk on the same endpoint", ""]
    if ceiling is None:
        out += ["wrk is not installed; skipped.", ""]
    else:
        bindings = {
            "Python async": python_async[ours]["per_second"],
            "Node": node["passfort getCheck"]["per_second"],
        }
        out += [
            f"`wrk -t1 -c{scale['concurrency']} -d{scale['wrk_seconds']}s -H 'apikey: ...' <check URL>`: "
            f"**{ceiling['per_second']:,.0f} req/s** (rounds: {', '.join(f'{r:,}' for r in ceiling['rounds'])}). "
            "wrk reads the bytes and decodes nothing, so this is what the emulator on its CPU can serve.",
            "",
            "| binding | req/s | share of wrk |",
            "|---|---:|---:|",
        ]
        for name, per_second in bindings.items():
            share = per_second / ceiling["per_second"]
            out.append(f"| {name} | {per_second:,.0f} | {share:.0%} |")
            goals.append(f"| {name} vs wrk | ≥ 70 % | {share:.0%} | {verdict(share >= GOALS['of_wrk'])} |")
        out.append("")

    hooks = report["webhooks"]
    out += [
        "## 5. Webhook handling: verify, parse, dispatch",
        "",
        f"{scale['webhook_batches'] * 100:,} CHECK_COMPLETED events in batches of 100, each batch through the "
        "client's webhook hub (`handle`: the secret checked in the header and in every envelope, JSON parsed, "
        "events de-duplicated, waiters woken). Commands: `target/release/webhook_throughput`, "
        "`python bench/py_webhooks.py`, `node bench/node_webhooks.js`.",
        "",
        *throughput_table(hooks, unit="events/s"),
        "",
    ]
    for name, row in hooks.items():
        goal = GOALS["webhooks_rust"] if name == "Rust core" else GOALS["webhooks_binding"]
        goals.append(f"| webhooks, {name} | ≥ {goal:,} events/s | {row['per_second']:,.0f} | "
                     f"{verdict(row['per_second'] >= goal)} |")

    waiting = report["waiting"]
    baseline = waiting["httpx-poll-loop"]
    out += [
        "## 6. Waiting at scale",
        "",
        f"{scale['waiting_checks']:,} checks started at once and waited for in one Python process; the emulator's "
        f"provider takes {scale['provider_latency_ms'] / 1000:g} s per check. *Requests* counts every request on "
        "the checks endpoints the emulator received; *lag* is the time from the emulator completing its last check "
        "to the last waiter resolving. Command: `python bench/py_wait.py <variant> ...`",
        "",
        "| variant | wall time | requests | per check | fewer than the httpx loop | lag | peak RSS | webhook deliveries |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "passfort-webhooks": "passfort `run_check_and_wait`, async mode, webhooks on",
        "passfort-polling": "passfort `run_check_and_wait`, async mode, webhooks off",
        "passfort-sync": "passfort `run_check_and_wait`, default sync mode",
        "httpx-poll-loop": "httpx loop: POST async, then GET every 1 s (100 requests in flight at most)",
    }
    for variant, row in waiting.items():
        fewer = baseline["requests"] / row["requests"]
        out.append(f"| {labels[variant]} | {row['seconds']:.1f} s | {row['requests']:,} | "
                   f"{row['requests'] / row['resolved']:.2f} | {fewer:.2f}× | {row['lag_ms']:,.0f} ms | "
                   f"{row['peak_rss_kb'] / 1024:.0f} MB | {row['webhook_deliveries']:,} |")
    out.append("")
    hooked = waiting["passfort-webhooks"]
    best = min((row for name, row in waiting.items() if name != "httpx-poll-loop"), key=lambda row: row["requests"])
    fewest = baseline["requests"] / best["requests"]
    peak_rss = max(row["peak_rss_kb"] for name, row in waiting.items() if name != "httpx-poll-loop") / 1024
    goals += [
        f"| waiting: peak RSS (every passfort variant) | < 150 MB | {peak_rss:.0f} MB | "
        f"{verdict(peak_rss < GOALS['waiting_rss_mb'])} |",
        f"| waiting: lag, webhooks on | < 1 s | {hooked['lag_ms']:,.0f} ms | "
        f"{verdict(hooked['lag_ms'] < GOALS['waiting_lag_ms'])} |",
        f"| waiting: fewer requests than the httpx loop (best variant) | ≥ 5× | {fewest:.2f}× | "
        f"{verdict(fewest >= GOALS['waiting_fewer_requests'])} |",
    ]

    cold = report["cold_start"]
    out += [
        "## 7. Cold start",
        "",
        f"Each command started {scale['cold_start_runs']} times (after 3 warm-ups), alternating with the bare "
        "interpreter; *above bare* is the median of the pairs' differences. Python is the benchmark's "
        f"virtual environment ({report['build']} build); Node runs in the repository, where "
        "`require('passfort')` resolves to the package itself.",
        "",
        "| command | median | bare interpreter | above bare |",
        "|---|---:|---:|---:|",
    ]
    for language, row in cold.items():
        out.append(f"| `{row['command']}` | {row['package_ms']:.1f} ms | {row['bare_ms']:.1f} ms (`{row['bare_command']}`) "
                   f"| {row['above_bare_ms']:.1f} ms |")
        limit = GOALS["cold_python_ms"] if language == "Python" else GOALS["cold_node_ms"]
        goals.append(f"| cold start, {language}, above bare | < {limit} ms | {row['above_bare_ms']:.1f} ms | "
                     f"{verdict(row['above_bare_ms'] < limit)} |")
    out.append("")

    fleet = report.get("fleet")
    if fleet:
        dated = report.get("section_dates", {}).get("fleet")
        out += [
            "## 8. A fleet on Redis",
            "",
            f"{scale['fleet_workers']} Python worker processes, each waiting for {scale['fleet_checks_per_worker']:,} "
            "checks at once (`run_check_and_wait`, async mode); PassFort's webhooks go to worker 0 only, which "
            "hands each body to `client.webhooks.handle` (an aiohttp endpoint). With Redis, the fleet shares "
            "the webhooks (fan-out); without, the other workers poll. *Lag*: the emulator completing a check -> "
            "its waiter resolving; *fan-out*: the webhook arriving at worker 0 -> the waiter in another worker "
            "resolving (it includes `handle` itself and the waiter's one read of the check, so it bounds the "
            "issue's `handle` returned -> resolved from above). Workers on CPU 1, the emulator and redis-server on "
            "CPU 0. Command: `bench/run --only fleet` (`bench/py_fleet.py`)"
            + (f"; measured {dated}, apart from the other sections." if dated else "."),
            "",
            "| fleet | requests per check | lag p50 | lag p99 | fan-out p50 | fan-out p99 (checks) | peak RSS per worker | CPU s per worker |",
            "|---|---:|---:|---:|---:|---:|---|---|",
        ]
        labels = {"redis": "with Redis (`redis_url`)", "no-redis": "without Redis (others poll)"}
        for variant, row in fleet.items():
            rss = ", ".join(f"{value:.0f}" for value in row["peak_rss_mb"])
            cpu = ", ".join(f"{value:.1f}" for value in row["cpu_seconds"])
            fan = (f"{row['fan_out_p50_ms']:.1f} ms | {row['fan_out_p99_ms']:.1f} ms ({row['fan_out_count']:,})"
                   if row["fan_out_count"] else "- | -")
            out.append(f"| {labels[variant]} | {row['requests_per_check']:.2f} | {row['lag_p50_ms']:,.0f} ms | "
                       f"{row['lag_p99_ms']:,.0f} ms | {fan} | {rss} MB | {cpu} |")
        out.append("")
        shared = fleet["redis"]
        goals.append(f"| fleet: fan-out p99 (Redis) | < {GOALS['fleet_fan_out_p99_ms']} ms | "
                     f"{shared['fan_out_p99_ms']:.1f} ms | {verdict(shared['fan_out_p99_ms'] < GOALS['fleet_fan_out_p99_ms'])} |")

    out[out.index("## 1. Python, async: `get_check` against httpx and aiohttp"):0] = [
        "## Goals", "", "| goal | target | measured | |", "|---|---|---:|---|", *goals, "",
    ]
    notes = report.get("notes")
    if notes:
        out += ["## What limits the rest", "", notes, ""]
    return "\n".join(out)

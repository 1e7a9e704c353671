"""Turns the measurements of bench/harness.py into BENCHMARKS.md."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

# Issue 17's goals: ratios of client CPU per call within one run, and absolute limits.
GOALS = {
    "python_async_vs_pyreqwest": 0.7,
    "python_async_vs_aiohttp": 0.5,
    "python_blocking_vs_pyreqwest": 0.7,
    "python_blocking_vs_httpx": 0.3,
    "node_vs_undici": 0.7,
    "of_wrk": 0.95,
    "waiting_rss_mb": 80,
    "waiting_lag_p99_ms": 250,
    "waiting_requests_webhooks": 2.0,
    "waiting_requests_sync": 1.0,
    "cold_python_ms": 40,
}
# Earlier goals that still hold.
EARLIER_GOALS = {
    "webhooks_rust": 100_000,
    "webhooks_binding": 30_000,
    "cold_node_ms": 30,
    "fleet_fan_out_p99_ms": 50,
}

LABELS = {
    "python_async": {
        "passfort": "passfort `AsyncClient.get_check` (a `Check` model)",
        "pyreqwest": "pyreqwest `Client`, `await response.json()` (its serde decoder)",
        "aiohttp-orjson": "aiohttp, `orjson.loads(await response.read())`",
        "httpx": "httpx.AsyncClient, defaults (100 connections, 20 kept alive), `response.json()`",
        "httpx-best": "httpx.AsyncClient, best: 4 connections kept alive, ≤ 4 calls in flight, sniffio installed",
        "httpx2": "httpx2.AsyncClient (the pydantic/httpx2 fork of httpx), 64 connections kept alive",
    },
    "python_blocking": {
        "passfort": "passfort `Client.get_check` (a `Check` model)",
        "pyreqwest": "pyreqwest `SyncClient`, `response.json()` (its serde decoder)",
        "httpx": "httpx.Client, `response.json()`",
        "requests": "requests.Session, `response.json()`",
    },
    "node": {
        "passfort": "passfort `getCheck` (typed fields, `Date`s)",
        "undici-pool": "undici `Pool.request` (64 connections), `JSON.parse(await body.text())`",
        "fetch": "global `fetch`, `JSON.parse(await response.text())`",
    },
}
LABELS["rust_floor"] = {
    "core": "passfort-core `Client::get_check` (a `Check`)",
    "reqwest": "reqwest `Client::get`, `serde_json::from_slice::<Value>`",
    "hyper": "hyper-util legacy `Client`, `serde_json::from_slice::<Value>`",
}
LOOPS = ("asyncio", "uvloop")


def verdict(met: Optional[bool]) -> str:
    return "not measured" if met is None else "met" if met else "**missed**"


def label(section: str, name: str) -> str:
    return LABELS.get(section, {}).get(name, name)


def cpu_ms(row: dict) -> float:
    """CPU seconds per 1,000 calls is CPU milliseconds per call."""
    return row["cpu_per_1k"]


def throughput_table(rows: Dict[str, dict], section: str = "", unit: str = "req/s") -> List[str]:
    if section:
        ours = rows.get("passfort")
        lines = [f"| client | calls | {unit} (median) | rounds | CPU ms a call | passfort's CPU ÷ this | peak RSS |",
                 "|---|---:|---:|---|---:|---:|---:|"]
        for name, row in rows.items():
            rounds = ", ".join(f"{value:,}" for value in row["rounds"])
            share = f"{cpu_ms(ours) / cpu_ms(row):.2f}×" if ours and name != "passfort" and cpu_ms(row) else "-"
            lines.append(f"| {label(section, name)} | {row.get('calls', 0):,} | {row['per_second']:,.0f} | {rounds} | "
                         f"{cpu_ms(row):.3f} | {share} | {row['peak_rss_mb']:.0f} MB |")
        return lines
    lines = [f"| client | {unit} (median) | rounds | CPU s / 1,000 calls | peak RSS |", "|---|---:|---|---:|---:|"]
    for name, row in rows.items():
        rounds = ", ".join(f"{value:,}" for value in row["rounds"])
        lines.append(f"| {name} | {row['per_second']:,.0f} | {rounds} | {row['cpu_per_1k']:.3f} | "
                     f"{row['peak_rss_mb']:.0f} MB |")
    return lines


def cpu_ratio(rows: Optional[Dict[str, dict]], theirs: str) -> Optional[float]:
    """passfort's client CPU per call over theirs (lower is better)."""
    if not rows or "passfort" not in rows or theirs not in rows:
        return None
    return cpu_ms(rows["passfort"]) / cpu_ms(rows[theirs])


def ratio_goal(name: str, target: float, value: Optional[float]) -> str:
    shown = "-" if value is None else f"{value:.2f}×"
    return f"| {name} | ≤ {target}× | {shown} | {verdict(None if value is None else value <= target)} |"


def render(report: Dict[str, Any], smoke: bool) -> str:
    scale = report["scale"]
    versions = report["versions"]
    out: List[str] = ["# Benchmarks", ""]
    if smoke:
        out += ["**Smoke run**: tiny counts and debug builds, to prove `bench/run` works. "
                "The numbers mean nothing.", ""]
    elapsed = report.get("elapsed_s")
    out += [
        "Written by `bench/run` (see the README); every figure below comes from one run of it, "
        f"on one machine, against one emulator ({report['build']} build).",
        "",
        f"- Date: {report['date']}; build: {report['build']}"
        + (f"; whole run: {elapsed / 60:.1f} min" if elapsed else ""),
    ]
    out += [f"- {name}: {value}" for name, value in versions.items()]
    out += [
        "- Placement: " + ("the emulator on CPU 0, each client (and wrk) on CPU 1, with `taskset`, so a client's own "
                           "cost sets its speed and the emulator is the same ceiling for every client."
                           if report["pinned"] else "not pinned (fewer than two CPUs, or no taskset)."),
        f"- Rounds: {scale['rounds']}, alternating between contenders; tables give the median and every round. "
        "CPU and peak RSS are the client process's own (getrusage or `process.cpuUsage`; all its threads), "
        "counted over the measured calls only (after a warm-up that opens the connections). *CPU ms a call* is "
        "the figure the goals compare: it does not depend on the emulator keeping up.",
        "- Calls: the slow contenders make fewer calls (the *calls* column) to keep the run short; their CPU per "
        "call is as valid.",
        "",
    ]

    goals: List[str] = []
    earlier: List[str] = []
    python_async: Dict[str, Dict[str, dict]] = report.get("python_async") or {}
    for loop in LOOPS:
        rows = python_async.get(loop)
        goals.append(ratio_goal(f"Python async ({loop}): CPU a call vs pyreqwest", GOALS["python_async_vs_pyreqwest"],
                                cpu_ratio(rows, "pyreqwest")))
        goals.append(ratio_goal(f"Python async ({loop}): CPU a call vs aiohttp + orjson",
                                GOALS["python_async_vs_aiohttp"], cpu_ratio(rows, "aiohttp-orjson")))
    out += [
        "## 1. Python, async: `get_check` against pyreqwest, aiohttp and httpx",
        "",
        f"Reads of one check at concurrency {scale['concurrency']} (C workers sharing the calls), under asyncio and "
        "under uvloop. passfort decodes into its `Check` model; the others do the same GET (`apikey` header) and "
        "decode the JSON into dicts, each with the decoder named. httpx appears twice: as installed and configured "
        "by default, and in the best configuration found for this load (bench/httpx-findings.md: httpcore's pool "
        "scans every connection for every request, so its cost grows with the connections in use), and httpx2, "
        "a fork of httpx (pydantic/httpx2) whose pool was rewritten. Command: "
        f"`python bench/py_get.py <contender> --loop <asyncio|uvloop> --calls N --concurrency {scale['concurrency']} ...`",
        "",
    ]
    for loop in LOOPS:
        rows = python_async.get(loop)
        out += [f"**{loop}**", ""]
        out += [*throughput_table(rows, "python_async"), ""] if rows else ["Not measured in this run.", ""]
    default_httpx = next((rows["httpx"] for rows in python_async.values() if "sniffio" in rows.get("httpx", {})), None)
    if default_httpx is not None:
        out += [f"The default httpx row ran {'with' if default_httpx['sniffio'] else 'without'} sniffio importable "
                "(httpcore tries to import it on each request; bench/httpx-findings.md).", ""]

    blocking: Optional[Dict[str, dict]] = report.get("python_blocking")
    goals.append(ratio_goal("Python blocking: CPU a call vs pyreqwest's blocking client",
                            GOALS["python_blocking_vs_pyreqwest"], cpu_ratio(blocking, "pyreqwest")))
    goals.append(ratio_goal("Python blocking: CPU a call vs httpx.Client", GOALS["python_blocking_vs_httpx"],
                            cpu_ratio(blocking, "httpx")))
    out += [
        "## 2. Python, blocking: `Client.get_check` in a loop",
        "",
        f"{scale['blocking_calls']:,} reads one after another on one connection. Command: "
        f"`python bench/py_get.py <contender> --calls {scale['blocking_calls']} ...`",
        "",
        *(throughput_table(blocking, "python_blocking") if blocking else ["Not measured in this run."]),
        "",
    ]

    node: Optional[Dict[str, dict]] = report.get("node")
    goals.append(ratio_goal("Node: CPU a call vs undici `Pool.request` + `JSON.parse`", GOALS["node_vs_undici"],
                            cpu_ratio(node, "undici-pool")))
    out += [
        "## 3. Node: `getCheck` against undici and fetch",
        "",
        f"Same load: reads at concurrency {scale['concurrency']}. undici's `Pool` (the library under Node's `fetch`, "
        "pinned in bench/npm/package.json) with as many connections as workers, and the global `fetch`; both "
        "`JSON.parse` the body. Command: `node bench/node_get.js <contender> ...`",
        "",
        *(throughput_table(node, "node") if node else ["Not measured in this run."]),
        "",
    ]

    ceiling: Optional[dict] = report.get("wrk")
    out += ["## 4. The ceiling: wrk on the same endpoint", ""]
    bindings = {f"Python async ({loop})": python_async[loop]["passfort"]["per_second"]
                for loop in LOOPS if "passfort" in python_async.get(loop, {})}
    if node and "passfort" in node:
        bindings["Node"] = node["passfort"]["per_second"]
    if ceiling is None or not bindings:
        out += ["wrk is not installed; skipped." if ceiling is None else "No binding measured in this run.", ""]
        goals += [f"| {name}: req/s vs wrk | ≥ 95 % | - | {verdict(None)} |" for name in ("Python async", "Node")]
    else:
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
            goals.append(f"| {name}: req/s vs wrk | ≥ 95 % | {share:.0%} | {verdict(share >= GOALS['of_wrk'])} |")
        out.append("")

    floor: Optional[Dict[str, dict]] = report.get("rust_floor")
    if floor:
        out += [
            "## 4b. The floor under both bindings: the core against raw hyper and reqwest",
            "",
            f"The same reads ({scale['get_calls']:,} at concurrency {scale['concurrency']}) from Rust, on a two-thread "
            "tokio runtime as the bindings use, no binding at all: the core's `Client::get_check` (a typed `Check` "
            "with its raw JSON), hyper-util's pooled client alone (the HTTP client the core is built on, under its "
            "own connector) and reqwest (which wraps the same pool, and which the core used before), each GET decoded "
            "into `serde_json::Value`. Whatever a binding costs is on top of this. "
            "Command: `target/release/core_get <core|reqwest|hyper> ...` (bench/src/bin/core_get.rs).",
            "",
            "| client | req/s (median) | rounds | CPU ms a call | core's CPU ÷ this |",
            "|---|---:|---|---:|---:|",
        ]
        for name, row in floor.items():
            # A smoke run's few calls can take less than one CPU tick of /proc's accounting.
            share = f"{cpu_ms(floor['core']) / cpu_ms(row):.2f}×" if "core" in floor and name != "core" and cpu_ms(row) else "-"
            out.append(f"| {label('rust_floor', name)} | {row['per_second']:,.0f} | "
                       f"{', '.join(f'{r:,}' for r in row['rounds'])} | {cpu_ms(row):.4f} | {share} |")
        out.append("")

    hooks = report.get("webhooks")
    if hooks:
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
            goal = EARLIER_GOALS["webhooks_rust"] if name == "Rust core" else EARLIER_GOALS["webhooks_binding"]
            earlier.append(f"| webhooks, {name} | ≥ {goal:,} events/s | {row['per_second']:,.0f} | "
                           f"{verdict(row['per_second'] >= goal)} |")

    waiting = report.get("waiting")
    if waiting:
        out += waiting_section(waiting, scale, goals)

    cold = report.get("cold_start")
    idle = report.get("idle")
    out += [
        "## 7. Cold start and idle cost",
        "",
        f"Each command started {scale['cold_start_runs']} times (after 3 warm-ups), alternating with the bare "
        "interpreter; *above bare* is the median of the pairs' differences. Python is the benchmark's "
        f"virtual environment ({report['build']} build); Node runs in the repository, where "
        "`require('passfort')` resolves to the package itself.",
        "",
    ]
    if cold:
        out += ["| command | median | bare interpreter | above bare |", "|---|---:|---:|---:|"]
        for language, row in cold.items():
            out.append(f"| `{row['command']}` | {row['package_ms']:.1f} ms | {row['bare_ms']:.1f} ms "
                       f"(`{row['bare_command']}`) | {row['above_bare_ms']:.1f} ms |")
        python_cold = cold.get("Python")
        if python_cold:
            goals.append(f"| `import passfort`, above bare | < {GOALS['cold_python_ms']} ms | "
                         f"{python_cold['above_bare_ms']:.1f} ms | "
                         f"{verdict(python_cold['above_bare_ms'] < GOALS['cold_python_ms'])} |")
        node_cold = cold.get("Node")
        if node_cold:
            earlier.append(f"| `require('passfort')`, above bare | < {EARLIER_GOALS['cold_node_ms']} ms | "
                           f"{node_cold['above_bare_ms']:.1f} ms | "
                           f"{verdict(node_cold['above_bare_ms'] < EARLIER_GOALS['cold_node_ms'])} |")
        out.append("")
    if idle:
        out += [
            "*Idle cost*: the resident memory (VmRSS, median of a few starts) of a process that imported the "
            "package and made one client, against the bare interpreter printing the same figure.",
            "",
            "| command | RSS | bare interpreter | above bare |",
            "|---|---:|---:|---:|",
        ]
        for language, row in idle.items():
            out.append(f"| `{row['command']}` | {row['client_mb']:.1f} MB | {row['bare_mb']:.1f} MB | "
                       f"{row['above_bare_mb']:.1f} MB |")
            goals.append(f"| idle cost, {language}: RSS above bare with one client | reported | "
                         f"{row['above_bare_mb']:.1f} MB | - |")
        out.append("")

    fleet = report.get("fleet")
    if fleet:
        out += fleet_section(fleet, scale, report)
        shared = fleet["redis"]
        earlier.append(f"| fleet: fan-out p99 (Redis) | < {EARLIER_GOALS['fleet_fan_out_p99_ms']} ms | "
                       f"{shared['fan_out_p99_ms']:.1f} ms | "
                       f"{verdict(shared['fan_out_p99_ms'] < EARLIER_GOALS['fleet_fan_out_p99_ms'])} |")

    latency = report.get("latency")
    if latency:
        out += latency_section(latency)

    out[out.index("## 1. Python, async: `get_check` against pyreqwest, aiohttp and httpx"):0] = [
        "## Goals (issue 17)", "",
        "CPU ratios are passfort's client CPU per call over the other client's, in the same run (lower is better).",
        "", "| goal | target | measured | |", "|---|---|---:|---|", *goals, "",
        "Earlier goals, still checked:", "", "| goal | target | measured | |", "|---|---|---:|---|", *earlier, "",
    ]
    notes = report.get("notes")
    if notes:
        out += ["## What limits the rest", "", notes, ""]
    return "\n".join(out)


def waiting_section(waiting: Dict[str, dict], scale: Dict[str, Any], goals: List[str]) -> List[str]:
    out = [
        "## 6. Waiting at scale",
        "",
        f"{scale['waiting_checks']:,} checks started at once and waited for in one process; the emulator's "
        f"provider takes {scale['provider_latency_ms'] / 1000:g} s per check. *Requests* counts every request on "
        "the checks endpoints the emulator received; *lag* is the time from the emulator completing a check "
        "to its waiter resolving, per check (p50, p99), and *last* from the emulator's last completion to the "
        "last waiter resolving. The floor is 2 requests a check with webhooks (the POST, and one read of the "
        "check the webhook announced, which carries only part of it) and 1 in sync mode. Commands: "
        "`python bench/py_wait.py <variant> ...`, `node bench/node_wait.js <variant> ...`",
        "",
        "| variant | wall time | requests | per check | lag p50 | lag p99 | lag, last | peak RSS | webhook deliveries |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "passfort-webhooks": "Python: passfort `run_check_and_wait`, async mode, webhooks on",
        "passfort-polling": "Python: passfort `run_check_and_wait`, async mode, webhooks off",
        "passfort-sync": "Python: passfort `run_check_and_wait`, default sync mode",
        "httpx-poll-loop": "Python: httpx loop, POST async then GET every 1 s (100 requests in flight at most)",
        "node-passfort-webhooks": "Node: passfort `runCheckAndWait`, async mode, webhooks on",
        "node-passfort-polling": "Node: passfort `runCheckAndWait`, async mode, webhooks off",
    }

    def ms(row: dict, key: str) -> str:
        return f"{row[key]:,.0f} ms" if row.get(key) is not None else "-"

    for variant, row in waiting.items():
        out.append(f"| {labels.get(variant, variant)} | {row['seconds']:.1f} s | {row['requests']:,} | "
                   f"{row['requests'] / row['resolved']:.2f} | {ms(row, 'lag_p50_ms')} | {ms(row, 'lag_p99_ms')} | "
                   f"{ms(row, 'lag_ms')} | {row['peak_rss_kb'] / 1024:.0f} MB | {row.get('webhook_deliveries', 0):,} |")
    out.append("")
    for variant, language in (("passfort-webhooks", "Python"), ("node-passfort-webhooks", "Node")):
        hooked = waiting.get(variant)
        if not hooked:
            continue
        rss = hooked["peak_rss_kb"] / 1024
        lag_p99 = hooked.get("lag_p99_ms")
        per_check = hooked["requests"] / hooked["resolved"]
        if language == "Python":
            goals += [
                f"| waiting, {language}, webhooks on: peak RSS | < {GOALS['waiting_rss_mb']} MB | {rss:.0f} MB | "
                f"{verdict(rss < GOALS['waiting_rss_mb'])} |",
                f"| waiting, {language}, webhooks on: lag p99 | < {GOALS['waiting_lag_p99_ms']} ms | "
                + (f"{lag_p99:,.0f} ms | {verdict(lag_p99 < GOALS['waiting_lag_p99_ms'])} |" if lag_p99 is not None
                   else f"- | {verdict(None)} |"),
            ]
        else:
            goals.append(f"| waiting, {language}, webhooks on: peak RSS, lag p99 (no target: the first figure) | reported | "
                         f"{rss:.0f} MB, {ms(hooked, 'lag_p99_ms')} | - |")
        goals.append(f"| waiting, {language}, webhooks on: requests a check | ≤ {GOALS['waiting_requests_webhooks']:g} | "
                     f"{per_check:.2f} | {verdict(per_check <= GOALS['waiting_requests_webhooks'])} |")
    synced = waiting.get("passfort-sync")
    if synced:
        per_check = synced["requests"] / synced["resolved"]
        goals.append(f"| waiting, Python, sync mode: requests a check | ≤ {GOALS['waiting_requests_sync']:g} | {per_check:.2f} | "
                     f"{verdict(per_check <= GOALS['waiting_requests_sync'])} |")
    return out


def fleet_section(fleet: Dict[str, dict], scale: Dict[str, Any], report: Dict[str, Any]) -> List[str]:
    dated = report.get("section_dates", {}).get("fleet")
    out = [
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
    return out


def latency_section(latency: Dict[str, Any]) -> List[str]:
    rate = latency["rate"]
    out = [
        f"## 9. Latency at a fixed {rate:,} req/s",
        "",
        f"Open loop: call i is started at start + i / {rate:,} s whatever the earlier calls are doing (async "
        "clients start a task for each; a blocking loop sends each as soon as the previous call returned), and "
        "its latency is measured from that due time, so a client that stalls is charged for every call it kept "
        "waiting (no coordinated omission). One run of each client, after the same warm-up. A client whose "
        f"*achieved* rate is below {rate:,}/s cannot keep up: its queue, and so its latency, grows for as long as "
        "the run lasts, so its figures depend on its number of calls. Command: "
        f"`python bench/py_get.py <contender> --rate {rate} --calls N ...`, `node bench/node_get.js <contender> "
        f"--rate {rate} ...`",
        "",
        "| client | calls | achieved req/s | p50 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    groups = [(f"Python async, {loop}", "python_async", latency["python_async"].get(loop, {})) for loop in LOOPS]
    groups += [("Python blocking", "python_blocking", latency.get("python_blocking", {})),
               ("Node", "node", latency.get("node", {}))]
    for title, section, rows in groups:
        for name, row in rows.items():
            out.append(f"| {title}: {label(section, name)} | {row['calls']:,} | {row['per_second']:,.0f} | "
                       f"{row['p50_ms']:,.1f} ms | {row['p99_ms']:,.1f} ms | {row['max_ms']:,.1f} ms |")
    out.append("")
    return out

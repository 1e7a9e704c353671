"""Runs every comparison of the benchmark on one emulator and writes
BENCHMARKS.md. ``bench/run`` builds what it needs and calls this; run that.

Each contender runs in its own process, pinned to CPU 1 while the emulator
has CPU 0 (on machines with two CPUs or more), so that a client's own cost
decides its speed and the emulator is the same ceiling for all. Rounds
alternate between contenders; the report gives the median of the rounds."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from report import render  # bench/report.py: the Markdown, kept apart from the measuring

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
API_KEY = "bench-api-key"
WEBHOOK_SECRET = "bench-webhook-secret"


@dataclass
class Scale:
    rounds: int
    get_calls: int
    slow_get_calls: int
    slowest_get_calls: int
    concurrency: int
    blocking_calls: int
    latency_rate: int
    latency_calls: int
    slow_latency_calls: int
    wrk_seconds: int
    webhook_batches: int
    waiting_checks: int
    provider_latency_ms: int
    cold_start_runs: int
    fleet_workers: int
    fleet_checks_per_worker: int


# The slow contenders (httpx at concurrency 64, and the clients that cannot keep up with
# latency_rate) get fewer calls: their CPU per call is as valid, and the run stays short.
FULL = Scale(rounds=3, get_calls=20_000, slow_get_calls=5_000, slowest_get_calls=2_000, concurrency=64,
             blocking_calls=5_000, latency_rate=2_000, latency_calls=10_000, slow_latency_calls=2_000, wrk_seconds=10,
             webhook_batches=1_000, waiting_checks=10_000, provider_latency_ms=2_000, cold_start_runs=40,
             fleet_workers=4, fleet_checks_per_worker=2_500)
SMOKE = Scale(rounds=1, get_calls=200, slow_get_calls=100, slowest_get_calls=50, concurrency=8, blocking_calls=50,
              latency_rate=2_000, latency_calls=200, slow_latency_calls=50, wrk_seconds=1,
              webhook_batches=10, waiting_checks=50, provider_latency_ms=200, cold_start_runs=3,
              fleet_workers=2, fleet_checks_per_worker=20)

PINNED = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None


def on_cpu(cpu: int, command: Sequence[str]) -> List[str]:
    return ["taskset", "-c", str(cpu), *command] if PINNED else list(command)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class Emulator:
    """The release emulator as a separate process, on CPU 0."""

    def __init__(self, binary: Path) -> None:
        self.process = subprocess.Popen(
            on_cpu(0, [str(binary), "--port", "0", "--api-key", API_KEY, "--provider-latency", "0ms"]),
            stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        match = re.search(r"(http://\S+)", first)
        if not match:
            raise SystemExit(f"the emulator did not start: {first!r}")
        self.url = match.group(1)
        self.base_url = self.url + "/4.0"

    def call(self, method: str, path: str, body: Optional[object] = None, api: bool = False) -> object:
        url = (self.base_url if api else self.url + "/_emulator") + path
        data = None if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json"}
        if api:
            headers["apikey"] = API_KEY
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request) as response:
            text = response.read()
        return json.loads(text) if text else None

    def reset(self, provider_latency_ms: int = 0) -> None:
        self.call("POST", "/reset")
        self.call("PUT", "/config", {"provider_latency_ms": provider_latency_ms})

    def create_profile(self, family_name: str = "Bench") -> str:
        profile = self.call("POST", "/profiles", {
            "role": "INDIVIDUAL_CUSTOMER",
            "collected_data": {"personal_details": {"name": {"given_names": ["Ada"], "family_name": family_name}}},
        }, api=True)
        return profile["id"]  # type: ignore[index]

    def seed_check(self) -> Dict[str, str]:
        profile = self.create_profile()
        check = self.call("POST", f"/profiles/{profile}/checks?mode=sync", {"check_type": "IDENTITY_CHECK"}, api=True)
        return {"profile": profile, "check": check["id"]}  # type: ignore[index]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def run_json(command: Sequence[str], cwd: Path = ROOT) -> dict:
    completed = subprocess.run(on_cpu(1, command), cwd=cwd, capture_output=True, text=True)
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def median_row(samples: List[dict], calls_key: str = "calls") -> dict:
    per_second = [s[calls_key] / s["seconds"] for s in samples]
    cpu_per_1k = [s["cpu_seconds"] * 1000 / s[calls_key] for s in samples]
    return {
        **({"sniffio": samples[0]["sniffio"]} if "sniffio" in samples[0] else {}),
        "calls": samples[0][calls_key],
        "per_second": statistics.median(per_second),
        "cpu_per_1k": statistics.median(cpu_per_1k),
        "peak_rss_mb": statistics.median(s["peak_rss_kb"] for s in samples) / 1024,
        "rounds": [round(value) for value in per_second],
    }


def interleaved(contenders: Dict[str, List[str]], rounds: int, emulator: Emulator) -> Dict[str, dict]:
    samples: Dict[str, List[dict]] = {name: [] for name in contenders}
    for round_number in range(rounds):
        for name, command in contenders.items():
            samples[name].append(run_json(seeded(command, emulator)))
            last = samples[name][-1]
            log(f"round {round_number + 1}: {name}{' (' + last['loop'] + ')' if last.get('loop') else ''}: "
                f"{last['calls'] / last['seconds']:.0f}/s, {last['cpu_seconds'] * 1000 / last['calls']:.3f} ms CPU a call")
    return {name: median_row(found) for name, found in samples.items()}


def seeded(command: List[str], emulator: Emulator) -> List[str]:
    emulator.reset()
    seed = emulator.seed_check()
    return [*command, "--base-url", emulator.base_url, "--api-key", API_KEY,
            "--profile", seed["profile"], "--check", seed["check"]]


def latency(title: str, contenders: Dict[str, List[str]], emulator: Emulator) -> Dict[str, dict]:
    """One open-loop run of each contender (its command carries --rate and --calls)."""
    results = {}
    for name, command in contenders.items():
        measured = run_json(seeded(command, emulator))
        measured["per_second"] = measured["calls"] / measured["seconds"]
        results[name] = measured
        log(f"latency: {title}: {name}: p50 {measured['p50_ms']:.1f} ms, p99 {measured['p99_ms']:.1f} ms "
            f"({measured['per_second']:.0f}/s of {measured['rate']:.0f}/s offered)")
    return results


RSS_PYTHON = "import re; print(int(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read()).group(1)))"
RSS_NODE = "console.log(Math.round(process.memoryUsage().rss / 1024))"


def idle(scale: Scale, tools: argparse.Namespace) -> Dict[str, dict]:
    """RSS of a process that imported the package and made one client, and of the bare
    interpreter, both printing their own VmRSS at the end; medians of a few starts."""
    url = "http://127.0.0.1:9/4.0"
    pairs = {
        "Python": ([tools.python, "-c", f"import passfort; client = passfort.AsyncClient('key', base_url='{url}'); {RSS_PYTHON}"],
                   [tools.python, "-c", RSS_PYTHON]),
        "Node": ([tools.node, "-e", f"const {{ PassFort }} = require('passfort'); "
                  f"const client = new PassFort({{ apiKey: 'key', baseUrl: '{url}' }}); {RSS_NODE}"],
                 [tools.node, "-e", RSS_NODE]),
    }
    results = {}
    for language, (with_client, bare) in pairs.items():
        def rss_kb(command: List[str]) -> int:
            output = subprocess.run(on_cpu(1, command), cwd=ROOT, check=True, capture_output=True, text=True).stdout
            return int(output.strip().splitlines()[-1])

        client_kb = [rss_kb(with_client) for _ in range(max(3, scale.rounds))]
        bare_kb = [rss_kb(bare) for _ in range(max(3, scale.rounds))]
        results[language] = {
            "client_mb": statistics.median(client_kb) / 1024,
            "bare_mb": statistics.median(bare_kb) / 1024,
            "above_bare_mb": (statistics.median(client_kb) - statistics.median(bare_kb)) / 1024,
            "command": " ".join(shell_quote(Path(part).name if index == 0 else part) for index, part in enumerate(with_client)),
        }
        log(f"idle: {language}: {results[language]['client_mb']:.1f} MB vs bare {results[language]['bare_mb']:.1f} MB")
    return results


def wrk(emulator: Emulator, scale: Scale) -> Optional[dict]:
    if shutil.which("wrk") is None:
        log("wrk is not installed: the ceiling is skipped")
        return None
    results = []
    for _ in range(scale.rounds):
        emulator.reset()
        seed = emulator.seed_check()
        url = f"{emulator.base_url}/profiles/{seed['profile']}/checks/{seed['check']}"
        command = ["wrk", "-t1", f"-c{scale.concurrency}", f"-d{scale.wrk_seconds}s", "-H", f"apikey: {API_KEY}", url]
        output = subprocess.run(on_cpu(1, command), capture_output=True, text=True, check=True).stdout
        match = re.search(r"Requests/sec:\s*([\d.]+)", output)
        non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
        if not match or non_2xx:
            raise SystemExit(f"wrk did not measure cleanly:\n{output}")
        results.append(float(match.group(1)))
        log(f"wrk: {results[-1]:.0f}/s")
    return {"per_second": statistics.median(results), "rounds": [round(r) for r in results]}


def rust_floor(emulator: Emulator, scale: Scale, tools: argparse.Namespace) -> Dict[str, dict]:
    """The core's get_check with no binding, against raw hyper-util (what the core is built on) and raw
    reqwest doing the same GET and JSON decode (bench/src/bin/core_get.rs): what the HTTP stack under
    both bindings costs."""
    samples: Dict[str, List[dict]] = {name: [] for name in ("core", "reqwest", "hyper")}
    for round_number in range(scale.rounds):
        for name in samples:
            emulator.reset()
            seed = emulator.seed_check()
            samples[name].append(run_json([str(tools.core_get_bin), name, emulator.base_url, API_KEY, seed["profile"],
                                           seed["check"], str(scale.get_calls), str(scale.concurrency)]))
            last = samples[name][-1]
            log(f"round {round_number + 1}: Rust {name}: {last['cpu_seconds'] * 1000 / last['calls']:.4f} ms CPU a call")
    return {name: median_row(found) for name, found in samples.items()}


def webhook_deliveries(path: Path, batches: int) -> int:
    """Writes `batches` batch bodies of 100 CHECK_COMPLETED envelopes, one a line,
    stamped now: receivers refuse timestamps more than 5 minutes off, so write
    the file again before each run."""
    now = int(time.time())
    with path.open("w") as file:
        for batch in range(batches):
            envelopes = [{
                "id": f"evt-{batch}-{index}",
                "event": "CHECK_COMPLETED",
                "secret": WEBHOOK_SECRET,
                "timestamp": now,
                "data": {
                    "profile_id": f"profile-{batch}",
                    "customer_ref": f"customer-{batch}-{index}",
                    "check": {"id": f"check-{batch}-{index}", "check_type": "IDENTITY_CHECK",
                              "result": "2+2", "decision": "PASS"},
                },
            } for index in range(100)]
            file.write(json.dumps(envelopes) + "\n")
    return batches * 100


def webhooks(scale: Scale, tools: argparse.Namespace, workdir: Path) -> Dict[str, dict]:
    path = workdir / "deliveries.jsonl"
    commands = {
        "Rust core": [str(tools.webhook_bin), str(path), WEBHOOK_SECRET],
        "Python binding": [tools.python, str(BENCH / "py_webhooks.py"), str(path), WEBHOOK_SECRET],
        "Node binding": [tools.node, str(BENCH / "node_webhooks.js"), str(path), WEBHOOK_SECRET],
    }
    samples: Dict[str, List[dict]] = {name: [] for name in commands}
    for _ in range(scale.rounds):
        for name, command in commands.items():
            webhook_deliveries(path, scale.webhook_batches)
            samples[name].append(run_json(command))
            log(f"webhooks: {name}: {samples[name][-1]['events'] / samples[name][-1]['seconds']:.0f} events/s")
    return {name: median_row(found, "events") for name, found in samples.items()}


# The waiting scenario's programs: variant -> (program, variant it is given).
WAITING_VARIANTS = {
    "passfort-webhooks": ("py_wait.py", "passfort-webhooks"),
    "passfort-polling": ("py_wait.py", "passfort-polling"),
    "passfort-sync": ("py_wait.py", "passfort-sync"),
    "httpx-poll-loop": ("py_wait.py", "httpx-poll-loop"),
    "node-passfort-webhooks": ("node_wait.js", "passfort-webhooks"),
    "node-passfort-polling": ("node_wait.js", "passfort-polling"),
}


def thinned(samples: List[List[int]], at_most: int = 60) -> List[List[int]]:
    """Every n-th sample, and the last, so that the raw results stay small."""
    step = max(1, -(-len(samples) // at_most))
    kept = samples[::step]
    return kept if not samples or kept[-1] is samples[-1] else kept + [samples[-1]]


def waiting_run(emulator: Emulator, scale: Scale, tools: argparse.Namespace, workdir: Path, variant: str) -> dict:
    """One variant of the waiting scenario: `scale.waiting_checks` checks started at once and
    waited for, the emulator's provider taking `scale.provider_latency_ms` a check."""
    program, given = WAITING_VARIANTS[variant]
    interpreter = tools.node if program.endswith(".js") else tools.python
    emulator.reset(provider_latency_ms=scale.provider_latency_ms)
    profiles = [emulator.create_profile() for _ in range(100)]
    profiles_file = workdir / "profiles.txt"
    profiles_file.write_text("\n".join(profiles))
    log(f"waiting: {variant}: {scale.waiting_checks} checks ...")
    measured = run_json([interpreter, str(BENCH / program), given, "--emulator-url", emulator.url,
                         "--base-url", emulator.base_url, "--api-key", API_KEY, "--profiles", str(profiles_file),
                         "--checks", str(scale.waiting_checks), "--webhook-secret", WEBHOOK_SECRET])
    resolved_ms: Dict[str, float] = measured.pop("resolved_ms")
    check_requests = [r for r in emulator.call("GET", "/requests") if "/checks" in r["path"]]  # type: ignore[union-attr]
    completed = {c["id"]: c["completed_ms"] for c in emulator.call("GET", "/checks") if c.get("completed_ms")}  # type: ignore[union-attr]
    deliveries = emulator.call("GET", "/webhook/deliveries")
    posts = sum(1 for r in check_requests if r["method"] == "POST")
    # Per check: from the emulator completing it to its waiter resolving.
    lags = [at - completed[check] for check, at in resolved_ms.items() if check in completed]
    measured.update({
        "variant": variant,
        "requests": len(check_requests),
        "requests_per_check": len(check_requests) / scale.waiting_checks,
        "posts": posts,
        "checks_completed": len(completed),
        # The last waiter resolving after the emulator completed its last check.
        "lag_ms": measured["last_resolved_ms"] - max(completed.values()),
        "lag_p50_ms": percentile(lags, 0.50),
        "lag_p99_ms": percentile(lags, 0.99),
        "lag_max_ms": max(lags) if lags else float("nan"),
        "webhook_deliveries": len(deliveries),  # type: ignore[arg-type]
        # Where the webhooks' part of the lag goes: the emulator sending its last delivery after
        # completing its last check, and the listener answering each delivery.
        "last_delivery_after_last_completion_ms":
            max(d["timestamp_ms"] for d in deliveries) - max(completed.values()) if deliveries else None,  # type: ignore[union-attr]
        "delivery_answer_p99_ms":
            percentile([d["answered_ms"] - d["timestamp_ms"] for d in deliveries], 0.99) if deliveries else None,  # type: ignore[union-attr]
        "rss_timeline_kb": thinned(measured.get("rss_timeline_kb", [])),
    })
    if measured["resolved"] != scale.waiting_checks or posts != scale.waiting_checks or len(lags) != scale.waiting_checks:
        raise SystemExit(f"waiting: {variant} lost or doubled checks: {measured}")
    log(f"waiting: {variant}: {measured['requests']} requests, lag p50/p99/last {measured['lag_p50_ms']:.0f}/"
        f"{measured['lag_p99_ms']:.0f}/{measured['lag_ms']:.0f} ms, {measured['peak_rss_kb'] / 1024:.0f} MB")
    return measured


def waiting(emulator: Emulator, scale: Scale, tools: argparse.Namespace, workdir: Path) -> Dict[str, dict]:
    return {variant: waiting_run(emulator, scale, tools, workdir, variant) for variant in WAITING_VARIANTS}


class Redis:
    """A throwaway redis-server on a free port (Debian's package)."""

    def __init__(self) -> None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            on_cpu(0, ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("redis-server did not start")
            time.sleep(0.05)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def fleet(emulator: Emulator, scale: Scale, tools: argparse.Namespace, workdir: Path) -> Optional[Dict[str, dict]]:
    """`fleet_workers` Python processes each waiting for `fleet_checks_per_worker` checks, webhooks
    to worker 0 only: with Redis (fan-out to the others) and without (the others poll)."""
    if shutil.which("redis-server") is None:
        log("redis-server is not installed: the fleet is skipped")
        return None
    results = {}
    for variant in ("redis", "no-redis"):
        emulator.reset(provider_latency_ms=scale.provider_latency_ms)
        profiles = [emulator.create_profile() for _ in range(100)]
        profiles_file = workdir / "fleet-profiles.txt"
        profiles_file.write_text("\n".join(profiles))
        redis = Redis() if variant == "redis" else None
        workers = []
        try:
            for index in range(scale.fleet_workers):
                command = [tools.python, str(BENCH / "py_fleet.py"), "worker", "--index", str(index),
                           "--checks", str(scale.fleet_checks_per_worker), "--profiles", str(profiles_file),
                           "--base-url", emulator.base_url, "--api-key", API_KEY, "--webhook-secret", WEBHOOK_SECRET]
                if redis:
                    command += ["--redis-url", redis.url]
                if index == 0:
                    command.append("--receiver")
                workers.append(subprocess.Popen(on_cpu(1, command), cwd=ROOT, stdin=subprocess.PIPE,
                                                stdout=subprocess.PIPE, text=True))
            ready = [json.loads(worker.stdout.readline()) for worker in workers]  # type: ignore[union-attr]
            emulator.call("PUT", "/webhook", {"url": ready[0]["webhook_url"], "secret": WEBHOOK_SECRET, "batching": True})
            log(f"fleet: {variant}: {scale.fleet_workers} workers x {scale.fleet_checks_per_worker} checks ...")
            for worker in workers:
                worker.stdin.write("\n")  # type: ignore[union-attr]
                worker.stdin.flush()  # type: ignore[union-attr]
            outputs = [None] * len(workers)
            for index in range(1, len(workers)):
                outputs[index] = json.loads(workers[index].stdout.readline())  # type: ignore[union-attr,call-overload]
            workers[0].stdin.write("\n")  # type: ignore[union-attr]
            workers[0].stdin.flush()  # type: ignore[union-attr]
            outputs[0] = json.loads(workers[0].stdout.readline())  # type: ignore[union-attr,call-overload]
            for worker in workers:
                worker.wait(timeout=60)
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
            if redis:
                redis.close()
        checks = {c["id"]: c for c in emulator.call("GET", "/checks")}  # type: ignore[union-attr]
        check_requests = [r for r in emulator.call("GET", "/requests") if "/checks" in r["path"]]  # type: ignore[union-attr]
        handled = outputs[0]["handled"]  # type: ignore[index]
        resolved = {check: (at, output["index"]) for output in outputs for check, at in output["resolved"].items()}  # type: ignore[index]
        total = scale.fleet_workers * scale.fleet_checks_per_worker
        posts = sum(1 for r in check_requests if r["method"] == "POST")
        if len(resolved) != total or posts != total:
            raise SystemExit(f"fleet: {variant}: {len(resolved)} resolved, {posts} started, of {total}")
        lag = [at - checks[check]["completed_ms"] for check, (at, _) in resolved.items()]
        fan_out = [at - handled[check] for check, (at, index) in resolved.items() if index != 0 and check in handled]
        results[variant] = {
            "checks": total,
            "requests": len(check_requests),
            "requests_per_check": len(check_requests) / total,
            "lag_p50_ms": percentile(lag, 0.50),
            "lag_p99_ms": percentile(lag, 0.99),
            "fan_out_count": len(fan_out),
            "fan_out_p50_ms": percentile(fan_out, 0.50),
            "fan_out_p99_ms": percentile(fan_out, 0.99),
            "peak_rss_mb": [output["peak_rss_kb"] / 1024 for output in outputs],  # type: ignore[index]
            "cpu_seconds": [output["cpu_seconds"] for output in outputs],  # type: ignore[index]
            "seconds": max(output["seconds"] for output in outputs),  # type: ignore[index]
        }
        row = results[variant]
        log(f"fleet: {variant}: {row['requests_per_check']:.2f} requests a check, lag p50/p99 "
            f"{row['lag_p50_ms']:.0f}/{row['lag_p99_ms']:.0f} ms, fan-out p99 {row['fan_out_p99_ms']:.1f} ms")
    return results


def cold_start(scale: Scale, tools: argparse.Namespace) -> Dict[str, dict]:
    """Starts each interpreter with and without the package, alternating, so
    that the machine's drift hits both alike; the difference is the median of
    the pairs' differences."""
    pairs = {
        "Python": ([tools.python, "-c", "import passfort"], [tools.python, "-c", "pass"]),
        "Node": ([tools.node, "-e", "require('passfort')"], [tools.node, "-e", "0"]),
    }
    results = {}
    for language, (with_package, bare) in pairs.items():
        def started_in_ms(command: List[str]) -> float:
            begun = time.perf_counter()
            subprocess.run(on_cpu(1, command), cwd=ROOT, check=True, capture_output=True)
            return (time.perf_counter() - begun) * 1000

        for _ in range(3):  # warm the page cache
            started_in_ms(with_package), started_in_ms(bare)
        package_ms, bare_ms = [], []
        for _ in range(scale.cold_start_runs):
            package_ms.append(started_in_ms(with_package))
            bare_ms.append(started_in_ms(bare))
        results[language] = {
            "package_ms": statistics.median(package_ms),
            "bare_ms": statistics.median(bare_ms),
            "above_bare_ms": statistics.median(p - b for p, b in zip(package_ms, bare_ms)),
            "command": " ".join(shell_quote(Path(part).name if index == 0 else part) for index, part in enumerate(with_package)),
            "bare_command": " ".join(shell_quote(Path(part).name if index == 0 else part) for index, part in enumerate(bare)),
        }
        log(f"cold start: {language}: {results[language]['package_ms']:.1f} ms vs bare {results[language]['bare_ms']:.1f} ms")
    return results


def shell_quote(part: str) -> str:
    return part if re.fullmatch(r"[\w./=-]+", part) else "'" + part.replace("'", "'\\''") + "'"


def versions(tools: argparse.Namespace) -> Dict[str, str]:
    def output(command: Sequence[str]) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "not found"

    packages = subprocess.run(
        [tools.python, "-c", "import importlib.metadata as m; print(' '.join(f'{p}=={m.version(p)}' for p in "
         "('passfort', 'pyreqwest', 'aiohttp', 'orjson', 'uvloop', 'httpx', 'httpcore', 'anyio', 'httpx2', 'requests')))"],
        capture_output=True, text=True).stdout.strip()
    undici = BENCH / "npm" / "node_modules" / "undici" / "package.json"
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")), 0)
    return {
        "machine": f"{model}, {os.cpu_count()} CPUs, {memory_kb / 1024 / 1024:.0f} GiB, Linux {platform.release()}",
        "python": output([tools.python, "--version"]),
        "python packages": packages,
        "node": output([tools.node, "--version"]),
        "node packages": f"undici@{json.loads(undici.read_text())['version']}" if undici.exists() else "undici not installed",
        "rustc": output(["rustc", "--version"]),
        "wrk": output(["sh", "-c", "wrk -v 2>&1"]),
    }


SECTIONS = ["python_async", "python_blocking", "node", "latency", "wrk", "rust_floor", "webhooks", "waiting", "cold_start", "idle",
            "fleet"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a tiny run that only proves the benchmark works")
    parser.add_argument("--render", type=Path, help="only write the report again from this results file and analysis.md")
    parser.add_argument("--emulator-bin", type=Path)
    parser.add_argument("--webhook-bin", type=Path)
    parser.add_argument("--core-get-bin", type=Path)
    parser.add_argument("--python")
    parser.add_argument("--node", default="node")
    parser.add_argument("--build", default="release", help="the profile the artifacts were built in, for the report")
    parser.add_argument("--out", type=Path, required=True, help="the Markdown report")
    parser.add_argument("--raw", type=Path, help="every measurement, as JSON")
    parser.add_argument("--only", nargs="+", choices=SECTIONS,
                        help="measure these sections only, keeping the others' figures from --raw's last run")
    tools = parser.parse_args()
    if tools.render:
        report = json.loads(tools.render.read_text())
        report["notes"] = (BENCH / "analysis.md").read_text()
        tools.out.write_text(render(report, smoke=False))
        return
    if not (tools.emulator_bin and tools.webhook_bin and tools.core_get_bin and tools.python and tools.raw):
        parser.error("--emulator-bin, --webhook-bin, --core-get-bin, --python and --raw are needed to measure")
    scale = SMOKE if tools.smoke else FULL
    started = time.monotonic()
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    report: Dict[str, object] = {"scale": scale.__dict__, "pinned": PINNED, "build": tools.build,
                                 "date": now, "versions": versions(tools)}
    if tools.only:
        report = json.loads(tools.raw.read_text())
        report["scale"] = {**scale.__dict__, **{k: v for k, v in report["scale"].items() if k not in scale.__dict__}}
        report.setdefault("section_dates", {}).update({section: now for section in tools.only})  # type: ignore[union-attr]

    def wanted(section: str) -> bool:
        return not tools.only or section in tools.only

    emulator = Emulator(tools.emulator_bin)
    try:
        with tempfile.TemporaryDirectory() as temporary:
            workdir = Path(temporary)
            concurrency = ["--concurrency", str(scale.concurrency)]
            py_get = [tools.python, str(BENCH / "py_get.py")]
            node_get = [tools.node, str(BENCH / "node_get.js")]
            # httpx's best configuration needs sniffio, which bench/run installs apart so that
            # the default row runs as `pip install httpx` leaves it (bench/httpx-findings.md).
            sniffio = ["--sys-path", str(Path(tools.python).absolute().parent.parent / "httpx-best")]
            # name -> (command, closed-loop calls, open-loop calls)
            python_async = {
                "passfort": ([*py_get, "passfort-async"], scale.get_calls, scale.latency_calls),
                "pyreqwest": ([*py_get, "pyreqwest-async"], scale.get_calls, scale.latency_calls),
                "aiohttp-orjson": ([*py_get, "aiohttp-orjson"], scale.get_calls, scale.latency_calls),
                "httpx": ([*py_get, "httpx-async"], scale.slowest_get_calls, scale.slow_latency_calls),
                "httpx-best": ([*py_get, "httpx-async-best", *sniffio], scale.slow_get_calls, scale.slow_latency_calls),
                "httpx2": ([*py_get, "httpx2-async"], scale.slow_get_calls, scale.slow_latency_calls),
            }
            python_blocking = {
                "passfort": ([*py_get, "passfort-blocking"], scale.blocking_calls, scale.latency_calls),
                "pyreqwest": ([*py_get, "pyreqwest-blocking"], scale.blocking_calls, scale.latency_calls),
                "httpx": ([*py_get, "httpx-blocking"], scale.blocking_calls, scale.slow_latency_calls),
                "requests": ([*py_get, "requests"], scale.blocking_calls, scale.slow_latency_calls),
            }
            node = {
                "passfort": ([*node_get, "passfort"], scale.get_calls, scale.latency_calls),
                "undici-pool": ([*node_get, "undici-pool"], scale.get_calls, scale.latency_calls),
                "fetch": ([*node_get, "fetch"], scale.get_calls, scale.latency_calls),
            }

            def closed(contenders: Dict[str, tuple], *extra: str) -> Dict[str, List[str]]:
                return {name: [*command, *extra, *concurrency, "--calls", str(calls)]
                        for name, (command, calls, _) in contenders.items()}

            def opened(contenders: Dict[str, tuple], *extra: str) -> Dict[str, List[str]]:
                return {name: [*command, *extra, *concurrency, "--calls", str(calls), "--rate", str(scale.latency_rate)]
                        for name, (command, _, calls) in contenders.items()}

            loops = ("asyncio", "uvloop")
            if wanted("python_async"):
                report["python_async"] = {loop: interleaved(closed(python_async, "--loop", loop), scale.rounds, emulator)
                                          for loop in loops}
            if wanted("python_blocking"):
                report["python_blocking"] = interleaved(closed(python_blocking), scale.rounds, emulator)
            if wanted("node"):
                report["node"] = interleaved(closed(node), scale.rounds, emulator)
            if wanted("latency"):
                report["latency"] = {
                    "rate": scale.latency_rate,
                    "python_async": {loop: latency(f"Python async ({loop})", opened(python_async, "--loop", loop), emulator)
                                     for loop in loops},
                    "python_blocking": latency("Python blocking", opened(python_blocking), emulator),
                    "node": latency("Node", opened(node), emulator),
                }
            if wanted("wrk"):
                report["wrk"] = wrk(emulator, scale)
            if wanted("rust_floor"):
                report["rust_floor"] = rust_floor(emulator, scale, tools)
            if wanted("webhooks"):
                report["webhooks"] = webhooks(scale, tools, workdir)
            if wanted("waiting"):
                report["waiting"] = waiting(emulator, scale, tools, workdir)
            if wanted("cold_start"):
                report["cold_start"] = cold_start(scale, tools)
            if wanted("idle"):
                report["idle"] = idle(scale, tools)
            if wanted("fleet"):
                report["fleet"] = fleet(emulator, scale, tools, workdir)
    finally:
        emulator.close()
    if not tools.only:
        report["elapsed_s"] = time.monotonic() - started
    if not tools.smoke:
        report["notes"] = (BENCH / "analysis.md").read_text()
    tools.out.write_text(render(report, smoke=tools.smoke))
    tools.raw.write_text(json.dumps(report, indent=2) + "\n")
    log(f"wrote {tools.out} in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()

"""A fleet of real worker processes sharing a real redis-server (issue 16):
the recipes of examples/fleet/python under gunicorn, uvicorn and Celery,
with the emulator sending its webhooks to whichever worker the kernel picks."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set

import pytest

import passfort
from passfort.testing import Emulator

from conftest import debug_logging_on, person, wait_until

redis = pytest.importorskip("redis")

RECIPES = Path(__file__).resolve().parents[2] / "examples" / "fleet" / "python"
SECRET = "whsec_fleet_py_3c1e"
#: PassFort's limit in the emulator (10 a second, 5 at once), and the fleet's budget: 90 % of it.
EMULATOR_LIMIT = (36_000, 5)
FLEET_BUDGET = (32_400, 5)
LEASE = 2.0
STARTUP = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_server_binary() -> Optional[str]:
    found = shutil.which("redis-server") or next((p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server") if os.path.exists(p)), None)
    if found is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "redis-server"], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, check=False)
        found = shutil.which("redis-server")
    return found


class RedisServer:
    """``redis-server --port P --save '' --appendonly no`` on a free port, as the Rust fleet tests start it."""

    def __init__(self, binary: str) -> None:
        self.binary, self.port = binary, free_port()
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.start()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, f"redis-server on port {self.port}")

    def answers(self) -> bool:
        try:
            return bool(self.connect().ping())
        except redis.RedisError:
            return False

    def connect(self, db: int = 0) -> Any:
        return redis.Redis(port=self.port, db=db, socket_timeout=2)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture(scope="module")
def redis_binary() -> str:
    binary = redis_server_binary()
    if binary is None:
        pytest.skip("redis-server is not installed and apt-get could not install it")
    return binary


@pytest.fixture
def redis_server(redis_binary: str) -> Iterator[RedisServer]:
    server = RedisServer(redis_binary)
    yield server
    server.stop()


def http(method: str, url: str, body: Any = None, headers: Optional[Dict[str, str]] = None, timeout: float = 120.0, raw: Optional[bytes] = None) -> Any:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


class Server:
    """A web server with several worker processes, started from a recipe."""

    def __init__(self, command: List[str], cwd: Path, env: Dict[str, str], port: int, workers: int) -> None:
        self.url, self.workers = f"http://127.0.0.1:{port}", workers
        self.log = tempfile.NamedTemporaryFile(prefix="fleet-server-", suffix=".log", delete=False)
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def fleet(self) -> Optional[Dict[str, Any]]:
        assert self.process.poll() is None, f"the server exited:\n{self.tail()}"
        try:
            answer: Dict[str, Any] = http("GET", self.url + "/fleet", timeout=5)
            return answer
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    def ready(self) -> Dict[int, str]:
        """Every worker answers and hears the fleet: pid -> worker id (requests go to any worker, so ask until each has)."""
        seen: Dict[int, str] = {}

        def all_subscribed() -> bool:
            answer = self.fleet()
            if answer and answer["subscribed"]:
                seen[answer["pid"]] = answer["worker_id"]
            return len(seen) >= self.workers

        wait_until(all_subscribed, f"{self.workers} workers subscribed to the fleet", timeout=STARTUP, interval=0.02)
        return seen

    def tail(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def app_env(emulator: Emulator, redis_url: str, **extra: str) -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PASSFORT_")}
    env.update(
        PASSFORT_API_KEY=emulator.api_key,
        PASSFORT_BASE_URL=emulator.base_url,
        PASSFORT_REDIS_URL=redis_url,
        PASSFORT_WEBHOOK_SECRET=SECRET,
        PYTHONPATH=str(RECIPES),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def reads_of(emulator: Emulator, check_id: str) -> int:
    return sum(1 for r in emulator.requests() if r["method"] == "GET" and r["path"].endswith(f"/checks/{check_id}"))


def rate_limited(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests() if r["method"] == "POST" and r["status"] == 429)


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


# ---------------------------------------------------------------- the gunicorn fleet (Flask recipe)


class Fleet:
    def __init__(self, redis_binary: str) -> None:
        self.redis = RedisServer(redis_binary)
        self.emulator = Emulator(webhook_secret=SECRET, provider_latency=1.5, rate_limit=EMULATOR_LIMIT)
        port = free_port()
        env = app_env(
            self.emulator, self.redis.url(),
            PASSFORT_FLEET_LEASE=str(LEASE),
            PASSFORT_RATE_BUDGET_PER_HOUR=str(FLEET_BUDGET[0]),
            PASSFORT_RATE_BUDGET_BURST=str(FLEET_BUDGET[1]),
        )
        command = [sys.executable, "-m", "gunicorn", "--workers", "4", "--threads", "32", "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", "flask_app:app"]
        self.server = Server(command, RECIPES, env, port, workers=4)
        self.emulator.set_webhook(self.server.url + "/passfort/webhooks", secret=SECRET)

    def post(self, path: str, body: Any) -> Any:
        return http("POST", self.server.url + path, body)

    def profile(self) -> str:
        profile_id: str = self.post("/profiles", {"collected_data": person("Fleet")})["profile_id"]
        return profile_id

    def close(self) -> None:
        self.server.stop()
        self.emulator.close()
        self.redis.stop()


@pytest.fixture(scope="module")
def fleet(redis_binary: str) -> Iterator[Fleet]:
    running = Fleet(redis_binary)
    try:
        yield running
    finally:
        running.close()


def test_a_webhook_received_by_any_gunicorn_worker_wakes_waiters_in_all(fleet: Fleet) -> None:
    fleet.server.ready()
    profile_id = fleet.profile()
    waits = 24
    # poll_interval 60 s: a wait that ends sooner was woken by a webhook.
    body = {"profile_id": profile_id, "mode": "async", "poll_interval": 60, "wait_timeout": 60}
    with ThreadPoolExecutor(waits) as pool:
        results = list(pool.map(lambda _: fleet.post("/checks", body), range(waits)))

    assert len({r["check_id"] for r in results}) == waits
    assert [r["resolved_by"] for r in results] == ["webhook"] * waits
    reads = {r["check_id"]: reads_of(fleet.emulator, r["check_id"]) for r in results}
    assert max(reads.values()) <= 2, reads
    waiters = {r["pid"] for r in results}
    assert len(waiters) >= 2, "the waits ran in several workers"
    # Fan-out latency: the check finished at the emulator -> the woken waiter's read.
    completed = {c["id"]: c["completed_ms"] for c in fleet.emulator.checks()}
    last_read = {}
    for r in fleet.emulator.requests():
        for check_id in reads:
            if r["method"] == "GET" and r["path"].endswith(f"/checks/{check_id}"):
                last_read[check_id] = r["timestamp_ms"]
    latencies = [float(last_read[c] - completed[c]) for c in reads]
    print(f"\nfan-out (check completed -> waiter's read), {waits} waits in {len(waiters)} workers: "
          f"p50 {statistics.median(latencies):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms")


def completed_event(event_id: str, profile_id: str, check_id: str) -> bytes:
    return json.dumps({
        "id": event_id,
        "event": "CHECK_COMPLETED",
        "secret": SECRET,
        "timestamp": int(time.time()),
        "data": {"profile_id": profile_id, "check": {"id": check_id, "check_type": "IDENTITY_CHECK", "result": "Pass"}},
    }).encode()


def test_redelivered_events_are_acted_on_once_across_the_workers(fleet: Fleet) -> None:
    fleet.server.ready()
    events = {f"evt-dup-{uuid.uuid4().hex[:12]}-{n}": f"chk-{n}" for n in range(5)}
    acted: Dict[str, int] = {event_id: 0 for event_id in events}
    receivers: Set[int] = set()

    def deliver(event_id: str) -> Dict[str, Any]:
        body = completed_event(event_id, "prof-dup", events[event_id])
        answer: Dict[str, Any] = http("POST", fleet.server.url + "/passfort/webhooks", raw=body, headers={"Authorization": f"Bearer {SECRET}"})
        return answer

    # PassFort retries a delivery until answered 200: each event comes several
    # times, to whichever worker takes the connection, until two workers at least got them.
    rounds = 0
    while len(receivers) < 2 or rounds < 3:
        rounds += 1
        assert rounds < 50, "the deliveries never reached a second worker"
        with ThreadPoolExecutor(10) as pool:
            for answer in pool.map(deliver, [event_id for event_id in events for _ in range(2)]):
                receivers.add(answer["pid"])
                for event_id in answer["acted_on"]:
                    acted[event_id] += 1

    assert acted == {event_id: 1 for event_id in events}
    print(f"\nde-duplication: {len(events)} events delivered {rounds * 2} times each to {len(receivers)} workers, each acted on once")


def test_four_workers_share_one_rate_budget_and_meet_no_429(fleet: Fleet) -> None:
    fleet.server.ready()
    before = rate_limited(fleet.emulator)
    creations = 45  # at 90 % of 10 a second: about 4.5 s of the fleet's budget
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda n: fleet.post("/profiles", {"collected_data": person(f"Budget{n}")}), range(creations)))

    assert len({a["profile_id"] for a in answers}) == creations
    spenders = {a["pid"] for a in answers}
    assert len(spenders) >= 2
    assert rate_limited(fleet.emulator) - before == 0
    print(f"\nshared budget: {creations} profiles created by {len(spenders)} workers at 90 % of the limit, 429s: 0")


def ledger_tags(fleet: Fleet) -> Dict[str, str]:
    """tag -> owner of every check in the fleet's ledger."""
    connection = fleet.redis.connect()
    tags = {}
    for key in connection.scan_iter("passfort:fleet:check:*"):
        fields = {k.decode(): v.decode() for k, v in connection.hgetall(key).items()}
        if fields.get("tag"):
            tags[fields["tag"]] = fields["owner"]
    return tags


def test_checks_of_a_sigkilled_worker_are_handed_over_once(fleet: Fleet) -> None:
    workers = fleet.server.ready()
    profile_id = fleet.profile()
    count = 8
    # The checks finish 6 s after they start: after the kill and the lease's expiry.
    fleet.emulator.script(profile_id, "IDENTITY_CHECK", ["Pass"] * count, latency=6.0)
    tags = [f"order-{uuid.uuid4().hex[:8]}-{n}" for n in range(count)]
    started = {tag: fleet.post("/checks", {"profile_id": profile_id, "mode": "async", "tag": tag, "background": True}) for tag in tags}
    wait_until(lambda: set(tags) <= set(ledger_tags(fleet)), "every check recorded in the ledger")
    by_pid: Dict[int, List[str]] = {}
    for tag, answer in started.items():
        by_pid.setdefault(answer["pid"], []).append(tag)
    victim = max(by_pid, key=lambda pid: len(by_pid[pid]))
    victim_id = started[by_pid[victim][0]]["worker_id"]
    assert workers.get(victim, victim_id) == victim_id
    os.kill(victim, signal.SIGKILL)

    handed_over: Dict[str, int] = {}
    recovered_by: Set[int] = set()

    def all_handed_over() -> bool:
        answer = fleet.post("/fleet/recover", {})
        for item in answer["recovered"]:
            handed_over[item["tag"]] = handed_over.get(item["tag"], 0) + 1
            assert item["previous_owner"] == victim_id
            assert item["state"] == "COMPLETE", item
            recovered_by.add(answer["pid"])
        return set(by_pid[victim]) <= set(handed_over)

    wait_until(all_handed_over, "the killed worker's checks handed over", timeout=60, interval=0.2)
    assert victim not in recovered_by
    assert handed_over == {tag: 1 for tag in by_pid[victim]}
    # The other workers' checks finish where they started: the ledger empties, nothing else was taken over.
    wait_until(lambda: not ledger_tags(fleet), "the ledger empty", timeout=30, interval=0.1)
    assert handed_over == {tag: 1 for tag in by_pid[victim]}
    print(f"\nSIGKILL: {len(by_pid[victim])} checks of the killed worker handed over once each "
          f"(to {len(recovered_by)} worker(s)); {count - len(by_pid[victim])} finished by their own workers")


def test_every_wait_resolves_once_across_a_redis_restart(fleet: Fleet) -> None:
    fleet.server.ready()
    profile_id = fleet.profile()
    count = 12
    fleet.emulator.script(profile_id, "IDENTITY_CHECK", ["Pass"] * count, latency=3.0)
    tags = [f"restart-{uuid.uuid4().hex[:8]}-{n}" for n in range(count)]
    body = {"profile_id": profile_id, "mode": "async", "poll_interval": 1, "wait_timeout": 90}
    with ThreadPoolExecutor(count) as pool:
        waits = [pool.submit(fleet.post, "/checks", {**body, "tag": tag}) for tag in tags]
        wait_until(lambda: set(tags) <= set(ledger_tags(fleet)), "every check recorded in the ledger")
        fleet.redis.stop()
        ours = lambda: [c for c in fleet.emulator.checks() if c["profile_id"] == profile_id]  # noqa: E731
        wait_until(lambda: len(ours()) == count and all(c["state"] == "COMPLETE" for c in ours()), "the checks finished while Redis is down", timeout=30)
        fleet.redis.start()
        results = [wait.result(timeout=90) for wait in waits]

    assert sorted(r["check_id"] for r in results) == sorted(c["id"] for c in ours())
    assert all(r["state"] == "COMPLETE" for r in results)
    fleet.server.ready()
    # Nothing is left for anyone to take over: no wait resolves twice.
    assert fleet.post("/fleet/recover", {})["recovered"] == []
    print(f"\nRedis restart: {count} waits resolved once each ({sorted(r['resolved_by'] for r in results)})")


# ---------------------------------------------------------------- the other recipes, smaller


def run_recipe_waits(server: Server, emulator: Emulator, waits: int = 4) -> List[Dict[str, Any]]:
    server.ready()
    client = passfort.Client(api_key=emulator.api_key, base_url=emulator.base_url)
    profile = client.create_profile("INDIVIDUAL_CUSTOMER", person("Recipe"))
    body = {"profile_id": profile.id, "mode": "async", "poll_interval": 60}
    with ThreadPoolExecutor(waits) as pool:
        results = list(pool.map(lambda _: http("POST", server.url + "/checks", body), range(waits)))
    assert [r["resolved_by"] for r in results] == ["webhook"] * waits
    assert all(r["state"] == "COMPLETE" for r in results)
    return results


def test_fastapi_recipe_under_uvicorn_with_two_workers(redis_server: RedisServer) -> None:
    with Emulator(webhook_secret=SECRET, provider_latency=1.0) as emulator:
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "fastapi_app:app", "--workers", "2", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        server = Server(command, RECIPES, app_env(emulator, redis_server.url()), port, workers=2)
        try:
            emulator.set_webhook(server.url + "/passfort/webhooks", secret=SECRET)
            run_recipe_waits(server, emulator)
        finally:
            server.stop()


def test_django_recipe_under_gunicorn(redis_server: RedisServer) -> None:
    with Emulator(webhook_secret=SECRET, provider_latency=1.0) as emulator:
        port = free_port()
        env = app_env(emulator, redis_server.url(), WEB_CONCURRENCY="2", BIND=f"127.0.0.1:{port}", DJANGO_SETTINGS_MODULE="fleetsite.settings")
        env["PYTHONPATH"] = str(RECIPES / "django_app")
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "fleetsite.wsgi"]
        server = Server(command, RECIPES / "django_app", env, port, workers=2)
        try:
            emulator.set_webhook(server.url + "/passfort/webhooks", secret=SECRET)
            run_recipe_waits(server, emulator)
        finally:
            server.stop()


def test_celery_recipe_runs_verify_task_once_woken_by_a_webhook(redis_server: RedisServer) -> None:
    with Emulator(webhook_secret=SECRET, provider_latency=1.0) as emulator:
        env = app_env(emulator, redis_server.url(), CELERY_BROKER_URL=redis_server.url(1), CELERY_RESULT_BACKEND=redis_server.url(2))
        log = tempfile.NamedTemporaryFile(prefix="fleet-celery-", suffix=".log", delete=False)
        command = [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "--pool", "prefork", "--concurrency", "2",
                   "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"]
        worker = subprocess.Popen(command, cwd=RECIPES, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        # The web side of the fleet: the built-in listener in this process receives the emulator's webhooks.
        web = passfort.Client(api_key=emulator.api_key, base_url=emulator.base_url, webhook_secret=SECRET, redis_url=redis_server.url())
        listener = web.webhooks.serve(port=0)
        try:
            emulator.set_webhook(listener.url, secret=SECRET)
            profile = web.create_profile("INDIVIDUAL_CUSTOMER", person("Celery"))
            task = profile.tasks[1]
            from celery import Celery

            sender = Celery("passfort_fleet", broker=redis_server.url(1), backend=redis_server.url(2))
            verified = sender.send_task("passfort.verify", args=[profile.id, task.id, "PEPS_AND_SANCTIONS_SCREEN"])
            outcome = verified.get(timeout=60)
            # poll_interval 60 s: a wait that ends sooner was woken by the webhook the listener received.
            screened = sender.send_task("passfort.screen", args=[profile.id, "PEPS_AND_SANCTIONS_SCREEN"], kwargs={"tag": "order-7", "mode": "async", "poll_interval": 60})
            screening = screened.get(timeout=60)
            sender.close()
        except Exception:
            print(Path(log.name).read_text(errors="replace")[-4000:])
            raise
        finally:
            listener.close()
            web.close()
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)

        assert outcome["stop"] == "passed" and outcome["task_state"] == "COMPLETED_PASS"
        verified_check = outcome["checks"][0]["check_id"]
        assert [c["check_id"] for c in outcome["checks"]] == [verified_check]
        started = [r for r in emulator.requests() if r["method"] == "POST" and r["path"].endswith(f"/profiles/{profile.id}/checks")]
        assert len(started) == 2, "verify_task started its check once (and screen its own)"
        assert reads_of(emulator, verified_check) <= 2
        assert screening["resolved_by"] == "webhook"
        assert reads_of(emulator, screening["check_id"]) <= 2


# ---------------------------------------------------------------- one process: settings, secrets, fork


def test_fleet_settings_are_checked_and_a_client_without_redis_is_a_fleet_of_one(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PASSFORT_REDIS_URL", raising=False)
    alone = emulator.client()
    assert (alone.in_fleet, alone.worker_id, alone.fleet_subscribed) == (False, None, False)
    with pytest.raises(passfort.ConfigurationError, match="recover needs a fleet"):
        alone.recover()
    profile = alone.create_profile("INDIVIDUAL_CUSTOMER", person())
    made = len(emulator.requests())
    with pytest.raises(passfort.PassFortError, match="tag"):
        alone.run_check_and_wait(profile.id, "IDENTITY_CHECK", tag="x" * 257)
    assert len(emulator.requests()) == made, "refused before any request"
    for bad_number in ({"fleet_lease": 0.01}, {"rate_budget_per_hour": 0}, {"rate_budget_burst": -1}):
        with pytest.raises(passfort.InvalidArgumentError, match=next(iter(bad_number))):
            emulator.client(redis_url="redis://127.0.0.1:1/0", **bad_number)
    with pytest.raises(passfort.ConfigurationError, match="redis://"):
        emulator.client(redis_url="http://redis:6379")
    monkeypatch.setenv("PASSFORT_REDIS_URL", "redis://127.0.0.1:1/0")
    assert emulator.client().in_fleet, "PASSFORT_REDIS_URL turns the fleet on"


def test_the_redis_password_appears_in_no_repr_error_or_log(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    password = "hunter2-fleet-py"
    shown: List[str] = []
    with pytest.raises(passfort.ConfigurationError) as refused:
        emulator.client(redis_url=f"rediss://:{password}@redis.internal:6380/0")
    shown += [str(refused.value), repr(refused.value)]
    # Nothing listens on port 1: Redis is unreachable.
    client = emulator.client(redis_url=f"redis://:{password}@127.0.0.1:1/0", webhook_secret=SECRET)
    debug_logging_on(client, caplog)
    shown += [repr(client), repr(client.webhooks), str(client.worker_id)]
    with pytest.raises(passfort.APIConnectionError) as unreachable:
        client.recover()
    shown += [str(unreachable.value), repr(unreachable.value), repr(unreachable.value.__dict__)]
    events = client.webhooks.handle(completed_event("evt-secret-1", "prof-1", "chk-1"), {"Authorization": f"Bearer {SECRET}"})
    assert [event.id for event in events] == ["evt-secret-1"], "acted on per process while Redis is down"
    lines = [record.getMessage() + repr(record.__dict__) for record in caplog.records]
    assert any("Redis is unreachable" in line for line in lines), lines
    for text in shown + lines:
        assert password not in text, text


FORK_SCRIPT = """
import os, sys, time
import passfort

client = passfort.Client(api_key="sk_fork", webhook_secret="whsec_fork_0123456789", redis_url=sys.argv[1])
parent = client.worker_id

def subscribed():
    deadline = time.monotonic() + 20
    while not client.fleet_subscribed:
        assert time.monotonic() < deadline, "no fleet subscription"
        time.sleep(0.01)

subscribed()
pid = os.fork()  # as gunicorn --preload and Celery's prefork pool do, after import
if pid == 0:
    try:
        subscribed()
        assert client.worker_id not in (None, parent), (client.worker_id, parent)
        assert str(os.getpid()) in client.worker_id
    except BaseException as error:
        print("child:", repr(error), flush=True)
        os._exit(1)
    os._exit(0)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_a_client_made_before_fork_joins_the_fleet_anew_in_the_child(redis_server: RedisServer) -> None:
    done = subprocess.run([sys.executable, "-c", FORK_SCRIPT, redis_server.url()], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_unacknowledged_event_comes_back_on_any_worker_until_one_acknowledges_it(emulator: Emulator, redis_server: RedisServer) -> None:
    first, second = (emulator.client(webhook_secret=SECRET, redis_url=redis_server.url()) for _ in range(2))
    body, headers = completed_event("evt-ack-1", "prof-1", "chk-1"), {"Authorization": f"Bearer {SECRET}"}
    assert [e.id for e in first.webhooks.handle(body, headers, acknowledge=False)] == ["evt-ack-1"]
    assert [e.id for e in second.webhooks.handle(body, headers, acknowledge=False)] == ["evt-ack-1"], "the first worker's handling failed"
    second.webhooks.acknowledge(["evt-ack-1"])
    assert first.webhooks.handle(body, headers, acknowledge=False) == []
    assert first.webhooks.handle(body, headers) == []

    async def in_asyncio() -> None:
        async with emulator.async_client(webhook_secret=SECRET, redis_url=redis_server.url()) as third:
            other = completed_event("evt-ack-2", "prof-1", "chk-1")
            assert [e.id for e in await third.webhooks.handle_async(other, headers, acknowledge=False)] == ["evt-ack-2"]
            await third.webhooks.acknowledge_async(["evt-ack-2"])
            assert await third.webhooks.handle_async(other, headers) == []
            assert second.webhooks.handle(other, headers) == [], "acknowledged across the fleet"

    asyncio.run(in_asyncio())


def test_recover_answers_the_ledger_entry_with_the_finished_check(emulator: Emulator, redis_server: RedisServer) -> None:
    first = emulator.client(webhook_secret=SECRET, redis_url=redis_server.url(), fleet_lease=0.5)
    taker = emulator.async_client(webhook_secret=SECRET, redis_url=redis_server.url(), fleet_lease=0.5)
    profile = first.create_profile("INDIVIDUAL_CUSTOMER", person())
    emulator.script(profile.id, "IDENTITY_CHECK", ["Pass"], latency=3.0)
    task_ids = [profile.tasks[0].id]
    # A wait that ends without seeing its check finished leaves it in the ledger; its lease then expires.
    with pytest.raises(passfort.CheckWaitTimeoutError):
        first.run_check_and_wait(profile.id, "IDENTITY_CHECK", task_ids=task_ids, mode="async", tag="order-42", wait_timeout=0.5)

    async def recovered() -> List[passfort.RecoveredCheck]:
        deadline = time.monotonic() + 20
        while True:
            items = await taker.recover()
            if items or time.monotonic() > deadline:
                return items
            await asyncio.sleep(0.05)

    items = asyncio.run(recovered())
    assert len(items) == 1
    item = items[0]
    assert (item.profile_id, item.check_type, item.task_ids, item.tag, item.previous_owner) == (
        profile.id, "IDENTITY_CHECK", task_ids, "order-42", first.worker_id)
    assert item.error is None and item.check is not None
    assert (item.check.id, item.check.state, item.check.result) == (item.check_id, "COMPLETE", "Pass")
    assert "order-42" in repr(item) and item.check_id in repr(item)
    assert first.recover() == [] and asyncio.run(taker.recover()) == [], "handed over once"

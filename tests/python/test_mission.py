"""The shared mission scenarios (tests/scenarios/mission.json), run through
the async and the blocking client. The step language is described at the top
of the JSON file; this module is its Python interpreter.

The interpreter itself is synchronous. In the async flavour every call is a
coroutine of ``AsyncClient`` run on an event loop in a thread of its own, which
keeps running while the interpreter waits, so a started call makes progress
and ``cancel`` is a plain ``task.cancel()`` on that loop. In the blocking
flavour every call is the ``Client`` method, called on this thread."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import pathlib
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Tuple

import pytest

import passfort
from passfort.testing import Emulator

from conftest import person

TABLE = json.loads((pathlib.Path(__file__).parents[1] / "scenarios" / "mission.json").read_text())
API_KEY = "sk_mission_py_51c7"
#: ``run_document_check``'s image: a 1×1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
WEBHOOK_SECRET = "whsec_mission_py_2e90"

#: How often the runner reads the emulator's log while it waits for something.
LOG_POLL = 0.02


# ---- views: what `as` binds, the same shape in every runner -----------------


def plain(value: Any) -> Any:
    """An enum member as its value (``str()`` of the package's str enums)."""
    return None if value is None else str(value)


def as_read(value: Any) -> Any:
    """The API's JSON, bound as it is."""
    return value


def check_view(check: passfort.Check) -> Dict[str, Any]:
    return {
        "id": check.id,
        "check_type": plain(check.check_type),
        "state": plain(check.state),
        "result": check.result,
        "decision": plain(check.decision),
        "task_ids": list(check.task_ids),
        "is_complete": check.is_complete,
        **({"resolved_by": check.wait.resolved_by} if check.wait is not None else {}),
    }


def task_view(task: passfort.Task) -> Dict[str, Any]:
    return {
        "id": task.id,
        "type": plain(task.type),
        "state": plain(task.state),
        "is_complete": task.is_complete,
        "check_ids": list(task.check_ids),
    }


def profile_view(profile: passfort.Profile) -> Dict[str, Any]:
    return {"id": profile.id, "role": plain(profile.role), "tasks": [task_view(t) for t in profile.tasks]}


def outcome_view(outcome: passfort.VerifyOutcome) -> Dict[str, Any]:
    return {
        "stop": outcome.stop,
        "needs_review": outcome.needs_review,
        "checks": [check_view(c) for c in outcome.checks],
        "task": None if outcome.task is None else task_view(outcome.task),
    }


def error_view(error: BaseException) -> Dict[str, Any]:
    field = lambda name: getattr(error, name, None)  # noqa: E731
    return {"code": getattr(error, "code", type(error).__name__), "status": field("status"), "profile_id": field("profile_id"), "check_id": field("check_id")}


# ---- references and expectations --------------------------------------------


def lookup(bound: Dict[str, Any], reference: str) -> Any:
    name, *path = reference[1:].split(".")
    if name not in bound:
        raise AssertionError(f"nothing is bound to {name}")
    value = bound[name]
    for part in path:
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise AssertionError(f"{reference}: no {part} in {value!r}")
    return value


def resolve(bound: Dict[str, Any], value: Any) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return lookup(bound, value)
    if isinstance(value, list):
        return [resolve(bound, item) for item in value]
    if isinstance(value, dict):
        return {key: resolve(bound, item) for key, item in value.items()}
    return value


def same(a: Any, b: Any) -> bool:
    """JSON equality: 401 == 401.0, but True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def expect(actual: Any, step: Dict[str, Any]) -> None:
    shown = f"{step['expect']}: got {actual!r}"
    if "is" in step:
        assert same(actual, step["is"]), f"{shown}, expected {step['is']!r}"
    if "has" in step:
        for name, value in step["has"].items():
            assert isinstance(actual, dict) and name in actual and same(actual[name], value), f"{shown}, expected {name} = {value!r}"
    if "one_of" in step:
        assert any(same(actual, option) for option in step["one_of"]), f"{shown}, expected one of {step['one_of']!r}"
    if "length" in step:
        assert isinstance(actual, list) and len(actual) == step["length"], f"{shown}, expected length {step['length']}"
    if "at_least" in step:
        have = len(actual) if isinstance(actual, list) else actual
        assert have >= step["at_least"], f"{shown}, expected at least {step['at_least']}"


def path_matches(pattern: str, path: str) -> bool:
    patterns, segments = pattern.split("/"), path.split("/")
    return len(patterns) == len(segments) and all(p == "*" or p == s for p, s in zip(patterns, segments))


def request_matches(wanted: Dict[str, Any], request: Dict[str, Any]) -> bool:
    return (
        ("method" not in wanted or request["method"] == wanted["method"])
        and ("path" not in wanted or path_matches(wanted["path"], request["path"]))
        and ("query" not in wanted or request["query"] == wanted["query"])
    )


# ---- the runner -------------------------------------------------------------


class Loop:
    """An event loop running in its own thread for the async flavour."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="mission-loop", daemon=True)
        self.thread.start()

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def start(self, coroutine: Any) -> "asyncio.Task[Any]":
        async def create() -> "asyncio.Task[Any]":
            return asyncio.ensure_future(coroutine)

        return self.run(create())

    def cancel(self, task: "asyncio.Task[Any]") -> str:
        async def cancelled() -> str:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                return "cancelled"
            return "finished before it was cancelled"

        return self.run(cancelled())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Runner:
    def __init__(self, emulator: Emulator, flavour: str) -> None:
        self.emulator = emulator
        self.flavour = flavour
        self.loop = Loop() if flavour == "async" else None
        self.bound: Dict[str, Any] = {}
        self.started: Dict[str, Any] = {}
        self.clients: List[Any] = []
        self.servers: List[ThreadingHTTPServer] = []
        self.client = self.make_client({})

    def make_client(self, options: Dict[str, Any]) -> Any:
        options = dict(options)
        api_key = options.pop("api_key", API_KEY)
        kind = passfort.AsyncClient if self.flavour == "async" else passfort.Client
        client = kind(api_key, base_url=self.emulator.base_url, webhook_secret=WEBHOOK_SECRET, **options)
        self.clients.append(client)
        return client

    def prepare(self, name: str, args: Dict[str, Any]) -> Tuple[Callable[[], Any], Callable[[Any], Any]]:
        """The call, as a thunk giving its awaitable (async) or its result (blocking), and how to view what it gives."""
        client = self.client
        given = lambda *names: {n: args[n] for n in names if n in args}  # noqa: E731
        calls: Dict[str, Any] = {
            "whoami": (lambda: client.whoami(), lambda me: {"institution": me["institution"]["name"]}),
            "create_profile": (
                lambda: client.create_profile(args.get("role", "INDIVIDUAL_CUSTOMER"), person(args.get("family_name", "Smith"))),
                profile_view,
            ),
            "get_profile": (lambda: client.get_profile(args["profile"]), profile_view),
            "get_check": (lambda: client.get_check(args["profile"], args["check"]), check_view),
            "get_task": (lambda: client.get_task(args["profile"], args["task"]), task_view),
            "run_check": (lambda: client.run_check(args["profile"], args["check_type"], **given("task_ids", "mode")), check_view),
            "run_check_and_wait": (
                lambda: client.run_check_and_wait(args["profile"], args["check_type"], **given("task_ids", "mode", "wait_timeout")),
                check_view,
            ),
            "wait_for_check": (lambda: client.wait_for_check(args["profile"], args["check"], **given("wait_timeout", "poll_interval")), check_view),
            "complete_task": (lambda: client.complete_task(args["profile"], args["task"], args["state"]), task_view),
            "verify_task": (lambda: client.verify_task(args["profile"], args["task"], args["check_type"], **given("max_failures")), outcome_view),
            "run_checks": (
                lambda: client.run_checks(
                    [passfort.CheckRequest(r["profile"], r["check_type"]) for r in args["requests"]], **given("concurrency")
                ),
                lambda batch: [
                    {"ok": item.ok, "check": check_view(item.result) if item.ok else None, "error": None if item.ok else item.error.code}
                    for item in batch
                ],
            ),
            "create_application": (
                lambda: client.applications.create(args["profile"], {"product": {"alias": "individual-account"}}),
                lambda application: {"id": application["id"], "status": application["status"]},
            ),
            "list_applications": (lambda: client.applications.list(args["profile"]), as_read),
            "list_document_images": (lambda: client.documents.list_images(args["profile"]), as_read),
            "get_collected_data": (lambda: client.collected_data.get(args["profile"]), as_read),
            "decide_application": (
                lambda: client.decide_application(args["profile"], args["application"]),
                lambda decision: {
                    "outcome": decision.outcome,
                    "written": decision.written,
                    "status": decision.application["status"],
                    "blockers": [blocker["blocker_type"] for blocker in decision.blockers],
                },
            ),
            "run_document_check": (
                lambda: client.run_document_check(
                    args["profile"],
                    image=PNG,
                    image_type=args.get("image_type", "FRONT"),
                    document_type=args.get("document_type", "PASSPORT"),
                    mode="sync",
                    **given("wait_timeout"),
                ),
                check_view,
            ),
            "update_collected_data": (
                lambda: client.update_collected_data(args["profile"], args["change"], **given("max_attempts")),
                lambda updated: {"data": updated.data, "attempts": updated.attempts},
            ),
        }
        if name not in calls:
            raise AssertionError(f"no such call in the step language: {name}")
        return calls[name]

    def call(self, name: str, args: Dict[str, Any]) -> Any:
        run, view = self.prepare(name, args)
        if self.loop is None:
            return view(run())
        return self.loop.run(self.awaited(run, view))

    @staticmethod
    async def awaited(run: Callable[[], Any], view: Callable[[Any], Any]) -> Any:
        return view(await run())

    def webhooks(self, how: str) -> None:
        if how == "serve":
            url = self.client.webhooks.serve().url
        elif how == "handle":
            hub = self.client.webhooks

            class Deliveries(BaseHTTPRequestHandler):
                def do_POST(self) -> None:
                    body = self.rfile.read(int(self.headers.get("content-length", "0")))
                    try:
                        hub.handle(body, list(self.headers.items()))
                        status = 200
                    except passfort.WebhookVerificationError:
                        status = 401
                    self.send_response(status)
                    self.send_header("content-length", "0")
                    self.end_headers()

                def log_message(self, *args: object) -> None:
                    pass

            server = ThreadingHTTPServer(("127.0.0.1", 0), Deliveries)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)
            url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        else:
            raise AssertionError(f"webhooks: {how}?")
        self.emulator.set_webhook(url, secret=WEBHOOK_SECRET)

    def admin(self, method: str, path: str, body: Any) -> None:
        """The emulator's admin API, for the steps its library has no method for (never through a proxy)."""
        request = urllib.request.Request(f"{self.emulator.url}/_emulator{path}", data=json.dumps(body).encode(), method=method)
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as answer:
            assert 200 <= answer.status < 300, f"admin {path} answered {answer.status}"

    def read(self, read: Dict[str, Any]) -> List[Dict[str, Any]]:
        if "requests" in read:
            return [r for r in self.emulator.requests() if request_matches(read["requests"], r)]
        if "checks" in read:
            wanted = read["checks"]
            return [c for c in self.emulator.checks() if "profile" not in wanted or c["profile_id"] == wanted["profile"]]
        if "deliveries" in read:
            wanted = read["deliveries"]
            return [
                d
                for d in self.emulator.webhook_deliveries()
                if ("status" not in wanted or d["status"] == wanted["status"]) and ("event" not in wanted or wanted["event"] in d["events"])
            ]
        raise AssertionError(f"not an emulator read: {read}")

    def step(self, raw: Dict[str, Any]) -> None:
        if "expect" in raw:
            reference = raw["expect"]
            expect(lookup(self.bound, reference), {**resolve(self.bound, raw), "expect": reference})
            return
        step = resolve(self.bound, raw)
        bind = lambda value: self.bound.__setitem__(step["as"], value) if "as" in step else None  # noqa: E731
        if "configure" in step:
            self.emulator.configure(**step["configure"])
        elif "gateway_timeout" in step:
            self.admin("PUT", "/config", {"gateway_timeout_ms": round(step["gateway_timeout"] * 1000)})
        elif "after_next_read" in step:
            following = step["after_next_read"]
            self.admin("POST", f"/profiles/{following['profile']}/collected_data/after_next_read", following["change"])
        elif "script" in step:
            script = step["script"]
            self.emulator.script(script["profile"], script["check_type"], script["results"])
        elif "fault" in step:
            fault = dict(step["fault"])
            self.emulator.fault(fault.pop("method"), fault.pop("path"), fault.pop("action"), **fault)
        elif "webhooks" in step:
            self.webhooks(step["webhooks"])
        elif "client" in step:
            if "error" in step:
                with pytest.raises(Exception) as raised:
                    self.make_client(step["client"])
                assert error_view(raised.value)["code"] == step["error"], f"client {step['client']}: {raised.value!r}"
            else:
                self.client = self.make_client(step["client"])
        elif "call" in step:
            args = {k: v for k, v in step.items() if k not in ("call", "as", "error")}
            if "error" not in step:
                bind(self.call(step["call"], args))
                return
            try:
                value = self.call(step["call"], args)
            except passfort.PassFortError as error:
                view = error_view(error)
                assert view["code"] == step["error"], f"{step['call']}: {error!r} ({view['code']}), expected {step['error']}"
                bind(view)
            else:
                raise AssertionError(f"{step['call']}: succeeded with {value!r}, expected {step['error']}")
        elif "start" in step:
            assert self.loop is not None, "start is async only"
            args = {k: v for k, v in step.items() if k not in ("start", "as")}
            self.started[step["as"]] = self.loop.start(self.awaited(*self.prepare(step["start"], args)))
        elif "cancel" in step:
            assert self.loop is not None, "cancel is async only"
            ended = self.loop.cancel(self.started.pop(step["cancel"]))
            assert ended == "cancelled", f"cancel {step['cancel']}: {ended}"
        elif any(read in step for read in ("requests", "checks", "deliveries")):
            bind(self.read(step))
        elif "wait_until" in step:
            deadline = time.monotonic() + step.get("within", 10)
            while (count := len(self.read(step["wait_until"]))) < step["at_least"]:
                assert time.monotonic() < deadline, f"wait_until {step['wait_until']}: {count} found, expected at least {step['at_least']}"
                time.sleep(LOG_POLL)
        elif "settle" in step:
            started = time.monotonic()
            first = count = len(self.read(step["settle"]))
            changed = time.monotonic()
            while time.monotonic() - changed < step["quiet"]:
                assert time.monotonic() - started < step.get("within", 10), f"settle {step['settle']}: still growing ({first} then {count})"
                time.sleep(LOG_POLL)
                now = len(self.read(step["settle"]))
                if now != count:
                    count, changed = now, time.monotonic()
            assert count - first <= step["grew_at_most"], f"settle {step['settle']}: grew from {first} to {count}"
        else:
            raise AssertionError(f"unknown step {raw}")

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
        if self.loop is not None:
            for task in self.started.values():
                self.loop.loop.call_soon_threadsafe(task.cancel)
            for client in self.clients:
                self.loop.run(client.close())
            self.loop.close()
        else:
            for client in self.clients:
                client.close()


@pytest.mark.parametrize("scenario", TABLE["scenarios"], ids=lambda scenario: scenario["name"])
@pytest.mark.parametrize("flavour", ["async", "blocking"])
def test_mission(scenario: Dict[str, Any], flavour: str) -> None:
    if flavour == "blocking" and scenario.get("async_only"):
        pytest.skip("cancels a call: a blocking call cannot be cancelled from its own thread (Ctrl-C aside)")
    with Emulator(api_key=API_KEY, webhook_secret=WEBHOOK_SECRET, provider_latency=0.01) as emulator:
        runner = Runner(emulator, flavour)
        try:
            for index, step in enumerate(scenario["steps"], 1):
                try:
                    runner.step(step)
                except AssertionError as failure:
                    raise AssertionError(f"step {index} {json.dumps(step)[:160]}: {failure}") from None
        finally:
            runner.close()


def test_the_durations_named_in_the_table_are_numbers() -> None:
    for scenario in TABLE["scenarios"]:
        for step in scenario["steps"]:
            for inner in [step, *(v for v in step.values() if isinstance(v, dict))]:
                for name in TABLE["durations"]:
                    if name in inner:
                        assert isinstance(inner[name], (int, float)) and math.isfinite(inner[name]), (scenario["name"], step)

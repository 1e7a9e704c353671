"""Typed webhook events (tests/scenarios/webhook-events.json, shared with Rust and Node): every
event type the emulator sends arrives once, as its class, while run_check_and_wait waiters wait;
decoding of the types the emulator never sends, of unknown fields and values, and pass-through."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import pytest

import passfort
from passfort import CheckCompletedEvent, RiskLevelChangedEvent, UnknownWebhookEvent, WebhookEvent
from passfort.testing import Emulator

from conftest import WEBHOOK_SECRET, lookup, resolve, wait_until

SCENARIO: Dict[str, Any] = json.loads((Path(__file__).parent.parent / "scenarios" / "webhook-events.json").read_text())


def class_of(kind: str) -> type:
    """The Python class of a core WebhookEventKind variant."""
    cls = getattr(passfort, "UnknownWebhookEvent" if kind == "Unknown" else f"{kind}Event")
    assert isinstance(cls, type) and issubclass(cls, WebhookEvent), kind
    return cls


def field(event: WebhookEvent, dotted: str) -> Any:
    """A typed field: the first name an attribute, the rest keys of the dicts it holds."""
    name, _, rest = dotted.partition(".")
    value = getattr(event, name)
    return lookup(value, rest) if rest else value


def has_fields(event: WebhookEvent, fields: Dict[str, Any], saved: Dict[str, Any]) -> bool:
    try:
        return all(field(event, path) == resolve(want, saved) for path, want in fields.items())
    except (KeyError, IndexError, TypeError):
        return False


def envelope(event_id: str, event: str, data: Any) -> Dict[str, Any]:
    return {"id": event_id, "event": event, "secret": WEBHOOK_SECRET, "timestamp": int(time.time()), "data": data}


def bearer() -> Dict[str, str]:
    return {"Authorization": f"Bearer {WEBHOOK_SECRET}"}


@pytest.mark.parametrize("index", range(len(SCENARIO["decode"])))
def test_each_decode_case_comes_as_its_class(emulator: Emulator, index: int) -> None:
    case = SCENARIO["decode"][index]
    [event] = emulator.client().webhooks.handle(json.dumps([envelope(f"evt-{index}", case["event"], case["data"])]), bearer())
    assert type(event) is class_of(case["class"]) and isinstance(event, WebhookEvent)
    assert (event.event, event.data, event.id) == (case["event"], case["data"], f"evt-{index}")
    assert has_fields(event, case.get("fields", {}), {}), [(path, field(event, path)) for path in case.get("fields", {})]
    for name, length in case.get("lengths", {}).items():
        assert len(getattr(event, name)) == length


def test_isinstance_tells_the_event_types_apart(emulator: Emulator) -> None:
    batch = [
        envelope("m1", "CHECK_COMPLETED", {"profile_id": "p", "check": {"id": "c1", "result": "2+2"}}),
        envelope("m2", "RISK_LEVEL_CHANGED", {"profile_id": "p", "new_risk_level": "HIGH", "old_risk_level": None}),
        envelope("m3", "NOT_YET_INVENTED", {"profile_id": "p"}),
    ]
    seen: List[str] = []
    for event in emulator.client().webhooks.handle(json.dumps(batch), bearer()):
        if isinstance(event, CheckCompletedEvent):
            seen.append(f"check {event.check['id']} {event.check['result']} {event.check_id}")
        elif isinstance(event, RiskLevelChangedEvent):
            seen.append(f"risk {event.new_risk_level} {event.old_risk_level}")
        elif isinstance(event, UnknownWebhookEvent):
            seen.append(f"unknown {event.event} {event.profile_id} {event.data}")
    assert seen == ["check c1 2+2 c1", "risk HIGH None", "unknown NOT_YET_INVENTED None {'profile_id': 'p'}"]
    assert repr(event) == "UnknownWebhookEvent(id='m3', event='NOT_YET_INVENTED')"


class Receiver:
    """The application's webhook endpoint: each delivery goes to client.webhooks.handle()."""

    def __init__(self, client: passfort.Client) -> None:
        self.events: List[WebhookEvent] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    events = client.webhooks.handle(body, dict(self.headers.items()))
                except passfort.WebhookVerificationError:
                    self.send_response(400)
                else:
                    with receiver.lock:
                        receiver.events.extend(events)
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self) -> List[WebhookEvent]:
        with self.lock:
            return list(self.events)


@pytest.fixture()
def receiver(emulator: Emulator) -> Iterator[Tuple[passfort.Client, Receiver]]:
    client = emulator.client(webhook_secret=WEBHOOK_SECRET)
    receiving = Receiver(client)
    yield client, receiving
    receiving.server.shutdown()
    client.close()


def admin(emulator: Emulator, method: str, path: str, body: Any) -> Any:
    request = urllib.request.Request(f"{emulator.url}/_emulator{path}", data=json.dumps(body).encode(), method=method)
    with urllib.request.urlopen(request) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def test_every_event_the_emulator_sends_arrives_typed_once_while_waiters_wait(
    emulator: Emulator, receiver: Tuple[passfort.Client, Receiver]
) -> None:
    client, receiving = receiver
    admin(emulator, "PUT", "/webhook", {**SCENARIO["webhook"], "url": receiving.url, "secret": WEBHOOK_SECRET})
    wait = SCENARIO["wait"]
    saved: Dict[str, Any] = {}
    pool = ThreadPoolExecutor(max_workers=8)
    waiters: List[Any] = []
    for step in SCENARIO["steps"]:
        if "start_waiters" in step:
            for check_type in step["start_waiters"]:
                waiters.append(
                    pool.submit(
                        client.run_check_and_wait,
                        saved["profile"]["id"],
                        check_type,
                        mode="async",
                        wait_timeout=wait["timeout_ms"] / 1000,
                        poll_interval=wait["poll_interval_ms"] / 1000,
                    )
                )
        elif "join_waiters" in step:
            checks = [waiter.result() for waiter in waiters]
            assert all(check.wait is not None and check.wait.resolved_by == "webhook" for check in checks)
            saved["checks"] = [check.id for check in checks]
        elif "call" in step:
            body: Optional[Any] = resolve(step["body"], saved) if "body" in step else None
            response = client.request(step["call"], resolve(step["path"], saved), json=body)
            assert 200 <= response.status < 300, (step, response.status)
            if "save" in step:
                saved[step["save"]] = response.body
        else:
            answer = admin(emulator, step["admin"], resolve(step["path"], saved), resolve(step.get("body"), saved))
            if "save" in step:
                saved[step["save"]] = answer
    pool.shutdown()

    expect: Dict[str, Any] = SCENARIO["expect"]

    def all_arrived() -> bool:
        events = receiving.received()
        return all(sum(e.event == name for e in events) >= rule["count"] for name, rule in expect.items())

    wait_until(all_arrived, "every expected event")

    def delivered() -> Optional[Set[str]]:
        received = {e.id for e in receiving.received()}
        ids = {i for d in emulator.webhook_deliveries() if d["status"] == 200 for i in d["event_ids"]}
        return ids if received <= ids else None

    delivered_ids = wait_until(delivered, "the emulator's record of every delivery")
    events = receiving.received()
    ids = [e.id for e in events]
    assert len(set(ids)) == len(ids), "each event arrives once"
    assert set(ids) == delivered_ids

    for event in events:
        assert event.profile_id == saved["profile"]["id"]
        assert type(event) is class_of(expect[event.event]["class"]), event
    for name, rule in expect.items():
        of_name = [e for e in events if e.event == name]
        assert len(of_name) == rule["count"], name
        assert any(has_fields(e, rule.get("fields", {}), saved) for e in of_name), (name, rule.get("fields"))
    completed = {e.check_id for e in events if isinstance(e, CheckCompletedEvent)}
    assert completed == set(saved["checks"])

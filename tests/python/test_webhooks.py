"""Webhooks through handle() and through the built-in listener; the task policy."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any, Dict

import pytest

import passfort
from passfort.testing import Emulator

from conftest import WEBHOOK_SECRET, person


def envelope(event_id: str, check_id: str, secret: str = WEBHOOK_SECRET) -> Dict[str, Any]:
    return {
        "id": event_id,
        "event": "CHECK_COMPLETED",
        "secret": secret,
        "timestamp": int(time.time()),
        "data": {"profile_id": "p1", "customer_ref": "cust-9", "check": {"id": check_id, "check_type": "IDENTITY_CHECK", "result": "2+2", "decision": "PASS"}},
    }


def bearer(secret: str = WEBHOOK_SECRET) -> Dict[str, str]:
    return {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}


def test_handle_verifies_dedupes_and_passes_unknown_events_through(emulator: Emulator) -> None:
    client = emulator.client()
    batch = [envelope("e1", "c1"), {"id": "e2", "event": "PRODUCT_STATUS_CHANGED", "secret": WEBHOOK_SECRET, "timestamp": int(time.time()), "data": {"x": 1}}]
    events = client.webhooks.handle(json.dumps(batch).encode(), bearer())
    assert [e.event for e in events] == ["CHECK_COMPLETED", "PRODUCT_STATUS_CHANGED"]
    assert (events[0].check_id, events[0].profile_id, events[0].customer_ref, events[0].result) == ("c1", "p1", "cust-9", "2+2")
    assert (events[0].check_type, events[0].decision, events[0].task_id) == ("IDENTITY_CHECK", "PASS", None)
    assert events[1].data == {"x": 1} and events[1].check_id is None
    assert client.webhooks.handle(json.dumps(batch), bearer()) == [], "duplicates are dropped"


@pytest.mark.parametrize(
    "headers, body",
    [
        (bearer("whsec_wrong"), envelope("e3", "c3")),
        (bearer(), envelope("e4", "c4", secret="whsec_wrong")),
        ({}, envelope("e5", "c5")),
    ],
)
def test_a_wrong_or_missing_secret_is_refused(emulator: Emulator, headers: Dict[str, str], body: Dict[str, Any]) -> None:
    with pytest.raises(passfort.WebhookVerificationError) as raised:
        emulator.client().webhooks.handle(json.dumps(body).encode(), headers)
    assert raised.value.reason == "unauthorized"
    assert WEBHOOK_SECRET not in str(raised.value) and "whsec_wrong" not in str(raised.value)


def test_verify_webhook_alone(emulator: Emulator) -> None:
    events = passfort.verify_webhook(json.dumps(envelope("e6", "c6")).encode(), bearer(), WEBHOOK_SECRET)
    assert events[0].id == "e6"
    with pytest.raises(passfort.WebhookVerificationError) as raised:
        passfort.verify_webhook(b"{not json", bearer(), WEBHOOK_SECRET)
    assert raised.value.reason == "malformed"


def post(url: str, body: bytes, headers: Dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_the_listener_answers_as_documented(emulator: Emulator) -> None:
    client = emulator.client()
    with client.webhooks.serve() as server:
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/passfort/webhooks")
        assert post(server.url, json.dumps(envelope("e7", "c7")).encode(), bearer()) == 200
        assert post(server.url, json.dumps(envelope("e8", "c8")).encode(), bearer("whsec_wrong")) == 401
        assert post(server.url, b"{", bearer()) == 400


def verify(emulator: Emulator, results: list) -> passfort.VerifyOutcome:
    client = emulator.client()
    profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
    emulator.script(profile.id, "IDENTITY_CHECK", results)
    return client.verify_task(profile.id, profile.tasks[0].id, "IDENTITY_CHECK")


def test_an_oversized_body_is_refused_unread(emulator: Emulator) -> None:
    with pytest.raises(passfort.WebhookVerificationError) as raised:
        emulator.client().webhooks.handle(b" " * (6 * 1024 * 1024), bearer())
    assert raised.value.reason == "too_large"


def test_header_values_must_be_text_or_bytes(emulator: Emulator) -> None:
    # bytes(10**11) would allocate 100 GB: a number is refused, not converted.
    for value in (10**11, 1.5, None, ["Bearer x"]):
        with pytest.raises(TypeError):
            emulator.client().webhooks.handle(b"{}", {"Authorization": value})  # type: ignore[dict-item]


def test_verify_then_acknowledge(emulator: Emulator) -> None:
    webhooks = emulator.client().webhooks
    body = json.dumps(envelope("e-ack", "c-ack")).encode()
    assert [e.id for e in webhooks.handle(body, bearer(), acknowledge=False)] == ["e-ack"]
    # The handler failed: PassFort's retry is delivered again.
    assert [e.id for e in webhooks.handle(body, bearer(), acknowledge=False)] == ["e-ack"]
    webhooks.acknowledge(["e-ack"])
    assert webhooks.handle(body, bearer()) == []

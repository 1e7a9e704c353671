"""Every error class, raised for real, with its attributes; and bad arguments."""

from __future__ import annotations

import contextlib

import pickle
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Iterator

import pytest

import passfort
from passfort.testing import Emulator

from conftest import API_KEY, person, requests_to

MISSING = "00000000-0000-0000-0000-000000000000"


def test_the_hierarchy() -> None:
    assert issubclass(passfort.AuthenticationError, passfort.APIError)
    for api_error in (passfort.NotFoundError, passfort.RateLimitError, passfort.ServerError, passfort.BadRequestError):
        assert issubclass(api_error, passfort.APIError) and issubclass(api_error, passfort.PassFortError)
    assert issubclass(passfort.APITimeoutError, passfort.APIConnectionError)
    for other in (passfort.APIConnectionError, passfort.CheckWaitTimeout, passfort.WebhookVerificationError, passfort.AmbiguousCheckError):
        assert issubclass(other, passfort.PassFortError) and not issubclass(other, passfort.APIError)


def test_a_wrong_key_is_an_authentication_error(emulator: Emulator) -> None:
    client = passfort.Client("sk_wrong_1234", base_url=emulator.base_url)
    with pytest.raises(passfort.AuthenticationError) as raised:
        client.whoami()
    error = raised.value
    assert error.status == 401 and error.errors[0].code == 204 and error.request_id
    assert "sk_wrong_1234" not in str(error) and "sk_wrong_1234" not in repr(error)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is passfort.AuthenticationError
    assert (copy.status, copy.errors[0].code, str(copy)) == (401, 204, str(error))


def test_a_missing_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PASSFORT_API_KEY", raising=False)
    with pytest.raises(passfort.ConfigurationError, match="PASSFORT_API_KEY"):
        passfort.Client()


def test_keys_and_urls_fall_back_to_the_environment(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSFORT_API_KEY", API_KEY)
    monkeypatch.setenv("PASSFORT_BASE_URL", emulator.base_url)
    client = passfort.Client()
    assert client.base_url == emulator.base_url
    assert client.whoami()["institution"]["name"]
    assert API_KEY not in repr(client)


def test_unknown_ids_are_not_found_and_bad_input_is_a_bad_request(emulator: Emulator) -> None:
    client = emulator.client()
    with pytest.raises(passfort.NotFoundError) as raised:
        client.get_profile(MISSING)
    assert raised.value.status == 404
    with pytest.raises(passfort.BadRequestError) as bad:
        client.create_profile("SUPPLIER", {})
    assert bad.value.errors[0].code == 201 and bad.value.errors[0].code_name == "INVALID_INPUT_DATA"


def test_rate_limits_and_server_errors_after_the_retries(emulator: Emulator) -> None:
    client = emulator.client()
    emulator.fault("GET", "/4.0/whoami", "status", status=429, times=3, headers={"Retry-After": "0"})
    with pytest.raises(passfort.RateLimitError) as limited:
        client.whoami()
    assert limited.value.retry_after == 0.0
    emulator.fault("GET", "/4.0/whoami", "status", status=503, times=3)
    with pytest.raises(passfort.ServerError) as server:
        client.whoami()
    assert server.value.status == 503
    assert len(emulator.requests()) == 6, "each: one try and two retries"


def test_timeouts_and_refused_connections(emulator: Emulator) -> None:
    slow = passfort.Client(API_KEY, base_url=emulator.base_url, timeout=0.2, max_retries=0)
    emulator.fault("GET", "/4.0/whoami", "delay", delay=1.0)
    with pytest.raises(passfort.APITimeoutError) as timed_out:
        slow.whoami()
    assert timed_out.value.may_have_reached_server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = passfort.Client(API_KEY, base_url=f"http://127.0.0.1:{port}/4.0", max_retries=0)
    with pytest.raises(passfort.APIConnectionError, match="(?i)refused") as refused:
        closed.whoami()
    assert not refused.value.may_have_reached_server


def test_an_unreadable_profile_makes_the_creation_ambiguous(emulator: Emulator) -> None:
    client = emulator.client()
    profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
    emulator.fault("POST", "/4.0/profiles/*/checks", "drop_after_commit")
    emulator.fault("GET", "/4.0/profiles/*/checks", "status", status=500, times=10)
    with pytest.raises(passfort.AmbiguousCheckError) as raised:
        client.run_check(profile.id, "IDENTITY_CHECK", mode="sync", task_ids=[profile.tasks[0].id])
    error = raised.value
    assert (error.profile_id, error.check_type, error.task_ids) == (profile.id, "IDENTITY_CHECK", [profile.tasks[0].id])
    assert error.sent_at is not None and error.sent_at.tzinfo is not None and error.may_have_reached_server
    assert pickle.loads(pickle.dumps(error)).profile_id == profile.id
    assert len(requests_to(emulator, "POST", "/checks")) == 1


@contextlib.contextmanager
def serving(body: bytes) -> Iterator[str]:
    """A base URL whose every GET is answered 200 with `body`."""

    class Canned(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Canned)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/4.0"
    finally:
        server.shutdown()


@pytest.fixture
def garbage_server() -> Iterator[str]:
    with serving(b"<html>not json</html>") as url:
        yield url


def test_a_200_that_is_not_json_is_a_decode_error(garbage_server: str) -> None:
    client = passfort.Client("k", base_url=garbage_server)
    with pytest.raises(passfort.ResponseDecodeError) as raised:
        client.whoami()
    # Bodies may carry personal data: their content is shown only on request.
    assert raised.value.body_snippet is None
    assert "not valid JSON at line 1" in str(raised.value)
    with pytest.raises(passfort.ResponseDecodeError) as raised:
        passfort.Client("k", base_url=garbage_server, include_body_snippets=True).whoami()
    assert raised.value.body_snippet == "<html>not json</html>"


def test_a_wait_past_its_deadline_names_the_check(emulator: Emulator) -> None:
    emulator.configure(provider_latency=30)
    client = emulator.client()
    profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
    with pytest.raises(passfort.CheckWaitTimeout) as raised:
        client.run_check_and_wait(profile.id, "IDENTITY_CHECK", mode="async", wait_timeout=0.3)
    error = raised.value
    assert error.profile_id == profile.id
    assert error.check_id == emulator.checks()[0]["id"]
    assert error.last_state in ("PENDING", "RUNNING")
    assert pickle.loads(pickle.dumps(error)).check_id == error.check_id


def test_bad_arguments_fail_before_any_request(emulator: Emulator) -> None:
    client = emulator.client()
    with pytest.raises(ValueError, match="COMPLETED_PASS"):
        client.complete_task("p", "t", "INCOMPLETE")
    with pytest.raises(ValueError, match="mode"):
        client.run_check("p", "IDENTITY_CHECK", mode="later")
    with pytest.raises(ValueError, match="not both"):
        client.run_check("p", "IDENTITY_CHECK", variant_alias="a", variant_id="b")
    with pytest.raises(ValueError, match="not a PassFort id"):
        client.get_profile("../whoami")
    with pytest.raises(ValueError):
        client.run_check_and_wait("p", "IDENTITY_CHECK", wait_timeout=-1)
    with pytest.raises(TypeError):
        client.create_profile("INDIVIDUAL_CUSTOMER", {"when": object()})
    with pytest.raises(TypeError):
        client.complete_task("p", "t", 7)  # type: ignore[arg-type]
    assert emulator.requests() == []


SENTINEL = "Zebediah Quorvath-Sentinel"


def test_personal_data_in_a_garbled_answer_stays_out_of_errors_reprs_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    """A profile answer that does not decode, holding a planted name: the
    name reaches no exception message, repr, pickle or log line."""
    body = ('{"id":"p1","role":7,"collected_data":{"personal_details":{"name":"%s"}}}' % SENTINEL).encode()
    with serving(body) as base_url:
        caplog.set_level("DEBUG", logger="passfort")
        client = passfort.Client("k", base_url=base_url, max_retries=0)
        with pytest.raises(passfort.ResponseDecodeError) as raised:
            client.get_profile("p1")
        shown = [str(raised.value), repr(raised.value), repr(pickle.loads(pickle.dumps(raised.value)).__dict__)]
        shown += [record.getMessage() for record in caplog.records]
        assert all("Zebediah" not in text for text in shown), shown


def test_connection_errors_chain_the_underlying_failure() -> None:
    import socket

    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = passfort.Client("k", base_url=f"http://127.0.0.1:{port}/4.0", max_retries=0)
    with pytest.raises(passfort.APIConnectionError) as raised:
        client.whoami()
    assert isinstance(raised.value.__cause__, ConnectionRefusedError), repr(raised.value.__cause__)
    assert raised.value.code == "connection"

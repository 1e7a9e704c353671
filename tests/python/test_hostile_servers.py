"""The shared hostile-server table (tests/scenarios/hostile-servers.json): a
raw TCP responder serves one canned answer to every connection; each call
ends with the error named, without waiting out absurd waits, without the
planted name in its message, and without touching the other host."""

from __future__ import annotations

import asyncio
import json
import pathlib
import socket
import threading
from typing import Any, Dict, Iterator, List

import pytest

import passfort

TABLE = json.loads((pathlib.Path(__file__).parents[1] / "scenarios" / "hostile-servers.json").read_text())


class RawServer:
    """Answers every connection with `answer` after reading its request; counts connections."""

    def __init__(self, answer: bytes) -> None:
        self.connections = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/4.0"
        self._answer = answer
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.connections += 1
            with connection:
                connection.recv(65536)
                connection.sendall(self._answer)

    def close(self) -> None:
        self._socket.close()


def canned(status: str, headers: Dict[str, str], body: str) -> bytes:
    encoded = body.encode()
    lines = [f"HTTP/1.1 {status}", f"content-length: {len(encoded)}", "connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + encoded


@pytest.fixture
def servers() -> Iterator[List[RawServer]]:
    started: List[RawServer] = []
    yield started
    for server in started:
        server.close()


def call(client: Any, name: str) -> Any:
    if name == "get_check":
        return client.get_check("p1", "c1")
    if name == "get_profile":
        return client.get_profile("p1")
    if name == "create_profile":
        return client.create_profile("INDIVIDUAL_CUSTOMER", {"name": TABLE["sentinel"]})
    if name == "run_checks":
        return client.run_checks([("p1", "IDENTITY_CHECK")])
    raise AssertionError(f"no such call in the table: {name}")


def outcome_error(result: Any) -> BaseException:
    """The error of a batch's only item."""
    assert not result[0].ok
    error: BaseException = result[0].error
    return error


@pytest.mark.parametrize("row", TABLE["rows"], ids=lambda row: row["name"])
@pytest.mark.parametrize("flavour", ["blocking", "async"])
def test_hostile_server(servers: List[RawServer], row: Dict[str, Any], flavour: str) -> None:
    elsewhere = RawServer(canned("200 OK", {}, "{}"))
    headers = {name: value.replace("{elsewhere}", elsewhere.base_url) for name, value in row["headers"].items()}
    server = RawServer(canned(row["status"], headers, row["body"]))
    servers += [elsewhere, server]
    error: BaseException
    if flavour == "blocking":
        client = passfort.Client("k", base_url=server.base_url, max_retries=2)
        if row["call"] == "run_checks":
            error = outcome_error(call(client, "run_checks"))
        else:
            with pytest.raises(passfort.PassFortError) as raised:
                call(client, row["call"])
            error = raised.value
    else:

        async def attempt() -> BaseException:
            async with passfort.AsyncClient("k", base_url=server.base_url, max_retries=2) as client:
                try:
                    result = await call(client, row["call"])
                except passfort.PassFortError as failed:
                    return failed
                return outcome_error(result)

        error = asyncio.run(attempt())
    assert getattr(error, "code", None) == row["error"], repr(error)
    if "absent" in row:
        for shown in (str(error), repr(error), repr(error.__dict__)):
            assert row["absent"] not in shown, shown
    assert elsewhere.connections == 0

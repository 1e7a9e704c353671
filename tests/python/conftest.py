from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import urllib.error
import urllib.request
from typing import Any, Callable, Dict, Iterator, TypeVar

import pytest

from passfort.testing import Emulator

T = TypeVar("T")

API_KEY = "sk_py_test_5e1d9a"
WEBHOOK_SECRET = "whsec_py_test_0b7c"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key=API_KEY, webhook_secret=WEBHOOK_SECRET, provider_latency=0.01) as running:
        yield running


def person(family_name: str = "Smith") -> Dict[str, Any]:
    return {
        "entity_type": "INDIVIDUAL",
        "personal_details": {"name": {"given_names": ["Ada"], "family_name": family_name}, "dob": "1990-01-01"},
    }


def requests_to(emulator: Emulator, method: str, suffix: str) -> list:
    return [r for r in emulator.requests() if r["method"] == method and r["path"].endswith(suffix)]


#: How long a test waits for something it expects before failing, and how often it looks.
DEADLINE = 10.0
POLL = 0.01


def wait_until(probe: Callable[[], T], what: str, timeout: float = DEADLINE, interval: float = POLL) -> T:
    """Calls ``probe`` until it answers something truthy, which it returns; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)


async def until(probe: Callable[[], T], what: str, timeout: float = DEADLINE) -> T:
    """``wait_until`` for a coroutine: the event loop runs between looks."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(POLL)


def held_requests(emulator: Emulator) -> int:
    """API requests that a ``delay`` fault is holding in the emulator now."""
    return sum(1 for r in emulator.requests() if r["fault"] == "delay" and r["finished_ms"] is None)


def quiesce(emulator: Emulator, idle: float, timeout: float = DEADLINE) -> Dict[str, Any]:
    """Returns once the emulator has had no API request in flight, and none begun or finished, for ``idle``
    seconds (``GET /_emulator/quiesce``); fails if that takes over ``timeout``. ``idle`` must be longer
    than the gaps between the requests a test means to catch (a poll interval, say)."""
    query = f"idle_ms={int(idle * 1000)}&timeout_ms={int(timeout * 1000)}"
    # Straight to the emulator, never through a proxy from the environment.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{emulator.url}/_emulator/quiesce?{query}", timeout=timeout + 10) as answer:
            body: Dict[str, Any] = json.load(answer)
    except urllib.error.HTTPError as refused:
        body = json.load(refused)
    assert body.get("quiescent") is True, f"the emulator never went quiet for {idle} s: {body}"
    return body


def debug_logging_on(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Sets the ``passfort`` logger to DEBUG, then makes calls until the core's debug lines arrive: the
    native side re-reads the logger's level at most once a second."""
    caplog.set_level(logging.DEBUG, logger="passfort")

    def logged() -> bool:
        client.whoami()
        return any(record.name.startswith("passfort") and record.levelno <= logging.DEBUG for record in caplog.records)

    wait_until(logged, "the core's debug logging", interval=0.05)


def lookup(value: Any, dotted: str) -> Any:
    """A value in a scenario's saved answers: `dotted` names keys, and indexes into lists."""
    for part in dotted.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def resolve(value: Any, saved: Dict[str, Any]) -> Any:
    """A scenario value with its `$name.path` references replaced by the saved answers."""
    if isinstance(value, str) and value.startswith("$"):
        name, _, rest = value[1:].partition(".")
        return lookup(saved[name], rest) if rest else saved[name]
    if isinstance(value, str) and "$" in value:
        return re.sub(r"\$[\w.]+", lambda token: str(resolve(token.group(0), saved)), value)
    if isinstance(value, list):
        return [resolve(item, saved) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, saved) for key, item in value.items()}
    return value

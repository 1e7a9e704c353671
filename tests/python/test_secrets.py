"""With debug logging on, every call and error path keeps the API key and the
webhook secret out of log lines, reprs, error messages and URLs, and a name
planted in collected data out of log lines, reprs and error messages."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from typing import List

import pytest

import passfort
from passfort.testing import Emulator

from conftest import API_KEY, WEBHOOK_SECRET, debug_logging_on, person

SECRETS = (API_KEY, WEBHOOK_SECRET, "sk_wrong_secret_py", "whsec_forged_py")
#: A family name planted in collected data: personal data that must not leak.
SENTINEL_NAME = "Quorvathsentinel"


def test_secrets_appear_nowhere(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    client = emulator.client()
    debug_logging_on(client, caplog)
    shown: List[str] = [repr(client), repr(emulator.async_client()), repr(client.webhooks)]

    profile = client.create_profile("INDIVIDUAL_CUSTOMER", person(SENTINEL_NAME))
    task = profile.tasks[0]
    client.whoami()
    client.get_profile(profile.id)
    list(client.list_profiles())
    list(client.list_profiles(SENTINEL_NAME))
    check = client.run_check(profile.id, "IDENTITY_CHECK", mode="sync")
    client.get_check(profile.id, check.id)
    client.list_checks(profile.id)
    client.wait_for_check(profile.id, check.id)
    client.run_check_and_wait(profile.id, "IDENTITY_CHECK")
    client.get_task(profile.id, task.id)
    client.list_tasks(profile.id)
    client.complete_task(profile.id, task.id, "COMPLETED_PASS")
    client.verify_task(profile.id, profile.tasks[1].id, "PEPS_AND_SANCTIONS_SCREEN")
    asyncio.run(emulator.async_client().get_profile(profile.id))
    # A lost answer: reconciliation logs while it adopts the check.
    emulator.fault("POST", "/4.0/profiles/*/checks", "drop_after_commit", times=1)
    shown.append(repr(client.run_check(profile.id, "IDENTITY_CHECK", mode="sync")))
    shown += [repr(check), repr(profile), repr(task)]

    errors: List[BaseException] = []

    def expect_error(call: "object") -> None:
        with pytest.raises(BaseException) as raised:
            call()  # type: ignore[operator]
        errors.append(raised.value)

    wrong = passfort.Client("sk_wrong_secret_py", base_url=emulator.base_url)
    expect_error(wrong.whoami)
    expect_error(lambda: client.get_check(profile.id, "missing"))
    emulator.fault("GET", "/4.0/whoami", "status", status=503, times=3)
    expect_error(client.whoami)
    impatient = emulator.client(timeout=0.1, max_retries=0)
    emulator.fault("GET", "/4.0/whoami", "delay", delay=0.5)
    expect_error(impatient.whoami)
    emulator.fault("GET", "/4.0/whoami", "drop_before", times=3)
    expect_error(client.whoami)
    forged = b'{"id":"e","event":"CHECK_COMPLETED","secret":"whsec_forged_py","data":{}}'
    expect_error(lambda: client.webhooks.handle(forged, {"Authorization": f"Bearer {WEBHOOK_SECRET}"}))
    expect_error(lambda: client.webhooks.handle(forged, {"Authorization": "Bearer whsec_forged_py"}))
    with client.webhooks.serve() as server:
        request = urllib.request.Request(server.url, data=forged, headers={"Authorization": "Bearer whsec_forged_py"}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)
        shown.append(refused.value.read().decode())
    for error in errors:
        shown += [str(error), repr(error), repr(getattr(error, "__dict__", {}))]

    lines = [record.getMessage() for record in caplog.records]
    assert any("passfort.request" in line for line in lines), "debug logging was on"
    assert any("reconciling" in line for line in lines), "the reconciliation path ran"
    for text in lines + shown + [str(request) for request in emulator.requests()]:
        assert SENTINEL_NAME not in text, text
    urls = [str(request) for request in emulator.requests()]
    for secret in SECRETS:
        for text in lines + shown + urls:
            assert secret not in text, (secret, text)

"""The runtime: fork, cancellation, loops, threads, Ctrl-C, exit, logging."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List, Tuple

import pytest

import passfort
from passfort.testing import Emulator

from conftest import API_KEY, WEBHOOK_SECRET, debug_logging_on, held_requests, person, quiesce, until, wait_until


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_client_made_before_fork_works_in_the_child(emulator: Emulator) -> None:
    client = emulator.client()
    profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
    assert client.get_profile(profile.id).id == profile.id  # the parent's runtime and pool are in use
    pid = os.fork()
    if pid == 0:  # the child: exit code 0 only if the call works
        try:
            ok = client.get_profile(profile.id).id == profile.id
            asyncio.run(emulator.async_client().whoami())
            os._exit(0 if ok else 1)
        except BaseException:
            os._exit(2)
    deadline = time.time() + 20
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the forked child hung")
    assert client.get_profile(profile.id).id == profile.id, "the parent still works too"


def polls_of(emulator: Emulator, check_id: str) -> int:
    return len([r for r in emulator.requests() if r["method"] == "GET" and r["path"].endswith(check_id)])


def test_cancelling_an_awaiting_task_stops_its_polling(emulator: Emulator) -> None:
    emulator.configure(provider_latency=60)
    client = emulator.async_client()

    async def scenario() -> Tuple[str, int]:
        profile = await client.create_profile("INDIVIDUAL_CUSTOMER", person())
        check = await client.run_check(profile.id, "IDENTITY_CHECK", mode="async")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.wait_for_check(profile.id, check.id, poll_interval=0.05), timeout=0.5)
        task = asyncio.ensure_future(client.wait_for_check(profile.id, check.id, poll_interval=0.05))
        before = polls_of(emulator, check.id)
        await until(lambda: polls_of(emulator, check.id) >= before + 4, "the second wait to poll")
        # Its next read is held in the emulator: cancelled then, the wait has one request out, and the emulator has it.
        emulator.fault("GET", f"/4.0/profiles/{profile.id}/checks/{check.id}", "delay", delay=0.5)
        await until(lambda: held_requests(emulator) == 1, "the held read")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return check.id, polls_of(emulator, check.id)

    check_id, reads = asyncio.run(scenario())
    # Quiet for ten poll intervals after the held read was answered: either wait, still running, would have read again.
    quiesce(emulator, idle=0.5)
    assert polls_of(emulator, check_id) == reads, "no read after cancelling"


def test_many_loops_in_sequence_and_many_clients(emulator: Emulator) -> None:
    for _ in range(20):
        client = emulator.async_client()
        assert asyncio.run(client.whoami())["institution"]["name"]
    shared = emulator.async_client()
    for _ in range(5):
        assert asyncio.run(shared.whoami())["auditee_name"], "one client across loops"


def test_concurrent_calls_from_threads(emulator: Emulator) -> None:
    client = emulator.client()
    profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
    with ThreadPoolExecutor(max_workers=16) as pool:
        checks = list(pool.map(lambda _: client.run_check_and_wait(profile.id, "IDENTITY_CHECK"), range(64)))
    assert all(check.is_complete for check in checks)
    assert len({check.id for check in checks}) == 64


def test_many_concurrent_async_calls(emulator: Emulator) -> None:
    async def scenario() -> int:
        client = emulator.async_client()
        profiles = await asyncio.gather(*(client.create_profile("INDIVIDUAL_CUSTOMER", person()) for _ in range(200)))
        checks = await asyncio.gather(*(client.run_check_and_wait(p.id, "IDENTITY_CHECK", mode="async") for p in profiles))
        return sum(check.is_complete for check in checks)

    assert asyncio.run(scenario()) == 200
    assert len(emulator.checks()) == 200


def test_the_blocking_client_works_inside_a_running_loop(emulator: Emulator) -> None:
    client = emulator.client()

    async def cell() -> str:
        # As in a Jupyter cell: a loop is running on this thread.
        return str(client.whoami()["institution"]["name"])

    assert asyncio.run(cell()) == "Emulated Institution"


def test_ctrl_c_interrupts_a_blocking_wait(emulator: Emulator) -> None:
    emulator.configure(provider_latency=30)
    client = emulator.client()
    profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
    check = client.run_check(profile.id, "IDENTITY_CHECK", mode="async")
    failures: List[BaseException] = []

    def interrupt_while_a_read_is_held() -> None:
        try:
            wait_until(lambda: polls_of(emulator, check.id) >= 2, "the wait to poll")
            # Its next read is held in the emulator, so that Ctrl-C comes with one request out, already received.
            emulator.fault("GET", f"/4.0/profiles/{profile.id}/checks/{check.id}", "delay", delay=0.5)
            wait_until(lambda: held_requests(emulator) == 1, "the held read")
        except BaseException as failure:  # reported below; Ctrl-C is sent all the same, to end the wait
            failures.append(failure)
        finally:
            os.kill(os.getpid(), signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_while_a_read_is_held, daemon=True)
    interrupter.start()
    with pytest.raises(KeyboardInterrupt):
        client.wait_for_check(profile.id, check.id, poll_interval=0.05)
    interrupter.join()
    assert not failures, failures
    # A wait that ignored Ctrl-C would have returned only with the check finished, 30 s on (its
    # KeyboardInterrupt raised after). How promptly it stops is not timed here.
    assert emulator.checks()[0]["state"] != "COMPLETE", "the wait was interrupted before the check finished"
    reads = polls_of(emulator, check.id)
    # Quiet for ten poll intervals after the held read was answered: a wait still running would have read again.
    quiesce(emulator, idle=0.5)
    assert polls_of(emulator, check.id) == reads, "the wait stopped with the interrupt"


def test_exit_with_calls_in_flight_prints_no_panic() -> None:
    script = textwrap.dedent(
        """
        import asyncio, threading, time
        from passfort.testing import Emulator
        emulator = Emulator(provider_latency=60)
        client = emulator.client()
        profile = client.create_profile("INDIVIDUAL_CUSTOMER", {})
        by_thread, by_task = (client.run_check(profile.id, "IDENTITY_CHECK", mode="async") for _ in range(2))
        threading.Thread(target=client.wait_for_check, args=(profile.id, by_thread.id), kwargs={"poll_interval": 0.05}, daemon=True).start()
        def polled(check):
            return any(r["method"] == "GET" and r["path"].endswith(check.id) for r in emulator.requests())
        async def pending():
            asyncio.ensure_future(emulator.async_client().wait_for_check(profile.id, by_task.id, poll_interval=0.05))
            deadline = time.monotonic() + 20
            while not (polled(by_thread) and polled(by_task)):  # both waits are under way
                assert time.monotonic() < deadline, "the waits never polled"
                await asyncio.sleep(0.01)
        asyncio.run(pending())
        print("exiting")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "exiting" in done.stdout
    assert "panic" not in done.stderr.lower(), done.stderr


def test_debug_logging_reaches_python_without_secrets(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    client = emulator.client()
    debug_logging_on(client, caplog)
    profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
    with pytest.raises(passfort.NotFoundError):
        client.get_check(profile.id, "missing")
    client.webhooks.handle(b'{"id":"e","event":"X","secret":"' + WEBHOOK_SECRET.encode() + b'","timestamp":' + str(int(time.time())).encode() + b'}', {"Authorization": f"Bearer {WEBHOOK_SECRET}"})
    lines = [record.getMessage() for record in caplog.records if record.name == "passfort"]
    assert any("passfort.request" in line and "/profiles/{profile_id}/checks/{check_id}" in line for line in lines), lines
    for line in lines:
        assert API_KEY not in line and WEBHOOK_SECRET not in line
    for request in emulator.requests():
        assert API_KEY not in str(request)
    wrong = passfort.Client("sk_repr_wrong", base_url=emulator.base_url)
    with pytest.raises(passfort.AuthenticationError) as raised:
        wrong.whoami()
    shown = [repr(client), repr(wrong), repr(client.webhooks), str(raised.value), repr(raised.value), repr(raised.value.__dict__)]
    for text in shown:
        for secret in (API_KEY, WEBHOOK_SECRET, "sk_repr_wrong"):
            assert secret not in text, (secret, text)

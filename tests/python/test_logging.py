"""Logging: Ctrl-C with debug logging on, the NullHandler default, PASSFORT_LOG.

Each test runs a fresh interpreter: logging is configured at import, and a
SIGINT must not reach pytest's own process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Dict, Optional

from conftest import API_KEY, WEBHOOK_SECRET

# Only a safety net against a hang: no test here asserts how fast anything is.
SAFETY_TIMEOUT = 300


def run_python(script: str, passfort_log: Optional[str] = None) -> subprocess.CompletedProcess:
    env: Dict[str, str] = {k: v for k, v in os.environ.items() if k != "PASSFORT_LOG"}
    if passfort_log is not None:
        env["PASSFORT_LOG"] = passfort_log
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=SAFETY_TIMEOUT,
        env=env,
    )


def test_ctrl_c_interrupts_a_blocking_wait_while_debug_logs_flow() -> None:
    # Every poll logs a debug line. Were a log line handed to Python on the
    # main thread while Ctrl-C is pending, the handler's KeyboardInterrupt
    # would be raised (and lost) inside logging, and the wait would go on to
    # its 60 s timeout.
    script = f"""
        import logging, os, signal, sys, threading, time
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
        import passfort
        from passfort.testing import Emulator

        emulator = Emulator(api_key={API_KEY!r}, provider_latency=600)
        client = emulator.client()
        profile = client.create_profile("INDIVIDUAL_CUSTOMER", {{}})

        def interrupt_once_polling(check_id):
            # The first GET of the check comes from inside wait_for_check.
            while not any(r["method"] == "GET" and r["path"].endswith(check_id) for r in emulator.requests()):
                time.sleep(0.01)
            time.sleep(0.2)  # a few more polls, each logging
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

        for attempt in range(5):
            check = client.run_check(profile.id, "IDENTITY_CHECK", mode="async")
            timer = threading.Thread(target=interrupt_once_polling, args=(check.id,), daemon=True)
            timer.start()
            try:
                client.wait_for_check(profile.id, check.id, wait_timeout=60, poll_interval=0.02)
            except KeyboardInterrupt:
                print("interrupted", attempt, flush=True)
            except passfort.CheckWaitTimeout:
                print("timed out", attempt, flush=True)
                sys.exit(3)
            else:
                print("finished", attempt, flush=True)
                sys.exit(4)
            timer.join()
        print("all interrupted", flush=True)
        """
    done = run_python(script)
    assert done.returncode == 0, (done.stdout, done.stderr[-3000:])
    assert done.stdout.split("\n")[:6] == [f"interrupted {i}" for i in range(5)] + ["all interrupted"], done.stdout
    # The debug lines did flow, so the interrupt raced them.
    assert "DEBUG passfort: passfort.request" in done.stderr, done.stderr[-3000:]
    assert API_KEY not in done.stderr


# A call whose request logs at DEBUG, a webhook handled, and a refused delivery
# to the built-in listener (a WARNING, which Python's last-resort handler would
# print if the `passfort` logger had no handler at all).
CALLS = f"""
    import time, urllib.request, urllib.error
    import passfort
    from passfort.testing import Emulator

    emulator = Emulator(api_key={API_KEY!r}, webhook_secret={WEBHOOK_SECRET!r})
    client = emulator.client()
    profile = client.create_profile("INDIVIDUAL_CUSTOMER", {{}})
    try:
        client.get_check(profile.id, "missing")
    except passfort.NotFoundError:
        pass
    body = b'{{"id":"e","event":"X","secret":"{WEBHOOK_SECRET}"}}'
    try:  # handled or refused, it is logged without the secret
        client.webhooks.handle(body, {{"Authorization": "Bearer {WEBHOOK_SECRET}"}})
    except passfort.WebhookVerificationError:
        pass
    with client.webhooks.serve() as server:
        refused = urllib.request.Request(server.url, data=body, headers={{"Authorization": "Bearer wrong", "Content-Type": "application/json"}})
        try:
            urllib.request.urlopen(refused)
            print("accepted?")
        except urllib.error.HTTPError as error:
            print("refused", error.code)
    time.sleep(1.5)  # the logging thread delivers the last records
    print("done")
"""


def test_passfort_log_debug_prints_the_sdk_logs_on_stderr_without_secrets() -> None:
    done = run_python(CALLS, passfort_log="debug")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["refused", "401", "done"], done.stdout
    lines = done.stderr.splitlines()
    assert any(
        "DEBUG passfort:" in line and "passfort.request" in line and "/profiles/{profile_id}/checks/{check_id}" in line
        for line in lines
    ), done.stderr
    assert any("WARNING passfort:" in line and "webhook delivery refused" in line for line in lines), done.stderr
    assert API_KEY not in done.stderr and WEBHOOK_SECRET not in done.stderr


def test_passfort_log_is_case_insensitive_and_sets_the_level() -> None:
    done = run_python(CALLS, passfort_log="WARNING")
    assert done.returncode == 0, done.stderr
    assert "webhook delivery refused" in done.stderr, done.stderr
    assert "DEBUG" not in done.stderr, done.stderr


def test_without_passfort_log_nothing_reaches_stderr() -> None:
    done = run_python(CALLS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["refused", "401", "done"], done.stdout
    assert done.stderr == ""


def test_a_bad_passfort_log_value_is_named_once_and_ignored() -> None:
    done = run_python("import passfort", passfort_log="loud")
    assert done.returncode == 0, done.stderr
    assert "PASSFORT_LOG='loud'" in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr


def test_the_logger_has_a_null_handler() -> None:
    import logging

    import passfort  # noqa: F401

    logger = logging.getLogger("passfort")
    assert any(isinstance(handler, logging.NullHandler) for handler in logger.handlers)


def test_a_forked_child_logs_through_a_new_logging_thread() -> None:
    script = f"""
        import logging, os, sys, time
        logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(process)d %(levelname)s %(message)s")
        from passfort.testing import Emulator

        emulator = Emulator(api_key={API_KEY!r})
        client = emulator.client()
        client.whoami()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                client.whoami()
                print("child", os.getpid(), flush=True)
            finally:
                sys.stdout.flush()
                os._exit(0)
        os.waitpid(pid, 0)
        print("parent", os.getpid(), flush=True)
        """
    done = run_python(script)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    child_pid = next(line.split()[1] for line in lines if line.startswith("child "))
    # The child's own request reached Python's logging in the child.
    assert any(line.startswith(f"{child_pid} DEBUG passfort.request") and "/whoami" in line for line in lines), done.stdout


def test_exit_with_debug_logs_in_flight_is_quiet() -> None:
    script = f"""
        import asyncio, logging, sys, threading
        logging.basicConfig(level=logging.DEBUG, stream=sys.stdout)
        from passfort.testing import Emulator
        emulator = Emulator(api_key={API_KEY!r}, provider_latency=60)
        client = emulator.client()
        profile = client.create_profile("INDIVIDUAL_CUSTOMER", {{}})
        check = client.run_check(profile.id, "IDENTITY_CHECK", mode="async")
        for _ in range(4):
            threading.Thread(target=client.wait_for_check, args=(profile.id, check.id), kwargs={{"poll_interval": 0.001}}, daemon=True).start()
        async def pending():
            asyncio.ensure_future(emulator.async_client().wait_for_check(profile.id, check.id, poll_interval=0.001))
            await asyncio.sleep(0.3)
        asyncio.run(pending())
        print("exiting", flush=True)
        """
    for _ in range(3):
        done = run_python(script)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "exiting" in done.stdout
        assert "panic" not in done.stderr.lower(), done.stderr[-3000:]
        assert "Fatal Python error" not in done.stderr, done.stderr[-3000:]

"""A Celery task that verifies a PassFort task, in a prefork worker, Redis as broker.

    export PASSFORT_API_KEY=... PASSFORT_REDIS_URL=redis://redis.internal:6379/0
    export CELERY_BROKER_URL=redis://redis.internal:6379/1
    celery -A celery_app worker --pool prefork --concurrency 4

    # from your web app:
    celery_app.verify.delay(profile_id, task_id, "IDENTITY_CHECK")
    celery_app.screen.delay(profile_id, "PEPS_AND_SANCTIONS_SCREEN", tag=order_id)

The checks the task runs are finished by webhooks received by your web
workers (see flask_app.py): they announce each event on the fleet's Redis,
and the waiting Celery process wakes up. The prefork pool forks its
processes after importing this module, so each process makes its client in
``worker_process_init``, after the fork.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional

from celery import Celery
from celery.signals import worker_process_init

import passfort

broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/1")
app = Celery("passfort_fleet", broker=broker, backend=os.environ.get("CELERY_RESULT_BACKEND"))
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"], worker_hijack_root_logger=False)

_client: Optional[passfort.Client] = None


@worker_process_init.connect
def make_client(**_: Any) -> None:
    """Each pool process: its own client (connections, runtime, fleet subscription)."""
    global _client
    # PASSFORT_API_KEY, PASSFORT_BASE_URL and PASSFORT_REDIS_URL configure it;
    # the webhook secret tells it that webhooks come (waits then rely on them).
    _client = passfort.Client(webhook_secret=os.environ.get("PASSFORT_WEBHOOK_SECRET"))


def passfort_client() -> passfort.Client:
    global _client
    if _client is None:  # a solo or threads pool runs no worker_process_init
        make_client()
    assert _client is not None
    return _client


@app.task(name="passfort.verify")
def verify(profile_id: str, task_id: str, check_type: str) -> Dict[str, Any]:
    """Runs the check the task needs, waits for it (woken by a webhook that any
    web worker received) and completes the task when the result is clear."""
    outcome = passfort_client().verify_task(profile_id, task_id, check_type)
    return {
        "stop": outcome.stop,
        "needs_review": outcome.needs_review,
        "task_state": str(outcome.task.state) if outcome.task else None,
        "checks": [
            {"check_id": check.id, "result": check.result, "resolved_by": check.wait.resolved_by if check.wait else None}
            for check in outcome.checks
        ],
        "pid": os.getpid(),
    }


@app.task(name="passfort.screen")
def screen(profile_id: str, check_type: str, tag: Optional[str] = None, mode: Optional[str] = None, poll_interval: Optional[float] = None) -> Dict[str, Any]:
    """Runs one check and waits for it. ``tag`` (your order id, say) stays with
    the check in the fleet's ledger: if this process dies, ``recover()`` in
    another hands the check over with it."""
    check = passfort_client().run_check_and_wait(profile_id, check_type, tag=tag, mode=mode, poll_interval=poll_interval)  # type: ignore[arg-type]
    return {"check_id": check.id, "result": check.result, "resolved_by": check.wait.resolved_by if check.wait else None, "pid": os.getpid()}

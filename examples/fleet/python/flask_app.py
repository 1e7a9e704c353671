"""A fleet of Flask workers under gunicorn sharing one Redis.

    export PASSFORT_API_KEY=... PASSFORT_WEBHOOK_SECRET=... PASSFORT_REDIS_URL=redis://:password@redis.internal:6379/0
    gunicorn --workers 4 --threads 32 --bind 0.0.0.0:8000 flask_app:app

PassFort sends each webhook to one URL, so to whichever worker the kernel
hands the connection; the code waiting for that check may be in another.
``webhooks.handle`` claims each event in Redis (one worker acts on it, however
often PassFort retries it) and announces it to every worker, whose waiters
wake up. Use threads (``--threads``): a waiting request holds its thread, and
webhooks must still find a free one.

The client is made in the worker, after gunicorn forked it: lazily on first
use, as here (with ``--preload``, or to be ready before the first request,
make it in gunicorn's ``post_fork`` hook instead).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Dict, List, Optional

from flask import Flask, jsonify, request

import passfort

app = Flask(__name__)
log = logging.getLogger("passfort.fleet.flask")

_client: Optional[passfort.Client] = None
_client_lock = threading.Lock()


def _number(name: str) -> Optional[float]:
    value = os.environ.get(name)
    return float(value) if value else None


def passfort_client() -> passfort.Client:
    """This worker's client. The API key, base URL and Redis URL come from
    PASSFORT_API_KEY, PASSFORT_BASE_URL and PASSFORT_REDIS_URL."""
    global _client
    with _client_lock:
        if _client is None:
            _client = passfort.Client(
                webhook_secret=os.environ["PASSFORT_WEBHOOK_SECRET"],
                fleet_lease=_number("PASSFORT_FLEET_LEASE"),
                rate_budget_per_hour=_number("PASSFORT_RATE_BUDGET_PER_HOUR"),
                rate_budget_burst=_number("PASSFORT_RATE_BUDGET_BURST"),
            )
        return _client


def act_on(event: passfort.WebhookEvent) -> None:
    """Your handling of an event: once per event across the fleet. Keep it
    quick (enqueue a job); PassFort wants its 200 promptly."""
    log.info("webhook event %s %s", event.event, event.id)


@app.post("/passfort/webhooks")
def passfort_webhook() -> Any:
    # The raw body and headers, as received: the hub verifies the secret itself.
    events = passfort_client().webhooks.handle(request.get_data(), list(request.headers.items()))
    for event in events:
        act_on(event)
    return jsonify(acted_on=[event.id for event in events], pid=os.getpid())


def _check_json(check: passfort.Check) -> Dict[str, Any]:
    wait = check.wait
    return {
        "check_id": check.id,
        "state": str(check.state),
        "result": check.result,
        "resolved_by": wait.resolved_by if wait else None,
        "polls": wait.polls if wait else None,
        "pid": os.getpid(),
    }


@app.post("/checks")
def run_check() -> Any:
    """Runs a check and waits for it here, however long PassFort takes; a
    webhook received by any worker wakes this wait. ``"background": true``
    answers 202 at once and waits in a thread instead."""
    body = request.get_json(force=True)
    client = passfort_client()

    def wait() -> Dict[str, Any]:
        check = client.run_check_and_wait(
            body["profile_id"],
            body.get("check_type", "IDENTITY_CHECK"),
            mode=body.get("mode"),
            tag=body.get("tag"),
            poll_interval=body.get("poll_interval"),
            wait_timeout=body.get("wait_timeout"),
        )
        return _check_json(check)

    if body.get("background"):
        threading.Thread(target=wait, daemon=True).start()
        return jsonify(pid=os.getpid(), worker_id=client.worker_id), 202
    return jsonify(wait())


@app.post("/profiles")
def create_profile() -> Any:
    """Onboards a customer: POST /profiles, paced by the fleet's shared rate budget."""
    body = request.get_json(force=True)
    profile = passfort_client().create_profile("INDIVIDUAL_CUSTOMER", body.get("collected_data"))
    return jsonify(profile_id=profile.id, pid=os.getpid())


@app.post("/fleet/recover")
def recover() -> Any:
    """Takes over the checks of workers that died (call it from a cron job or
    a timer every fleet_lease or so); each check is handed to one caller."""
    recovered: List[Dict[str, Any]] = []
    for item in passfort_client().recover():
        entry: Dict[str, Any] = {"check_id": item.check_id, "tag": item.tag, "previous_owner": item.previous_owner}
        if item.check is not None:
            entry.update(_check_json(item.check))
        else:
            entry["error"] = repr(item.error)
        recovered.append(entry)
    return jsonify(recovered=recovered, pid=os.getpid())


@app.get("/fleet")
def fleet() -> Any:
    client = passfort_client()
    return jsonify(pid=os.getpid(), worker_id=client.worker_id, in_fleet=client.in_fleet, subscribed=client.fleet_subscribed, time=time.time())

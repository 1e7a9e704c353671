"""The webhook endpoint and a view that waits for a check, in any worker."""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Optional

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

import passfort

log = logging.getLogger("passfort.fleet.django")

_client: Optional[passfort.Client] = None
_client_lock = threading.Lock()


def passfort_client() -> passfort.Client:
    """This worker's client, made after the fork (gunicorn.conf.py's post_fork).
    PASSFORT_API_KEY, PASSFORT_BASE_URL and PASSFORT_REDIS_URL configure it."""
    global _client
    with _client_lock:
        if _client is None:
            _client = passfort.Client(webhook_secret=os.environ["PASSFORT_WEBHOOK_SECRET"])
        return _client


@csrf_exempt
@require_POST
def passfort_webhook(request: HttpRequest) -> HttpResponse:
    # request.body is the raw body; request.headers the received headers.
    events = passfort_client().webhooks.handle(request.body, list(request.headers.items()))
    for event in events:
        log.info("webhook event %s %s", event.event, event.id)  # once across the fleet: enqueue your job here
    return JsonResponse({"acted_on": [event.id for event in events], "pid": os.getpid()})


@csrf_exempt
@require_POST
def run_check(request: HttpRequest) -> HttpResponse:
    body = json.loads(request.body)
    check = passfort_client().run_check_and_wait(
        body["profile_id"], body.get("check_type", "IDENTITY_CHECK"), mode=body.get("mode"), tag=body.get("tag"), poll_interval=body.get("poll_interval")
    )
    wait = check.wait
    return JsonResponse(
        {"check_id": check.id, "state": str(check.state), "resolved_by": wait.resolved_by if wait else None, "polls": wait.polls if wait else None, "pid": os.getpid()}
    )


@require_GET
def fleet(request: HttpRequest) -> HttpResponse:
    client = passfort_client()
    return JsonResponse({"pid": os.getpid(), "worker_id": client.worker_id, "in_fleet": client.in_fleet, "subscribed": client.fleet_subscribed})

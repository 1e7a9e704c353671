"""A fleet of FastAPI workers under uvicorn sharing one Redis.

    export PASSFORT_API_KEY=... PASSFORT_WEBHOOK_SECRET=... PASSFORT_REDIS_URL=redis://:password@redis.internal:6379/0
    uvicorn fastapi_app:app --workers 4 --host 0.0.0.0 --port 8000

Each worker process makes its own ``AsyncClient`` at start-up (the lifespan
runs in the worker), joins the fleet, and takes over now and then the checks
of workers that died (``recover``). The webhook endpoint answers PassFort at
once and hands the raw body and headers to the hub (``handle_async``), which
de-duplicates the event across the fleet and wakes the waiters of every worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any, AsyncIterator, Dict, Optional

from fastapi import FastAPI, Request
from pydantic import BaseModel

import passfort

log = logging.getLogger("passfort.fleet.fastapi")


async def recover_forever(client: passfort.AsyncClient, every: float) -> None:
    """Hands this worker the checks of workers that stopped, each to one worker of the fleet."""
    while True:
        try:
            for item in await client.recover():
                log.info("took over check %s (tag %s) from %s: %r", item.check_id, item.tag, item.previous_owner, item.check or item.error)
        except passfort.PassFortError as error:
            log.warning("recover failed, trying again later: %s", error)
        await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # PASSFORT_API_KEY, PASSFORT_BASE_URL and PASSFORT_REDIS_URL configure the client.
    async with passfort.AsyncClient(webhook_secret=os.environ["PASSFORT_WEBHOOK_SECRET"]) as client:
        app.state.passfort = client
        recovering = asyncio.create_task(recover_forever(client, every=30.0))
        yield
        recovering.cancel()


app = FastAPI(lifespan=lifespan)


@app.post("/passfort/webhooks")
async def passfort_webhook(request: Request) -> Dict[str, Any]:
    client: passfort.AsyncClient = request.app.state.passfort
    events = await client.webhooks.handle_async(await request.body(), list(request.headers.items()))
    for event in events:
        log.info("webhook event %s %s", event.event, event.id)  # once across the fleet: enqueue your job here
    return {"acted_on": [event.id for event in events], "pid": os.getpid()}


class CheckBody(BaseModel):
    profile_id: str
    check_type: str = "IDENTITY_CHECK"
    mode: Optional[str] = None
    tag: Optional[str] = None
    poll_interval: Optional[float] = None


@app.post("/checks")
async def run_check(body: CheckBody, request: Request) -> Dict[str, Any]:
    client: passfort.AsyncClient = request.app.state.passfort
    check = await client.run_check_and_wait(
        body.profile_id, body.check_type, mode=body.mode, tag=body.tag, poll_interval=body.poll_interval  # type: ignore[arg-type]
    )
    wait = check.wait
    return {"check_id": check.id, "state": str(check.state), "resolved_by": wait.resolved_by if wait else None, "polls": wait.polls if wait else None, "pid": os.getpid()}


@app.get("/fleet")
async def fleet(request: Request) -> Dict[str, Any]:
    client: passfort.AsyncClient = request.app.state.passfort
    return {"pid": os.getpid(), "worker_id": client.worker_id, "in_fleet": client.in_fleet, "subscribed": client.fleet_subscribed}

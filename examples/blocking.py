"""The blocking client, for scripts and notebooks, and receiving webhooks in
your own web framework's view.

Run: python examples/blocking.py
"""

from __future__ import annotations

import json
import time
from typing import List, Mapping

import passfort
from passfort import CheckType, Role, TaskState
from passfort.testing import Emulator

WEBHOOK_SECRET = "blocking-webhook-secret"


def webhook_view(client: passfort.Client, body: bytes, headers: Mapping[str, str]) -> int:
    """What a Flask, Django or FastAPI view does with a delivery: answer 200 fast."""
    try:
        events: List[passfort.WebhookEvent] = client.webhooks.handle(body, headers)
    except passfort.WebhookVerificationError:
        return 401
    for event in events:
        print(f"   webhook {event.event} for check {event.check_id}: {event.result}")
    return 200


def main() -> None:
    with Emulator(webhook_secret=WEBHOOK_SECRET, provider_latency=0.2) as emulator:
        with emulator.client() as client:
            print(f"1. {client.whoami()['institution']['name']} at {client.base_url}")
            company = client.create_profile(Role.COMPANY_CUSTOMER, {"entity_type": "COMPANY", "metadata": {"name": "Acme Ltd"}})
            task = company.tasks[0]
            check = client.run_check(company.id, CheckType.COMPANY_REGISTRY, task_ids=[task.id], mode="async")
            print(f"2. {check.check_type} is {check.state}")
            finished = client.wait_for_check(company.id, check.id, poll_interval=0.1)
            print(f"3. ... and then {finished.state}: {finished.result}")

            # A delivery as PassFort sends it, handed to a view.
            delivery = {
                "id": "evt-1",
                "event": "CHECK_COMPLETED",
                "secret": WEBHOOK_SECRET,
                "timestamp": int(time.time()),
                "data": {"profile_id": company.id, "check": {"id": check.id, "check_type": "COMPANY_REGISTRY", "result": finished.result}},
            }
            body = json.dumps(delivery).encode()
            status = webhook_view(client, body, {"Authorization": f"Bearer {WEBHOOK_SECRET}"})
            print(f"4. the view answered {status}; a forged one gets {webhook_view(client, body, {})}")
            parsed = passfort.verify_webhook(body, {"Authorization": f"Bearer {WEBHOOK_SECRET}"}, WEBHOOK_SECRET)
            print(f"5. verify_webhook alone parsed {len(parsed)} event")

            again = client.run_check_and_wait(company.id, CheckType.COMPANY_REGISTRY, mode="sync")
            outcome = client.verify_task(company.id, task.id, CheckType.COMPANY_REGISTRY, max_failures=2)
            done = client.complete_task(company.id, company.tasks[1].id, TaskState.COMPLETED_FAIL)
            print(f"6. {again.result}; {outcome.reason}; second task {done.state}")
            profiles = list(client.list_profiles())
            print(
                f"7. {len(profiles)} profile, {len(client.list_checks(company.id))} checks, "
                f"{len(client.list_tasks(company.id))} tasks, task {client.get_task(company.id, task.id).state}, "
                f"{client.get_profile(company.id).display_name}, {client.get_check(company.id, check.id).decision}"
            )


if __name__ == "__main__":
    main()

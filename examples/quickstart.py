"""Quick-start (asyncio): an embedded emulator, a profile, checks that resolve
however PassFort answers, and the task policy.

Run: python examples/quickstart.py
"""

from __future__ import annotations

import asyncio

import passfort
from passfort import CheckType, Role, TaskState, TaskType
from passfort.testing import Emulator

WEBHOOK_SECRET = "quickstart-webhook-secret"


async def main() -> None:
    # A local PassFort whose sync runs give up after 1 s (PassFort: 120 s);
    # the family name "Slow" makes the provider take a second longer.
    async with Emulator(webhook_secret=WEBHOOK_SECRET, sync_timeout=1.0) as emulator:
        async with emulator.async_client() as client:
            server = client.webhooks.serve()
            emulator.set_webhook(server.url)
            me = await client.whoami()
            print(f"1. emulator at {emulator.base_url}, authenticated as {me['institution']['name']}")

            profile = await client.create_profile(
                Role.INDIVIDUAL_CUSTOMER,
                {"entity_type": "INDIVIDUAL", "personal_details": {"name": {"given_names": ["Grace"], "family_name": "Slow"}}},
            )
            identity = next(t for t in profile.tasks if t.type == TaskType.INDIVIDUAL_VERIFY_IDENTITY)
            screening_task = next(t for t in profile.tasks if t.type != TaskType.INDIVIDUAL_VERIFY_IDENTITY)
            print(f"2. created {profile!r}")

            check = await client.run_check_and_wait(profile.id, CheckType.IDENTITY_CHECK, task_ids=[identity.id])
            print(f"3. sync identity check, switched to async and finished: {check!r}")

            started = await client.run_check(profile.id, CheckType.PEPS_AND_SANCTIONS_SCREEN, mode="async")
            screening = await client.wait_for_check(profile.id, started.id, wait_timeout=60)
            print(f"4. async screening {started.state} -> {screening.state}: {screening.result} ({screening.decision})")

            task = await client.complete_task(profile.id, screening_task.id, TaskState.COMPLETED_PASS)
            print(f"5. screening task is {task.state}")

            outcome = await client.verify_task(profile.id, identity.id, CheckType.IDENTITY_CHECK)
            print(f"6. verify_task on the identity task: {outcome.reason} ({len(outcome.checks)} check)")

            checks = await client.list_checks(profile.id)
            tasks = await client.list_tasks(profile.id)
            again = await client.get_check(profile.id, check.id)
            task_now = await client.get_task(profile.id, identity.id)
            fetched = await client.get_profile(profile.id)
            names = [p.display_name async for p in client.list_profiles()]
            print(f"7. the profile {names} has {len(checks)} checks and {len(tasks)} tasks; identity task {task_now.state}")
            assert again == check and fetched.id == profile.id

            try:
                await client.get_check(profile.id, "00000000-0000-0000-0000-000000000000")
            except passfort.NotFoundError as error:
                print(f"8. errors are typed: {type(error).__name__} {error.status}")
            server.close()


if __name__ == "__main__":
    asyncio.run(main())

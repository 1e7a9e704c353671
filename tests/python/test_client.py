"""Every call, through both clients, against the in-process emulator."""

from __future__ import annotations

import asyncio
import datetime

import passfort
from passfort import CheckState, CheckType, Decision, Role, TaskState, TaskType
from passfort.testing import Emulator

from conftest import person, requests_to


def test_version_and_import_need_only_the_standard_library() -> None:
    assert passfort.__version__ == "0.1.0"


def test_blocking_client_covers_every_call(emulator: Emulator) -> None:
    with emulator.client() as client:
        assert client.whoami()["institution"]["name"] == "Emulated Institution"
        profile = client.create_profile(Role.INDIVIDUAL_CUSTOMER, person())
        assert profile.role == "INDIVIDUAL_CUSTOMER" and profile.role is Role.INDIVIDUAL_CUSTOMER
        assert profile.display_name == "Ada Smith"
        assert [t.type for t in profile.tasks] == [
            TaskType.INDIVIDUAL_VERIFY_IDENTITY,
            TaskType.INDIVIDUAL_ASSESS_POLITICAL_AND_SANCTIONS_EXPOSURE,
        ]
        assert client.get_profile(profile.id) == profile
        task = profile.tasks[0]

        check = client.run_check(profile.id, CheckType.IDENTITY_CHECK, task_ids=[task.id], mode="sync")
        assert check.state == "COMPLETE" and check.state is CheckState.COMPLETE and check.is_complete
        assert (check.result, check.decision) == ("2+2", Decision.PASS)
        assert check.task_ids == [task.id]
        assert check.output_data == {"entity_type": "INDIVIDUAL"}
        assert check.input_data is not None and "personal_details" in check.input_data
        assert isinstance(check.completed_on, datetime.datetime)
        assert check.completed_on.tzinfo is not None and check.completed_on.utcoffset() == datetime.timedelta(0)
        assert client.get_check(profile.id, check.id) == check
        assert client.list_checks(profile.id) == [check]

        pending = client.run_check(profile.id, "PEPS_AND_SANCTIONS_SCREEN", mode="async")
        assert pending.state == CheckState.PENDING and pending.result is None and pending.decision is None
        assert pending.output_data is None
        finished = client.wait_for_check(profile.id, pending.id, poll_interval=0.05)
        assert finished.decision == "PASS"

        waited = client.run_check_and_wait(profile.id, "IDENTITY_CHECK", variant_alias="quick")
        assert waited.is_complete and waited.variant is not None and waited.variant.alias == "quick"

        assert client.get_task(profile.id, task.id).check_ids == [check.id]
        assert len(client.list_tasks(profile.id)) == 2
        done = client.complete_task(profile.id, task.id, TaskState.COMPLETED_PASS)
        assert done.state == TaskState.COMPLETED_PASS and done.is_complete
        failed = client.complete_task(profile.id, profile.tasks[1].id, "COMPLETED_FAIL")
        assert failed.state == "COMPLETED_FAIL"
        assert [p.id for p in client.list_profiles()] == [profile.id]


def test_async_client_covers_every_call(emulator: Emulator) -> None:
    async def scenario() -> None:
        async with emulator.async_client() as client:
            assert (await client.whoami())["auditee_name"]
            profiles = [await client.create_profile("INDIVIDUAL_CUSTOMER", person(f"Page{i}")) for i in range(5)]
            profile = profiles[0]
            assert await client.get_profile(profile.id) == profile
            listed = [p.id async for p in client.list_profiles(page_size=2)]
            assert listed == [p.id for p in profiles]
            assert [p.display_name async for p in client.list_profiles("page3")] == ["Ada Page3"]
            check = await client.run_check(profile.id, "IDENTITY_CHECK")
            assert check.state == "COMPLETE", "identity checks run sync by default"
            assert await client.get_check(profile.id, check.id) == check
            assert len(await client.list_checks(profile.id)) == 1
            pending = await client.run_check(profile.id, "PEPS_AND_SANCTIONS_SCREEN", mode="async")
            assert (await client.wait_for_check(profile.id, pending.id, poll_interval=0.05)).is_complete
            finished = await client.run_check_and_wait(profile.id, "PEPS_AND_SANCTIONS_SCREEN", mode="async", wait_timeout=30)
            assert finished.result == "Pass"
            task = (await client.list_tasks(profile.id))[0]
            assert (await client.get_task(profile.id, task.id)).id == task.id
            assert (await client.complete_task(profile.id, task.id, "COMPLETED_PASS")).is_complete
            outcome = await client.verify_task(profile.id, profile.tasks[1].id, "PEPS_AND_SANCTIONS_SCREEN")
            assert outcome.stop == "passed"

    asyncio.run(scenario())
    assert len(requests_to(emulator, "POST", "/4.0/profiles")) == 5


def test_server_default_mode_sends_no_mode(emulator: Emulator) -> None:
    client = emulator.client()
    profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
    assert client.run_check(profile.id, "PEPS_AND_SANCTIONS_SCREEN").state == "PENDING"
    assert client.run_check(profile.id, "IDENTITY_CHECK", mode="async").state == "PENDING"
    queries = [r["query"] for r in requests_to(emulator, "POST", "/checks")]
    assert queries == [None, "mode=async"]


def test_unknown_values_and_fields_come_back_as_sent(emulator: Emulator) -> None:
    client = emulator.client()
    profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
    emulator.script(profile.id, "VISA_CHECK", ["Clear"])
    check = client.run_check(profile.id, "VISA_CHECK", mode="sync")
    assert check.check_type == "VISA_CHECK" and type(check.check_type) is str
    assert check.result == "Clear"
    raw = check.to_dict()
    assert raw["check_type"] == "VISA_CHECK" and raw["output_data"] == {"entity_type": "INDIVIDUAL"}
    assert check.get("performed_on") == raw["performed_on"]
    assert check.get("no_such_field") is None
    assert repr(check).startswith("Check(id='") and "check_type='VISA_CHECK'" in repr(check)


def test_a_failed_or_erroring_check_is_an_outcome(emulator: Emulator) -> None:
    client = emulator.client()
    profile = client.create_profile("INDIVIDUAL_CUSTOMER", person("Error"))
    check = client.run_check_and_wait(profile.id, "IDENTITY_CHECK")
    assert (check.result, check.decision) == ("Error", "ERROR")
    [error] = check.errors
    assert (error.code, error.code_name, error.source) == (303, "PROVIDER_UNKNOWN_ERROR", "PROVIDER")


def test_calling_outside_a_loop_gives_a_plain_coroutine(emulator: Emulator) -> None:
    client = emulator.async_client()
    coroutine = client.whoami()
    assert asyncio.iscoroutine(coroutine)
    assert asyncio.run(coroutine)["institution"]["name"] == "Emulated Institution"


def test_models_pickle_and_build_from_dicts(emulator: Emulator) -> None:
    import pickle

    import pytest

    client = emulator.client()
    profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
    check = client.run_check_and_wait(profile.id, "IDENTITY_CHECK")
    assert check.wait is not None and check.wait.resolved_by in ("immediately", "webhook", "polling")
    assert client.get_check(profile.id, check.id).wait is None
    for resource in (check, profile, profile.tasks[0]):
        copy = pickle.loads(pickle.dumps(resource))
        assert copy == resource and type(copy) is type(resource)
        assert type(resource).from_dict(resource.to_dict()) == resource
    built = passfort.Check.from_dict({"id": "c1", "check_type": "IDENTITY_CHECK", "state": "COMPLETE", "decision": "PASS"})
    assert (built.id, built.decision, built.is_complete) == ("c1", "PASS", True)
    with pytest.raises(passfort.InvalidArgumentError):
        passfort.Check.from_dict({"id": "c1"})

"""The flows from Python: an application decision (blocked, then approved, and
rejected), a document check end to end, and bad image input refused before
any request; the safe collected-data update (a race keeps both changes, typed
conflicts, a lost write read back); lost answers on an upload and an
application create; a sync run meeting the gateway timeout. Async and blocking."""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.request
from typing import Any, Callable, Dict, List

import pytest

import passfort
from passfort import ApplicationDecision, AsyncClient, Client, UpdatedCollectedData
from passfort.testing import Emulator

from conftest import API_KEY, person, requests_to

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def test_decision_blocked_then_approved_blocking(emulator: Emulator) -> None:
    with Client(API_KEY, base_url=emulator.base_url) as client:
        profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
        application = client.applications.create(profile.id, {"product": {"alias": "individual-account"}})

        blocked = client.decide_application(profile.id, application["id"])
        assert isinstance(blocked, ApplicationDecision)
        assert blocked.outcome == "blocked"
        assert not blocked.written
        assert [b["blocker_type"] for b in blocked.blockers] == ["INCOMPLETE_TASK", "INCOMPLETE_TASK"]
        assert blocked.application["status"] == "APPLIED"

        for task in client.list_tasks(profile.id):
            client.complete_task(profile.id, task.id, "COMPLETED_PASS")
        approved = client.decide_application(profile.id, application["id"])
        assert approved.outcome == "approved"
        assert approved.written
        assert approved.blockers == []
        assert approved.application["status"] == "APPROVED"
        again = client.decide_application(profile.id, application["id"])
        assert again.outcome == "approved" and not again.written
        assert "approved" in repr(again)


def test_decision_rejected_async(emulator: Emulator) -> None:
    async def run() -> None:
        async with AsyncClient(API_KEY, base_url=emulator.base_url) as client:
            profile = await client.create_profile("INDIVIDUAL_CUSTOMER", person())
            application = await client.applications.create(profile.id, {"product": {"alias": "individual-account"}})
            tasks = await client.list_tasks(profile.id)
            await client.complete_task(profile.id, tasks[0].id, "COMPLETED_FAIL")
            rejected = await client.decide_application(profile.id, application["id"])
            assert rejected.outcome == "rejected"
            assert rejected.application["status"] == "REJECTED"

    asyncio.run(run())


def test_document_check_blocking(emulator: Emulator) -> None:
    with Client(API_KEY, base_url=emulator.base_url) as client:
        profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
        check = client.run_document_check(profile.id, image=PNG, image_type="FRONT", document_type="PASSPORT", wait_timeout=20)
        assert check.check_type == "DOCUMENT_VERIFICATION"
        assert check.state == "COMPLETE"
        documents = client.collected_data.get(profile.id)["documents"]
        assert [d["id"] for d in documents] == [check.get("document_id")]
        assert len(requests_to(emulator, "POST", "/document_images")) == 1


def test_document_check_async(emulator: Emulator) -> None:
    async def run() -> None:
        async with AsyncClient(API_KEY, base_url=emulator.base_url) as client:
            profile = await client.create_profile("INDIVIDUAL_CUSTOMER", person())
            check = await client.run_document_check(
                profile.id, image=bytearray(PNG), image_type="FRONT", document_type="PASSPORT", wait_timeout=20
            )
            assert check.check_type == "DOCUMENT_VERIFICATION"
            assert check.state == "COMPLETE"

    asyncio.run(run())


def test_bad_images_are_refused_before_any_request(emulator: Emulator) -> None:
    with Client(API_KEY, base_url=emulator.base_url) as client:
        profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
        before = len(emulator.requests())
        bad: List[Any] = ["not bytes", None, b"", PNG + b"\0" * (4 * 1024 * 1024), b"plain text"]
        for image in bad:
            with pytest.raises(passfort.InvalidArgumentError):
                client.run_document_check(profile.id, image=image, image_type="FRONT", document_type="PASSPORT")
        with pytest.raises(passfort.InvalidArgumentError):
            client.run_document_check(profile.id, image=PNG, image_type="front side", document_type="PASSPORT")
        assert len(emulator.requests()) == before

    async def run() -> None:
        async with AsyncClient(API_KEY, base_url=emulator.base_url) as client:
            refusals: List[Callable[[], Any]] = [
                lambda: client.run_document_check("pid", image="x", image_type="FRONT", document_type="PASSPORT"),  # type: ignore[arg-type]
                lambda: client.run_document_check("pid", image=b"", image_type="FRONT", document_type="PASSPORT"),
            ]
            for refuse in refusals:
                with pytest.raises(passfort.InvalidArgumentError):
                    await refuse()
        assert len(emulator.requests()) == before

    asyncio.run(run())


def after_next_read(emulator: Emulator, profile_id: str, change: Dict[str, Any]) -> None:
    """Another writer changes the data right after the next read of it (the emulator's control)."""
    request = urllib.request.Request(
        f"{emulator.url}/_emulator/profiles/{profile_id}/collected_data/after_next_read", data=json.dumps(change).encode(), method="POST"
    )
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10):
        pass


def collected_writes(emulator: Emulator) -> List[int]:
    return [r["status"] for r in requests_to(emulator, "POST", "/collected_data")]


def test_a_collected_data_race_keeps_both_changes_blocking(emulator: Emulator) -> None:
    with Client(API_KEY, base_url=emulator.base_url) as client:
        profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
        after_next_read(emulator, profile.id, {"contact_details": {"email": "other@example.com"}})

        updated = client.update_collected_data(profile.id, [{"op": "add", "path": "/personal_details/name/given_names/-", "value": "Grace"}])

        assert isinstance(updated, UpdatedCollectedData)
        assert updated.attempts == 2
        assert collected_writes(emulator) == [412, 200], "met the other writer's change once, then wrote"
        data = client.collected_data.get(profile.id)
        assert data["personal_details"]["name"]["given_names"] == ["Ada", "Grace"]
        assert data["contact_details"] == {"email": "other@example.com"}
        assert updated.data == data
        assert "other@example.com" not in repr(updated), "no personal data in the repr"


def test_a_collected_data_conflict_and_a_failed_test_are_typed_async(emulator: Emulator) -> None:
    async def run() -> None:
        async with AsyncClient(API_KEY, base_url=emulator.base_url) as client:
            profile = await client.create_profile("INDIVIDUAL_CUSTOMER", person())
            after_next_read(emulator, profile.id, {"contact_details": {"email": "other@example.com"}})
            with pytest.raises(passfort.UpdateConflictError) as conflict:
                await client.update_collected_data(profile.id, {"personal_details": {"nationality": "FRA"}}, max_attempts=1)
            assert isinstance(conflict.value, passfort.ConflictError)
            assert (conflict.value.code, conflict.value.status, conflict.value.attempts) == ("update_conflict", 412, 1)
            assert conflict.value.profile_id == profile.id and not conflict.value.may_have_reached_server

            with pytest.raises(passfort.PatchFailedError) as failed:
                await client.update_collected_data(profile.id, [{"op": "test", "path": "/personal_details/name/family_name", "value": "Jones"}])
            assert (failed.value.code, failed.value.index, failed.value.op, failed.value.test_failed) == ("patch_failed", 0, "test", True)
            assert failed.value.path == "/personal_details/name/family_name"
            assert collected_writes(emulator) == [412], "neither wrote the change"

    asyncio.run(run())


def test_a_lost_collected_data_write_is_read_back_not_doubled(emulator: Emulator) -> None:
    with Client(API_KEY, base_url=emulator.base_url) as client:
        profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
        emulator.fault("POST", f"/4.0/profiles/{profile.id}/collected_data", "drop_after_commit")
        updated = client.update_collected_data(profile.id, [{"op": "add", "path": "/personal_details/name/given_names/-", "value": "Grace"}])
        assert updated.attempts == 1
        assert len(collected_writes(emulator)) == 1, "not resent"
        assert client.collected_data.get(profile.id)["personal_details"]["name"]["given_names"] == ["Ada", "Grace"]


def test_bad_changes_are_refused_before_any_request(emulator: Emulator) -> None:
    with Client(API_KEY, base_url=emulator.base_url) as client:
        profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
        before = len(emulator.requests())
        bad: List[Callable[[], Any]] = [
            lambda: client.update_collected_data(profile.id, "text"),  # type: ignore[arg-type]
            lambda: client.update_collected_data(profile.id, [{"op": "jump", "path": "/a"}]),
            lambda: client.update_collected_data(profile.id, [{"op": "add", "path": "no-slash", "value": 1}]),
            lambda: client.update_collected_data(profile.id, [{"op": "add", "path": "/a"}]),
            lambda: client.update_collected_data(profile.id, {"a": float("nan")}),
            lambda: client.update_collected_data(profile.id, {}, max_attempts=0),
            lambda: client.update_collected_data(profile.id, {}, max_attempts=51),
            lambda: client.update_collected_data("not an id!", {}),
        ]
        for refuse in bad:
            with pytest.raises((passfort.InvalidArgumentError, TypeError, ValueError)):
                refuse()
        assert len(emulator.requests()) == before


def test_lost_answers_on_an_upload_and_an_application_create_are_ambiguous_never_doubled(emulator: Emulator) -> None:
    with Client(API_KEY, base_url=emulator.base_url) as client:
        profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
        emulator.fault("POST", "/4.0/profiles/*/document_images", "drop_after_commit")
        with pytest.raises(passfort.AmbiguousCreationError) as upload:
            client.run_document_check(profile.id, image=PNG, image_type="FRONT", document_type="PASSPORT")
        assert upload.value.profile_id == profile.id and upload.value.look_for
        assert len(requests_to(emulator, "POST", "/document_images")) == 1
        assert len(client.documents.list_images(profile.id)) == 1
        assert emulator.checks() == []

        emulator.fault("POST", "/4.0/profiles/*/applications", "drop_after_commit")
        with pytest.raises(passfort.AmbiguousCreationError) as create:
            client.applications.create(profile.id, {"product": {"alias": "individual-account"}})
        assert create.value.operation == "create_application"
        assert len(requests_to(emulator, "POST", "/applications")) == 1
        assert len(client.applications.list(profile.id)) == 1


def test_a_sync_run_meeting_the_gateway_timeout_is_one_check(emulator: Emulator) -> None:
    request = urllib.request.Request(
        f"{emulator.url}/_emulator/config",
        data=json.dumps({"gateway_timeout_ms": 300, "provider_latency_ms": 1000, "sync_timeout_ms": 5000}).encode(),
        method="PUT",
    )
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10):
        pass

    async def run() -> None:
        async with AsyncClient(API_KEY, base_url=emulator.base_url) as client:
            profile = await client.create_profile("INDIVIDUAL_CUSTOMER", person())
            check = await client.run_check_and_wait(profile.id, "IDENTITY_CHECK", mode="sync", wait_timeout=30)
            assert check.state == "COMPLETE"
            assert [r["status"] for r in requests_to(emulator, "POST", "/checks")] == [504]
            assert [c["id"] for c in emulator.checks()] == [check.id]

    asyncio.run(run())

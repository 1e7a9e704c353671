"""The flows from Python: an application decision (blocked, then approved, and
rejected), a document check end to end, and bad image input refused before
any request; async and blocking."""

from __future__ import annotations

import asyncio
import base64
from typing import Any, Callable, List

import pytest

import passfort
from passfort import ApplicationDecision, AsyncClient, Client
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

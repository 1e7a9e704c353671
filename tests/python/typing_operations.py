"""Type test of the generated operations and models (passfort/_operations.py,
passfort/_models.py): checked by mypy --strict in scripts/check-types.sh, never
run. Each `type: ignore[...]` is an error mypy must report (--strict warns
about unused ignores), so the bodies and results are typed, not Any."""

from __future__ import annotations

from typing import List

from typing_extensions import assert_type

import passfort
from passfort import Application, CheckResource, DocumentImage, Note, ProfileEvent, ProfileResource, Tag, TaskResource


def blocking(client: passfort.Client) -> None:
    profile = client.profiles.create({"role": "INDIVIDUAL_CUSTOMER", "collected_data": {"entity_type": "INDIVIDUAL"}})
    assert_type(profile, ProfileResource)
    pid = profile.get("id", "")
    application = client.applications.create(pid, {"product": {"alias": "individual-account"}})
    assert_type(application, Application)
    status: str = application.get("status", "APPLIED")
    application.get("status") == 1  # type: ignore[comparison-overlap]
    assert_type(client.tags.search("vip", limit=5), List[Tag])
    assert_type(client.notes.list(pid, "t"), List[Note])
    assert_type(client.documents.get_image(pid, "i"), DocumentImage)
    assert_type(client.checks.run(pid, {"check_type": "IDENTITY_CHECK"}, mode="sync"), CheckResource)
    assert_type(client.tasks.complete(pid, "t", {"state": "COMPLETED_PASS"}), TaskResource)
    client.status.set(pid, "SUSPENDED")
    client.status.set(pid, "A_STATUS_ADDED_LATER")  # enums are open: any string type-checks
    client.applications.create(pid, {"product": {"alias": 1}})  # type: ignore[typeddict-item]
    client.applications.create(pid, {"prodcut": {}})  # type: ignore[typeddict-unknown-key]
    client.tags.add(pid, {"name": "VIP"})["nmae"]  # type: ignore[typeddict-item]
    client.profiles.list(q="smith", limit=10, categories=["A", "B"])
    del status


async def awaitable(client: passfort.AsyncClient) -> None:
    event = await client.events.create("p", {"data": {"event_type": "PEP_FLAG"}})
    assert_type(event, ProfileEvent)
    resolution: str = event.get("resolution", "UNRESOLVED")
    events = await client.events.bulk_update("p", [{"id": event.get("id", ""), "resolution": "MATCH"}])
    assert_type(events, List[ProfileEvent])
    raw = await client.with_raw_response.events.get("p", "e")
    assert_type(raw, passfort.Response)
    del resolution

"""Every operation through the generated namespaces (tests/scenarios/operations.json, shared with
Node), async and blocking; per-call options, response metadata, raw requests, refusals before any
request, cancellation."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import passfort
from passfort import AsyncClient, Client, Response
from passfort._operations import OPERATIONS
from passfort.testing import Emulator

from conftest import API_KEY, held_requests, lookup, person, requests_to, resolve, until

SCENARIOS = json.loads((Path(__file__).parent.parent / "scenarios" / "operations.json").read_text())
STEPS: List[Dict[str, Any]] = SCENARIOS["steps"]


def arguments(step: Dict[str, Any], saved: Dict[str, Any]) -> Tuple[str, str, List[Any], Dict[str, Any]]:
    resource, method, path_params, body_rule = OPERATIONS[step["operation"]]
    path = resolve(step["path"], saved)
    assert sorted(path) == sorted(path_params), step
    args: List[Any] = [path[name] for name in path_params]
    kwargs: Dict[str, Any] = dict(resolve(step.get("query", {}), saved))
    if "body" in step:
        body = resolve(step["body"], saved)
        if body_rule == "required":
            args.append(body)
        else:
            kwargs["body"] = body
    return resource, method, args, kwargs


def check(step: Dict[str, Any], response: Response, saved: Dict[str, Any]) -> None:
    expect, body, what = step["expect"], response.body, step["operation"]
    assert response.status == expect["status"], what
    assert response.request_id, f"{what}: the emulator stamps a request id"
    for key in expect.get("keys", []):
        assert key in body, f"{what}: no {key} in {body}"
    for dotted, value in expect.get("equals", {}).items():
        assert lookup(body, dotted) == resolve(value, saved), f"{what}: {dotted}"
    if "length" in expect:
        assert len(body) == expect["length"], what
    if "min_length" in expect:
        assert len(body) >= expect["min_length"], what
    if "body" in expect:
        assert body == expect["body"], what
    if expect.get("etag"):
        assert response.etag, f"{what}: an Etag"
    assert json.loads(response.raw) == body, what


def test_the_scenarios_cover_every_operation() -> None:
    assert {step["operation"] for step in STEPS} == set(OPERATIONS)
    assert len(OPERATIONS) == 48


def test_every_operation_async(emulator: Emulator) -> None:
    asyncio.run(every_operation_async(emulator))


async def every_operation_async(emulator: Emulator) -> None:
    async with AsyncClient(API_KEY, base_url=emulator.base_url) as client:
        saved: Dict[str, Any] = {}
        for step in STEPS:
            resource, method, args, kwargs = arguments(step, saved)
            raw = await getattr(getattr(client.with_raw_response, resource), method)(*args, **kwargs)
            check(step, raw, saved)
            if "save" in step:
                saved[step["save"]] = raw.body


def test_every_operation_blocking(emulator: Emulator) -> None:
    with Client(API_KEY, base_url=emulator.base_url) as client:
        saved: Dict[str, Any] = {}
        for step in STEPS:
            resource, method, args, kwargs = arguments(step, saved)
            # The parsed-body namespaces, checked against the raw ones' shape.
            body = getattr(getattr(client, resource), method)(*args, **kwargs)
            if "save" in step:
                saved[step["save"]] = body
            for key in step["expect"].get("keys", []):
                assert key in body, step["operation"]
            for dotted, value in step["expect"].get("equals", {}).items():
                assert lookup(body, dotted) == resolve(value, saved), step["operation"]


def test_names_match_the_node_package() -> None:
    """The same namespaces and methods as the Node package's generated table, modulo case."""
    names = {(resource, method) for resource, method, _, _ in OPERATIONS.values()}
    assert len(names) == 48
    def camel(name: str) -> str:
        head, *rest = name.split("_")
        return head + "".join(word.capitalize() for word in rest)

    node = (Path(__file__).parent.parent.parent / "bindings-node" / "lib" / "operations.js").read_text()
    node_table = {m[0]: (m[1], m[2]) for m in re.findall(r"^  (\w+): \['(\w+)', '(\w+)'", node, re.M)}
    assert node_table == {name: (camel(r), camel(m)) for name, (r, m, _, _) in OPERATIONS.items()}
    client = Client(API_KEY, base_url="http://127.0.0.1:9/4.0")
    for resource, method in names:
        assert callable(getattr(getattr(client, resource), method))
        assert callable(getattr(getattr(client.with_raw_response, resource), method))
    client.close()


def test_per_call_timeout_and_max_retries_reach_the_request(emulator: Emulator) -> None:
    emulator.fault("GET", "/4.0/whoami", "delay", delay=1.0, times=1)
    with Client(API_KEY, base_url=emulator.base_url) as client:
        started = time.monotonic()
        with pytest.raises(passfort.APITimeoutError):
            client.account.whoami(timeout=0.15, max_retries=0)
        assert time.monotonic() - started < 0.9, "the call's timeout, not the client's"
        assert len(requests_to(emulator, "GET", "/whoami")) == 1, "max_retries 0: no retry"

        emulator.fault("GET", "/4.0/whoami", "status", status=503, times=5)
        with pytest.raises(passfort.ServerError):
            client.account.whoami(max_retries=1)
        assert len(requests_to(emulator, "GET", "/whoami")) == 3, "one more request and one retry"


def test_raw_response_metadata_and_if_match(emulator: Emulator) -> None:
    asyncio.run(raw_response_metadata_and_if_match(emulator))


async def raw_response_metadata_and_if_match(emulator: Emulator) -> None:
    async with AsyncClient(API_KEY, base_url=emulator.base_url) as client:
        profile = await client.profiles.create({"role": "INDIVIDUAL_CUSTOMER", "collected_data": person("Smith")})
        read = await client.with_raw_response.collected_data.get(profile["id"])
        assert isinstance(read, Response) and read.status == 200
        assert read.request_id and read.headers["x-request-id"] == read.request_id
        assert read.etag and read.headers["etag"] == read.etag
        written = await client.with_raw_response.collected_data.update(profile["id"], person("Jones"), if_match=read.etag)
        assert written.etag != read.etag
        with pytest.raises(passfort.APIError) as stale:
            await client.collected_data.update(profile["id"], person("Brown"), if_match=read.etag)
        assert stale.value.status == 412
        assert "Response(status=200" in repr(read)


def test_raw_request(emulator: Emulator) -> None:
    with Client(API_KEY, base_url=emulator.base_url) as client:
        me = client.request("GET", "/whoami")
        assert me.status == 200 and me.body == client.account.whoami()
        created = client.request(
            "POST", "/profiles", json={"role": "INDIVIDUAL_CUSTOMER", "collected_data": person("Raw")}, extra_headers={"X-Trace": "t-1"}
        )
        found = client.request("GET", "/profiles", query={"q": "raw", "limit": 5})
        assert [p["id"] for p in found.body["results"]] == [created.body["id"]]


def test_invalid_arguments_are_refused_before_any_request(emulator: Emulator) -> None:
    with Client(API_KEY, base_url=emulator.base_url) as client:
        before = len(emulator.requests())
        refusals = [
            lambda: client.profiles.get("not an id!"),
            lambda: client.profiles.list(limit=object()),  # type: ignore[arg-type]
            lambda: client.account.whoami(max_retries=99),
            lambda: client.account.whoami(timeout=0),
            lambda: client.account.whoami(extra_headers={"apikey": "other"}),
            lambda: client.profiles.create({"x": float("nan")}),
            lambda: client.request("GET", "/whoami", query={"apikey": "k"}),
            lambda: client.request("GET", "/whoami", json={"a": 1}),
        ]
        for refuse in refusals:
            with pytest.raises((passfort.InvalidArgumentError, TypeError, ValueError)):
                refuse()
        assert len(emulator.requests()) == before


def test_cancelling_the_task_cancels_the_call(emulator: Emulator) -> None:
    asyncio.run(cancelling_the_task_cancels_the_call(emulator))


async def cancelling_the_task_cancels_the_call(emulator: Emulator) -> None:
    emulator.fault("GET", "/4.0/whoami", "delay", delay=5.0, times=1)
    async with AsyncClient(API_KEY, base_url=emulator.base_url) as client:
        task = asyncio.ensure_future(client.account.whoami())
        await until(lambda: held_requests(emulator) == 1, "the delayed request")
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 1.0
        assert "institution" in await client.account.whoami(), "the client still works"


def test_typed_results_are_plain_dicts_keeping_unknown_fields(emulator: Emulator) -> None:
    from passfort._models import EntityData, EventData

    with Client(API_KEY, base_url=emulator.base_url) as client:
        profile = client.profiles.create({"role": "INDIVIDUAL_CUSTOMER", "collected_data": person("Typed")})
        event = client.events.create(profile["id"], {"data": {"event_type": "ADVERSE_MEDIA_FLAG", "x_custom": "kept"}})  # type: ignore[typeddict-unknown-key]
        assert type(event) is dict and event.get("resolution") == "UNRESOLVED"
        assert "x_custom" not in EventData.__annotations__
        assert dict(event["data"])["x_custom"] == "kept", "a field the types do not list is kept"
        collected = client.collected_data.update(profile["id"], {**person("Typed"), "x_custom": "kept"})  # type: ignore[typeddict-item]
        assert "x_custom" not in EntityData.__annotations__ and dict(collected)["x_custom"] == "kept"
        application = client.applications.create(profile["id"], {"product": {"alias": "individual-account"}})
        assert application["status"] == "APPLIED" and isinstance(application["approval_blockers"], list)


def test_query_values_are_flattened_and_checked_by_the_core(emulator: Emulator) -> None:
    with Client(API_KEY, base_url=emulator.base_url) as client:
        client.request("GET", "/whoami", query=[("page", [1, None, 2]), ("limit", 5), ("offset", None)])
        assert [r["query"] for r in requests_to(emulator, "GET", "/whoami")] == ["page=1&page=2&limit=5"]
        before = len(emulator.requests())
        for bad in (True, 1.5, {}, [[1]], object()):
            with pytest.raises(passfort.InvalidArgumentError, match="limit"):
                client.profiles.list(limit=bad)  # type: ignore[arg-type]
        assert len(emulator.requests()) == before

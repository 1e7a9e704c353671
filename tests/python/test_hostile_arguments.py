"""The shared hostile-argument table (tests/scenarios/hostile-arguments.json),
run through the async and the blocking client: every row is refused with a
typed error before any request reaches the emulator."""

from __future__ import annotations

import asyncio
import json
import pathlib
from typing import Any, Dict

import pytest

import passfort
from passfort.testing import Emulator

TABLE = json.loads((pathlib.Path(__file__).parents[1] / "scenarios" / "hostile-arguments.json").read_text())


def special(value: Any) -> Any:
    if isinstance(value, dict) and "$" in value:
        kind = value["$"]
        if kind in ("NaN", "Infinity", "-Infinity"):
            return float(kind.replace("Infinity", "inf"))
        if kind == "big_int":
            return 10**400
        if kind == "long":
            return "x" * value["bytes"]
        if kind == "deep":
            deep: Any = 1
            for _ in range(value["depth"]):
                deep = [deep]
            return deep
        if kind == "date":
            pytest.skip("a Date is a Node row")
    if isinstance(value, dict):
        return {key: special(item) for key, item in value.items()}
    return value


def invoke(client: Any, call: str, args: Dict[str, Any]) -> Any:
    """The call with the row's arguments over harmless defaults."""
    ids = {"profile_id": args.pop("profile_id", "p1")}
    if call == "wait_for_check":
        return client.wait_for_check(ids["profile_id"], args.pop("check_id", "c1"), **args)
    if call in ("run_check", "run_check_and_wait"):
        return getattr(client, call)(ids["profile_id"], args.pop("check_type", "IDENTITY_CHECK"), **args)
    if call == "verify_task":
        return client.verify_task(ids["profile_id"], "t1", "IDENTITY_CHECK", **args)
    if call == "run_checks":
        return client.run_checks([("p1", "IDENTITY_CHECK")], **args)
    if call == "list_profiles":
        return client.list_profiles(args.pop("query", None), **args)
    if call == "create_profile":
        return client.create_profile(args.pop("role", "INDIVIDUAL_CUSTOMER"), args.pop("collected_data", {}))
    raise AssertionError(f"no such call in the table: {call}")


def expected(row: Dict[str, Any]) -> Any:
    return TypeError if row["error"] == "type" else ValueError


@pytest.mark.parametrize("row", TABLE["rows"], ids=lambda row: f"{row['call']}-{'-'.join(row['args'])}")
@pytest.mark.parametrize("flavour", ["blocking", "async"])
def test_hostile_argument_is_refused_before_any_request(emulator: Emulator, row: Dict[str, Any], flavour: str) -> None:
    args = special(dict(row["args"]))
    kind = expected(row)
    if row["call"] == "client":
        with pytest.raises(kind) as raised:
            passfort.Client("k", base_url=emulator.base_url, **args)
    elif flavour == "blocking":
        client = passfort.Client(emulator.api_key, base_url=emulator.base_url)
        with pytest.raises(kind) as raised:
            result = invoke(client, row["call"], dict(args))
            if row["call"] == "list_profiles":
                next(iter(result))
    else:

        async def attempt() -> None:
            async with passfort.AsyncClient(emulator.api_key, base_url=emulator.base_url) as client:
                result = invoke(client, row["call"], dict(args))
                if row["call"] == "list_profiles":
                    await result.__anext__()
                else:
                    await result

        with pytest.raises(kind) as raised:
            asyncio.run(attempt())
    if row["error"] == "range":
        assert isinstance(raised.value, passfort.InvalidArgumentError) or row.get("dynamic_only"), repr(raised.value)
    assert len(str(raised.value)) < 400, "messages stay short whatever the argument's size"
    assert emulator.requests() == []

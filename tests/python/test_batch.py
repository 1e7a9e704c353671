"""Batch runs from Python: order, per-item errors, progress, cancellation,
DataFrames and Jupyter's HTML display."""

from __future__ import annotations

import asyncio
from typing import List

import pandas as pd
import pytest

import passfort
from passfort import BatchResult, CheckRequest, NotFoundError, Progress, TaskRequest
from passfort.testing import Emulator

from conftest import held_requests, person, quiesce, until

MISSING_PROFILE = "00000000-0000-4000-8000-000000000000"


def profiles(client: passfort.Client, names: List[str]) -> List[str]:
    return [client.create_profile("INDIVIDUAL_CUSTOMER", person(name)).id for name in names]


def test_results_in_input_order_with_each_items_error(emulator: Emulator) -> None:
    client = emulator.client()
    ids = profiles(client, ["Smith", "Fail", "Smith", "Error"])
    for index, profile_id in enumerate(ids):
        emulator.script(profile_id, "IDENTITY_CHECK", ["2+2"] if index % 2 == 0 else ["Fail"], latency=0.2 - index * 0.05)
    requests = [CheckRequest(profile_id, "IDENTITY_CHECK") for profile_id in ids]
    requests.insert(2, CheckRequest(MISSING_PROFILE, "IDENTITY_CHECK"))
    seen: List[Progress] = []

    batch = client.run_checks(requests, concurrency=3, progress=seen.append)

    assert [item.request for item in batch] == requests
    assert [item.ok for item in batch] == [True, True, False, True, True]
    assert [item.result.decision for item in batch if item.result] == ["PASS", "FAIL", "PASS", "FAIL"]
    assert isinstance(batch[2].error, NotFoundError) and batch[2].result is None
    assert len(batch.results) == 4 and [item.request for item in batch.errors] == [requests[2]]
    assert [p.done for p in seen] == [1, 2, 3, 4, 5] and seen[-1] == Progress(done=5, total=5, failed=1)
    assert len(emulator.checks()) == 4
    assert repr(batch) == "BatchResult(5 items, 4 ok, 1 failed)"


def test_the_async_client_runs_a_batch_with_tuples_and_dicts(emulator: Emulator) -> None:
    async def scenario() -> BatchResult[passfort.Check]:
        client = emulator.async_client()
        first = await client.create_profile("INDIVIDUAL_CUSTOMER", person())
        second = await client.create_profile("INDIVIDUAL_CUSTOMER", person("PEP"))
        calls: List[Progress] = []
        batch = await client.run_checks(
            [(first.id, "IDENTITY_CHECK"), {"profile_id": second.id, "check_type": "PEPS_AND_SANCTIONS_SCREEN"}],
            progress=calls.append,
        )
        assert [c.done for c in calls] == [1, 2], "progress ran on the loop before the await returned"
        return batch

    batch = asyncio.run(scenario())
    assert [item.result.decision for item in batch if item.result] == ["PASS", "WARN"]


def test_bad_requests_are_refused_before_any_call(emulator: Emulator) -> None:
    client = emulator.client()
    with pytest.raises(TypeError, match="request 1"):
        client.run_checks([CheckRequest("p", "IDENTITY_CHECK"), 42])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="concurrency"):
        client.run_checks([CheckRequest("p", "IDENTITY_CHECK")], concurrency=0)
    with pytest.raises(TypeError, match="progress"):
        client.run_checks([], progress="yes")  # type: ignore[arg-type]
    assert emulator.requests() == []
    batch = client.run_checks([CheckRequest(" ", "IDENTITY_CHECK")])
    assert isinstance(batch[0].error, ValueError), "an item's bad id is that item's error"


def test_cancelling_the_await_cancels_the_whole_batch(emulator: Emulator) -> None:
    emulator.configure(provider_latency=30)
    client = emulator.async_client()
    profile_id = profiles(emulator.client(), ["Smith"])[0]
    # The first four creations are held in the emulator (which does their work all the same): the batch
    # is cancelled with exactly those four requests out, all of them already received.
    emulator.fault("POST", "/4.0/profiles/*/checks", "delay", delay=0.3, times=4)

    async def scenario() -> int:
        requests = [CheckRequest(profile_id, "IDENTITY_CHECK")] * 40
        batch = asyncio.ensure_future(client.run_checks(requests, concurrency=4, mode="async"))
        await until(lambda: held_requests(emulator) == 4, "four creations held")
        batch.cancel()
        with pytest.raises(asyncio.CancelledError):
            await batch
        return len(emulator.requests())

    made = asyncio.run(scenario())
    # A worker still running would read its check about a second after its creation was answered.
    quiesce(emulator, idle=1.5)
    assert len(emulator.requests()) == made, "nothing after the cancel"
    assert len(emulator.checks()) == 4, "only the items in flight had started"


def test_verify_tasks_gives_outcomes_in_order(emulator: Emulator) -> None:
    client = emulator.client()
    requests = []
    for results in (["2+2"], ["Error"], ["Fail", "Fail", "Fail"]):
        profile = client.create_profile("INDIVIDUAL_CUSTOMER", person())
        emulator.script(profile.id, "IDENTITY_CHECK", results)
        requests.append(TaskRequest(profile.id, profile.tasks[0].id, "IDENTITY_CHECK"))

    batch = client.verify_tasks(requests)

    assert [item.result.stop for item in batch if item.result] == ["passed", "needs_review", "failed"]
    frame = passfort.to_dataframe(batch)
    assert list(frame["stop"]) == ["passed", "needs_review", "failed"]
    assert list(frame["checks_run"]) == [1, 1, 3]
    assert list(frame["task_state"].astype(object).where(frame["task_state"].notna(), None)) == [
        "COMPLETED_PASS", None, "COMPLETED_FAIL"]


def test_progress_true_draws_a_tqdm_bar(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    client = emulator.client()
    ids = profiles(client, ["Smith", "Smith", "Smith"])
    client.run_checks([CheckRequest(i, "IDENTITY_CHECK") for i in ids], progress=True)
    assert "3/3" in capsys.readouterr().err


def test_to_dataframe_has_one_typed_row_per_item(emulator: Emulator) -> None:
    client = emulator.client()
    ids = profiles(client, ["Smith", "Fail"])
    batch = client.run_checks([CheckRequest(i, "IDENTITY_CHECK") for i in ids] + [CheckRequest(MISSING_PROFILE, "IDENTITY_CHECK")])

    frame = passfort.to_dataframe(batch)

    assert len(frame) == 3
    assert list(frame["profile_id"]) == ids + [MISSING_PROFILE]
    assert list(frame["decision"].astype(object)[:2]) == ["PASS", "FAIL"] and pd.isna(frame["decision"][2])
    assert list(frame["error"].astype(object)[2:]) == ["NotFoundError"]
    assert str(frame["decision"].dtype) == "category" and str(frame["ok"].dtype) == "boolean"
    assert str(frame["completed_on"].dtype).startswith("datetime64[") and "UTC" in str(frame["completed_on"].dtype)
    assert frame["decision"].value_counts().to_dict() == {"PASS": 1, "FAIL": 1}

    checks = passfort.to_dataframe(client.list_checks(ids[0]))
    assert list(checks["check_type"].astype(str)) == ["IDENTITY_CHECK"]
    profile_frame = passfort.to_dataframe([client.get_profile(i) for i in ids])
    assert list(profile_frame["profile_id"]) == ids and list(profile_frame["checks"]) == [1, 1]
    tasks = passfort.to_dataframe(client.list_tasks(ids[0]))
    assert len(tasks) == len(client.list_tasks(ids[0])) and str(tasks["state"].dtype) == "category"
    with pytest.raises(TypeError, match="one kind"):
        passfort.to_dataframe([client.get_profile(ids[0]), batch[0].result])


def test_resources_and_batches_render_as_html_tables(emulator: Emulator) -> None:
    client = emulator.client()
    profile = client.create_profile("INDIVIDUAL_CUSTOMER", person("<b>Smith</b>"))
    check = client.run_check_and_wait(profile.id, "IDENTITY_CHECK")
    batch = client.run_checks([CheckRequest(profile.id, "IDENTITY_CHECK"), CheckRequest(MISSING_PROFILE, "IDENTITY_CHECK")])

    check_html = check._repr_html_()
    assert check_html.startswith('<div class="passfort">') and "<table" in check_html
    assert check.id in check_html and "PASS" in check_html
    profile_html = client.get_profile(profile.id)._repr_html_()
    assert "&lt;b&gt;" in profile_html and "<b>Smith" not in profile_html, "values are escaped"
    assert client.get_task(profile.id, profile.tasks[0].id)._repr_html_().count("<tr>") >= 5
    batch_html = batch._repr_html_()
    assert "2 items, 1 failed" in batch_html and "NotFoundError" in batch_html and "PASS: 1" in batch_html

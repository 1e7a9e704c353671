"""The chaos suite, 100 calls from Python: exactly one check per call, none lost."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import passfort
from passfort.testing import Emulator

from conftest import person

PLAN = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "chaos-faults.json").read_text())


def test_a_hundred_checks_under_faults_none_doubled_none_lost() -> None:
    with Emulator(provider_latency=0.2) as emulator:
        client = emulator.async_client(timeout=2.0, max_retries=3)

        async def scenario() -> list:
            profiles = await asyncio.gather(*(client.create_profile("INDIVIDUAL_CUSTOMER", person()) for _ in range(100)))
            faulted = [p for i, p in enumerate(profiles) if i % 5 in PLAN["faulted_calls_mod_5"]]
            for nth, profile in enumerate(faulted):
                fault = dict(PLAN["faults"][nth % len(PLAN["faults"])])
                on = fault.pop("on")
                path = f"/4.0/profiles/{profile.id}/checks" + ("" if on == "post" else "/*")
                emulator.fault("POST" if on == "post" else "GET", path, fault.pop("action"),
                               times=fault.get("times", 1), status=fault.get("status"),
                               delay=fault["delay_ms"] / 1000 if "delay_ms" in fault else None, headers=fault.get("headers"))
            results = await asyncio.gather(
                *(client.run_check_and_wait(p.id, "IDENTITY_CHECK", mode="async", wait_timeout=90) for p in profiles),
                return_exceptions=True,
            )
            return list(zip(profiles, results))

        outcomes = asyncio.run(scenario())
        created = Counter(check["profile_id"] for check in emulator.checks())
        ids = {check["profile_id"]: check["id"] for check in emulator.checks()}
        faulted = sum(1 for r in emulator.requests() if r["fault"])
        print(f"python chaos: {len(emulator.requests())} requests, {faulted} faulted, {sum(created.values())} checks")
        assert sum(created.values()) == 100 and max(created.values()) == 1
        for profile, result in outcomes:
            assert isinstance(result, passfort.Check) and result.is_complete, (profile.id, result)
            assert result.id == ids[profile.id]

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

from passfort.testing import Emulator

API_KEY = "sk_py_test_5e1d9a"
WEBHOOK_SECRET = "whsec_py_test_0b7c"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key=API_KEY, webhook_secret=WEBHOOK_SECRET, provider_latency=0.01) as running:
        yield running


def person(family_name: str = "Smith") -> Dict[str, Any]:
    return {
        "entity_type": "INDIVIDUAL",
        "personal_details": {"name": {"given_names": ["Ada"], "family_name": family_name}, "dob": "1990-01-01"},
    }


def requests_to(emulator: Emulator, method: str, suffix: str) -> list:
    return [r for r in emulator.requests() if r["method"] == method and r["path"].endswith(suffix)]

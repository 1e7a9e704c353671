"""The README's flow examples run: every ```python block marked ``<!-- readme-example: NAME -->`` is
executed in a fresh interpreter against the emulator (``PASSFORT_API_KEY``/``PASSFORT_BASE_URL``),
and what it did is checked on the emulator's side. tests/node/readme.test.js runs the js blocks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from passfort.testing import Emulator

from conftest import API_KEY, requests_to

README = Path(__file__).resolve().parents[2] / "README.md"
MARKED = re.compile(r"<!-- readme-example: ([\w-]+) -->\n```(\w+)\n(.*?)\n```", re.S)


def examples(language: str) -> List[Tuple[str, str]]:
    return [(name, code) for name, lang, code in MARKED.findall(README.read_text()) if lang == language]


def test_every_flow_has_a_python_and_a_node_example() -> None:
    python, node = [name for name, _ in examples("python")], [name for name, _ in examples("js")]
    assert python == node == ["decide-application", "document-check", "update-collected-data", "gateway-timeout"]


def admin(emulator: Emulator, method: str, path: str, body: Dict[str, object]) -> None:
    request = urllib.request.Request(f"{emulator.url}/_emulator{path}", data=json.dumps(body).encode(), method=method)
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10):
        pass


@pytest.mark.parametrize(("name", "code"), examples("python"), ids=[name for name, _ in examples("python")])
def test_the_example_runs(emulator: Emulator, name: str, code: str) -> None:
    if name == "gateway-timeout":
        admin(emulator, "PUT", "/config", {"gateway_timeout_ms": 300, "provider_latency_ms": 1000, "sync_timeout_ms": 5000})
    env = {**os.environ, "PASSFORT_API_KEY": API_KEY, "PASSFORT_BASE_URL": emulator.base_url}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    if name == "decide-application":
        writes = [r for r in emulator.requests() if r["method"] == "POST" and "/applications/" in r["path"]]
        assert len(writes) == 1, "one status write"
    if name == "document-check":
        assert len(requests_to(emulator, "POST", "/document_images")) == 1
        assert [c["check_type"] for c in emulator.checks()] == ["DOCUMENT_VERIFICATION"]
    if name == "update-collected-data":
        assert [r["status"] for r in requests_to(emulator, "POST", "/collected_data")] == [200, 200]
    if name == "gateway-timeout":
        assert [r["status"] for r in requests_to(emulator, "POST", "/checks")] == [504], "the gateway answered, once"
        assert len(emulator.checks()) == 1

"""The Python package against the core: the error table covers exactly the
core's error codes, and each ``str`` enum of ``passfort._types`` holds exactly
the values the core's open enum knows (``KNOWN`` in core/src/models.rs)."""

from __future__ import annotations

import enum
import re
from pathlib import Path
from typing import Dict, List, Type

import pytest

import passfort
from passfort import _errors, _native, _types

MODELS_RS = Path(__file__).resolve().parents[2] / "core" / "src" / "models.rs"

#: The Python enum for each of the core's open enums that has one. (The core's
#: CheckResult and ErrorSource come back to Python as plain strings.)
ENUM_FOR_CORE: Dict[str, Type[enum.Enum]] = {
    "CheckType": _types.CheckType,
    "CheckState": _types.CheckState,
    "Decision": _types.Decision,
    "TaskState": _types.TaskState,
    "TaskType": _types.TaskType,
    "Role": _types.Role,
}


def test_class_by_code_covers_exactly_the_cores_error_codes() -> None:
    assert _native.ERROR_CODES
    assert set(_errors.CLASS_BY_CODE) == set(_native.ERROR_CODES)
    assert len(_native.ERROR_CODES) == len(set(_native.ERROR_CODES))


def test_every_error_class_is_exported_and_a_passfort_error() -> None:
    for code, cls in _errors.CLASS_BY_CODE.items():
        assert getattr(passfort, cls.__name__) is cls, code
        assert issubclass(cls, passfort.PassFortError), code


def test_every_str_enum_of_types_is_checked() -> None:
    in_module = {
        name
        for name, value in vars(_types).items()
        if isinstance(value, type) and issubclass(value, enum.Enum) and not name.startswith("_")
    }
    assert in_module == {cls.__name__ for cls in ENUM_FOR_CORE.values()}


def check_enums(known: Dict[str, List[str]], source: str) -> None:
    for core_name, cls in ENUM_FOR_CORE.items():
        assert core_name in known, f"{source} has no {core_name}"
        values = [member.value for member in cls]
        assert sorted(values) == sorted(known[core_name]), f"passfort.{cls.__name__} against {core_name} in {source}"
        # Member names are the values (so passfort.CheckType.IDENTITY_CHECK == "IDENTITY_CHECK").
        assert [member.name for member in cls] == values, cls.__name__


def test_str_enums_hold_exactly_the_cores_known_values_from_the_native_module() -> None:
    known = getattr(_native, "KNOWN_ENUMS", None)
    if known is None:
        pytest.skip(
            "passfort._native has no KNOWN_ENUMS: bindings-python/src/lib.rs does not export "
            "the core's open-enum KNOWN lists yet"
        )
    check_enums(known, "passfort._native.KNOWN_ENUMS")


def known_from_core_source(text: str) -> Dict[str, List[str]]:
    """The ``KNOWN`` values of each ``open_enum!`` in core/src/models.rs, read from the source."""
    known: Dict[str, List[str]] = {}
    for match in re.finditer(r"open_enum!\s*\{.*?pub enum (\w+)\s*\{(.*?)\}\s*\}", text, re.S):
        known[match.group(1)] = re.findall(r'=>\s*"([^"]*)"', match.group(2))
    return known


def test_str_enums_hold_exactly_the_cores_known_values_from_the_core_source() -> None:
    if not MODELS_RS.exists():
        pytest.skip("core/src/models.rs is not here (not a source checkout)")
    known = known_from_core_source(MODELS_RS.read_text(encoding="utf-8"))
    assert {"CheckType", "CheckState", "Decision", "TaskState", "TaskType", "Role"} <= set(known)
    check_enums(known, "core/src/models.rs")

"""The examples stay green: they run, they type-check strictly, and the notebook executes headless."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, List

import nbclient
import nbformat
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("script", ["quickstart.py", "blocking.py"])
def test_example_runs(script: str) -> None:
    done = subprocess.run([sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Error" not in done.stderr


def test_examples_pass_mypy_strict() -> None:
    mypy = pytest.importorskip("mypy.api")
    report, errors, status = mypy.run(["--strict", "--no-incremental", str(EXAMPLES)])
    assert status == 0, report + errors


def execute_notebook(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> List[Any]:
    """Runs a notebook headless in a fresh kernel; gives every output of its code cells."""
    # Nothing is written to the home directory.
    for variable in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    notebook = nbformat.read(EXAMPLES / name, as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"], [o for o in outputs if o.output_type == "error"]
    return outputs


def text_of(outputs: List[Any]) -> str:
    return "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)


def test_the_quickstart_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = text_of(execute_notebook("quickstart.ipynb", tmp_path, monkeypatch))
    assert "task completed COMPLETED_PASS" in text and "state='COMPLETE'" in text


def test_the_screening_notebook_counts_what_the_emulator_was_scripted_to_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = execute_notebook("screening.ipynb", tmp_path, monkeypatch)
    text = text_of(outputs)
    scripted = ast.literal_eval(re.search(r"scripted: (\{.*\})", text).group(1))  # type: ignore[union-attr]
    by_decision = ast.literal_eval(re.search(r"by decision: (\{.*\})", text).group(1))  # type: ignore[union-attr]
    by_result = ast.literal_eval(re.search(r"by result: (\{.*\})", text).group(1))  # type: ignore[union-attr]
    assert by_result == scripted, "each screen gave the result it was scripted to give"
    review = scripted["PEP"] + scripted["Sanction"] + scripted["Media"]
    assert by_decision == {"PASS": scripted["Pass"], "WARN": review, "ERROR": scripted["Error"]}
    assert f"{review} customers to review" in text
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "BatchResult: 200 items, 0 failed" in html, "the batch renders as a table"
    assert any("image/png" in o.get("data", {}) for o in outputs), "the plot is drawn"
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs), "the progress bar is drawn"
    assert re.search(r"re-screened 200 customers in [\d.]+ s", text)

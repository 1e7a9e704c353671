"""Runs schemathesis against the emulator and compares what it finds with the baseline.

Started by tests/schema/run.sh (which says how). Steps:
1. start the emulator binary on a free port (`listening on URL` is its first line);
2. run schemathesis over every operation of the published schema, every check on, a fixed seed, a
   bounded number of cases, writing an ndjson event log;
3. read the log: every failed check is matched against `baseline.json` (each entry a kind of
   difference we keep, with its reason); anything unmatched is new. Also new: an operation never
   tested, an operation answered as unimplemented (405, or the emulator's "No such endpoint" 404),
   and any error schemathesis met running a case;
4. print the figures (operations, cases, failures by kind, known and new) and exit 1 on anything new.
"""

from __future__ import annotations

import argparse
import base64
import collections
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCHEMA = ROOT / "tests" / "fixtures" / "passfort-openapi-4.0-2019.json"
BASELINE = HERE / "baseline.json"
# What schemathesis says of a "negative" case that its mutation left valid.
MISLABELLED_POSITIVE = "Invalid component: positive test case"
API_KEY = "schemathesis-key"
# One seed for every run: the same cases each time.
SEED = 20261122
# The emulator's answer to a path it does not serve (emulator/src/api.rs, the router's fallback).
UNIMPLEMENTED_MESSAGE = "No such endpoint"


def start_emulator(binary: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [binary, "--port", "0", "--api-key", API_KEY, "--provider-latency", "5ms"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("listening on "):
        process.kill()
        sys.exit(f"schema run: the emulator did not start ({binary}): {line!r}")
    return process, line.removeprefix("listening on ")


# A 1x1 PNG, for the seeded document image and file.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
# How often a path id is drawn from the seeded resources; the rest are generated (mostly unknown: 404).
SEEDED_ID_PROBABILITY = 0.7


def call(url: str, method: str, path: str, body: object | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/4.0{path}", data=data, method=method)
    request.add_header("apikey", API_KEY)
    request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def seed(url: str) -> dict[str, list[str]]:
    """Resources of every kind, so that generated cases can name ids that exist (schemathesis draws
    them with SEEDED_ID_PROBABILITY) and answers with real resources are checked against the schema."""
    ids: dict[str, list[str]] = collections.defaultdict(list)

    def individual(family_name: str) -> Any:
        data = {"entity_type": "INDIVIDUAL", "personal_details": {"name": {"given_names": ["Ada"], "family_name": family_name}}}
        return call(url, "POST", "/profiles", {"role": "INDIVIDUAL_CUSTOMER", "collected_data": data})

    def attempt(what: str, make: Callable[[], object]) -> None:
        # An emulator that lacks an operation (an older build, for figures) seeds what it can.
        try:
            make()
        except urllib.error.HTTPError as error:
            print(f"schema run: cannot seed {what}: HTTP {error.code}", file=sys.stderr)

    for family_name in ("Smith", "PEP"):
        profile = individual(family_name)
        pid = profile["id"]
        ids["profile_id"].append(pid)
        ids["task_id"] += [task["id"] for task in profile["tasks"]]
        task = profile["tasks"][0]["id"]
        steps: list[tuple[str, str, str, object | None, Callable[[Any], list[str]]]] = [
            ("application_id", "POST", "/applications", {"product": {"alias": "individual-account"}}, lambda a: [a["id"]]),
            ("check_id", "POST", "/checks?mode=sync", {"check_type": "IDENTITY_CHECK"}, lambda c: [c["id"]]),
            ("check_id", "POST", "/checks?mode=sync", {"check_type": "PEPS_AND_SANCTIONS_SCREEN"}, lambda c: [c["id"]]),
            ("document_image_id", "POST", "/document_images", {"data": PNG, "image_type": "FRONT"}, lambda i: [i["id"]]),
            ("file_id", "POST", "/files", {"data": PNG, "name": "scan.png"}, lambda f: [f["id"]]),
            ("tag_id", "POST", "/tags", {"name": "seeded"}, lambda t: [t["id"]]),
            ("note_id", "POST", f"/tasks/{task}/notes", {"text": "seeded"}, lambda n: [n["id"]]),
            ("event_id", "GET", "/events", None, lambda events: [event["id"] for event in events]),
        ]
        for name, method, path, body, found in steps:
            attempt(name, lambda: ids[name].extend(found(call(url, method, f"/profiles/{pid}{path}", body))))
    company = call(url, "POST", "/profiles", {"role": "COMPANY_CUSTOMER", "collected_data": {"entity_type": "COMPANY", "metadata": {"name": "Acme"}}})
    ids["profile_id"].append(company["id"])
    ids["task_id"] += [task["id"] for task in company["tasks"]]
    return ids


def config_file(ids: dict[str, list[str]]) -> Path:
    """schemathesis.toml with the seeded ids as dictionaries bound to the path parameters."""
    ids = {name: values for name, values in ids.items() if values}
    lines = [(HERE / "schemathesis.toml").read_text(encoding="utf-8"), "", "# Seeded by run.py."]
    for name in sorted(ids):
        lines.append(f"[dictionaries.{name}]")
        lines.append(f"values = {json.dumps(sorted(set(ids[name])))}")
    lines.append("[parameters]")
    for name in sorted(ids):
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = {SEEDED_ID_PROBABILITY} }}')
    path = Path(tempfile.mkdtemp(prefix="schema-config-")) / "schemathesis.toml"
    # Top-level tables must come before [[operations]]; TOML allows them in any order, so just append.
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_schemathesis(url: str, report: Path, max_examples: int, workers: int, extra: list[str], config: Path) -> int:
    venv_bin = Path(sys.executable).parent
    command = [
        str(venv_bin / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        str(SCHEMA),
        "--url",
        f"{url}/4.0",
        "--header",
        f"apikey: {API_KEY}",
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(max_examples),
        # Every case runs, so that the figures count every failure, not the first of each operation.
        "--continue-on-failure",
        "--workers",
        str(workers),
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        *extra,
    ]
    print("schema run:", " ".join(command[0:1] + command[3:]), flush=True)
    if os.environ.get("SCHEMA_RUN_VERBOSE"):
        return subprocess.call(command, stdout=sys.stderr)
    finished = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if not report.exists():
        # No event log: schemathesis could not run at all (a configuration or schema error).
        print(finished.stdout[-4000:], file=sys.stderr)
    return finished.returncode


def status_of(interaction: dict[str, Any] | None) -> int | None:
    response = (interaction or {}).get("response") or {}
    return response.get("status_code")


def body_of(interaction: dict[str, Any] | None) -> str:
    response = (interaction or {}).get("response") or {}
    content = response.get("content") or {}
    try:
        return base64.b64decode(content.get("$base64", "")).decode("utf-8", "replace")
    except ValueError:
        return ""


def read_report(report: Path) -> dict[str, Any]:
    """The figures of a run, from schemathesis's ndjson event log."""
    operations: set[str] = set()
    cases: set[str] = set()
    failures: dict[tuple[Any, ...], dict[str, Any]] = {}
    counts: collections.Counter[tuple[Any, ...]] = collections.Counter()
    statuses: dict[str, collections.Counter[int | None]] = collections.defaultdict(collections.Counter)
    unimplemented: dict[str, set[int]] = collections.defaultdict(set)
    errors: list[tuple[str, str, str]] = []
    documented = all_operations()
    with report.open(encoding="utf-8") as events:
        for line in events:
            event = json.loads(line)
            kind, value = next(iter(event.items()))
            if kind == "NonFatalError":
                error = value.get("value") or {}
                errors.append((value.get("label") or "", error.get("type") or "", error.get("message") or ""))
            if kind != "ScenarioFinished":
                continue
            recorder = value.get("recorder") or {}
            label = recorder.get("label")
            if not label:
                continue
            interactions = recorder.get("interactions") or {}
            for case_id, case in (recorder.get("cases") or {}).items():
                interaction = interactions.get(case_id)
                if interaction is None or not case.get("value"):
                    continue
                cases.add(case_id)
                # A label names the documented operation; a case may send another method on purpose
                # (the unsupported_method check), which a 405 then answers rightly.
                operation = " ".join([case["value"]["method"], case["value"]["path"]])
                if operation not in documented:
                    continue
                operations.add(operation)
                status = status_of(interaction)
                statuses[operation][status] += 1
                if status == 405 or (status == 404 and UNIMPLEMENTED_MESSAGE in body_of(interaction)):
                    unimplemented[operation].add(status)
            for case_id, checks in (recorder.get("checks") or {}).items():
                for check in checks:
                    if check.get("status") != "failure":
                        continue
                    failure = (check.get("failure_info") or {}).get("failure") or {}
                    status = status_of(interactions.get(case_id))
                    kind = failure.get("type")
                    if check["name"] == "negative_data_rejection" and MISLABELLED_POSITIVE in (failure.get("message") or ""):
                        # schemathesis's own finding: the case it meant as invalid is valid,
                        # so accepting it is right; kept apart from real invalid data accepted.
                        kind = "MislabelledPositiveCase"
                    key = (failure.get("operation") or label, check["name"], kind, status)
                    counts[key] += 1
                    failures.setdefault(key, {"message": failure.get("message", ""), "case": case_id})
    return {
        "operations": operations,
        "cases": cases,
        "failures": failures,
        "counts": counts,
        "statuses": statuses,
        "unimplemented": unimplemented,
        "errors": errors,
    }


def load_baseline() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    document = json.loads(BASELINE.read_text(encoding="utf-8"))
    entries, errors = document["entries"], document.get("errors", [])
    for entry in entries:
        missing = [field for field in ("check", "failure", "reason") if not entry.get(field)]
        if missing:
            sys.exit(f"schema run: baseline entry {entry} lacks {', '.join(missing)}")
        entry["_operations"] = re.compile(entry.get("operations", ".*"))
    for entry in errors:
        if not entry.get("error") or not entry.get("reason"):
            sys.exit(f"schema run: baseline error entry {entry} lacks error or reason")
        entry["_operations"] = re.compile(entry.get("operations", ".*"))
    return entries, errors


def known(key: tuple[Any, ...], baseline: list[dict[str, Any]]) -> dict[str, Any] | None:
    operation, check, failure, status = key
    for entry in baseline:
        if entry["check"] != check or entry["failure"] != failure:
            continue
        if "statuses" in entry and status not in entry["statuses"]:
            continue
        if entry["_operations"].fullmatch(operation):
            return entry
    return None


def all_operations() -> set[str]:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    methods = {"get", "put", "post", "delete", "patch", "head", "options"}
    return {f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item if method in methods}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emulator", required=True, help="the passfort-emulator binary")
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("SCHEMA_MAX_EXAMPLES", "25")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("SCHEMA_WORKERS", "1")))
    parser.add_argument("--report", help="keep schemathesis's ndjson log here")
    parser.add_argument("--report-only", help="compare an existing ndjson log; start nothing")
    parser.add_argument("--json", help="write the figures here as JSON")
    parser.add_argument("extra", nargs="*", help="more schemathesis run arguments (after --)")
    args = parser.parse_args()

    if args.report_only:
        report = Path(args.report_only)
        elapsed = 0.0
    else:
        report = Path(args.report) if args.report else Path(tempfile.mkdtemp(prefix="schema-run-")) / "events.ndjson"
        process, url = start_emulator(args.emulator)
        started = time.monotonic()
        try:
            config = config_file(seed(url))
            run_schemathesis(url, report, args.max_examples, args.workers, args.extra, config)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        elapsed = time.monotonic() - started

    if not report.exists():
        sys.exit("schema run: schemathesis wrote no event log (its output is above)")
    figures = read_report(report)
    baseline, known_errors = load_baseline()
    new: list[str] = []
    by_kind: collections.Counter[str] = collections.Counter()
    used: set[int] = set()
    for key, count in sorted(figures["counts"].items(), key=lambda item: tuple(map(str, item[0]))):
        operation, check, failure, status = key
        by_kind[f"{check} / {failure}"] += count
        entry = known(key, baseline)
        if entry is not None:
            used.add(id(entry))
            continue
        details = figures["failures"][key]
        message = " ".join(details["message"].split())[:300]
        new.append(f"{operation}: {check} {failure} (status {status}, {count}x, case {details['case']}): {message}")
    for operation, statuses in sorted(figures["unimplemented"].items()):
        new.append(f"{operation}: answered as unimplemented ({', '.join(map(str, sorted(statuses)))})")
    untested = sorted(all_operations() - figures["operations"])
    for operation in untested:
        new.append(f"{operation}: never tested")
    for operation, kind, message in figures["errors"]:
        if any(entry["error"] == kind and entry["_operations"].fullmatch(operation) for entry in known_errors):
            print(f"schema run: known schemathesis error (baseline): {operation}: {kind}")
            continue
        new.append(f"schemathesis error: {operation}: {kind}: {message}")

    total_failures = sum(figures["counts"].values())
    answered_ok = sum(1 for counts in figures["statuses"].values() if any(200 <= (status or 0) < 300 for status in counts))
    print(f"schema run: {len(figures['operations'])} operations ({answered_ok} answered 2xx at least once), "
          f"{len(figures['cases'])} cases, {elapsed:.0f} s")
    print(f"schema run: {total_failures} failed checks, by kind:")
    for kind, count in sorted(by_kind.items()):
        print(f"  {count:6d}  {kind}")
    server_errors = sum(count for key, count in figures["counts"].items() if key[1] == "not_a_server_error")
    schema_violations = sum(count for key, count in figures["counts"].items() if key[1] == "response_schema_conformance")
    print(f"schema run: server errors {server_errors}, schema violations {schema_violations}, "
          f"unimplemented operations {len(figures['unimplemented'])}")
    unused = [entry for entry in baseline if id(entry) not in used]
    for entry in unused:
        print(f"schema run: baseline entry not met this run (fine, or prune it): {entry['check']} {entry['failure']} "
              f"{entry.get('statuses', '')} {entry.get('operations', '.*')}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "operations": len(figures["operations"]),
            "operations_answered_2xx": answered_ok,
            "cases": len(figures["cases"]),
            "failed_checks": total_failures,
            "by_kind": by_kind,
            "server_errors": server_errors,
            "schema_violations": schema_violations,
            "unimplemented": sorted(figures["unimplemented"]),
            "new": new,
        }, indent=2) + "\n")
    if new:
        print(f"schema run: {len(new)} new difference(s), not in tests/schema/baseline.json:")
        for line in new:
            print("  " + line)
        return 1
    print("schema run: nothing new beyond the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())

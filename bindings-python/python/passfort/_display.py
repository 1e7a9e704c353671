"""How resources and batch results look in a notebook: compact HTML tables
(``_repr_html_``) and pandas DataFrames (``passfort.to_dataframe``). Nothing
here is imported until a notebook asks for it, so ``import passfort`` stays fast."""

from __future__ import annotations

import html
from collections import Counter
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from ._batch import BatchItem, BatchResult, CheckRequest
from ._native import Check, Profile, Task, VerifyOutcome

# How many rows a batch's HTML table shows before it only counts the rest.
HTML_ROWS = 20

Column = Tuple[str, Callable[[Any], Any], str]  # name, value getter, pandas dtype

CHECK_COLUMNS: List[Column] = [
    ("check_id", lambda c: c.id, "string"),
    ("check_type", lambda c: c.check_type, "category"),
    ("state", lambda c: c.state, "category"),
    ("result", lambda c: c.result, "category"),
    ("decision", lambda c: c.decision, "category"),
    ("task_ids", lambda c: ", ".join(c.task_ids), "string"),
    ("variant", lambda c: c.variant.alias or c.variant.name if c.variant else None, "string"),
    ("instructed_on", lambda c: c.instructed_on, "datetime64[ns, UTC]"),
    ("completed_on", lambda c: c.completed_on, "datetime64[ns, UTC]"),
]
TASK_COLUMNS: List[Column] = [
    ("task_id", lambda t: t.id, "string"),
    ("task_type", lambda t: t.type, "category"),
    ("state", lambda t: t.state, "category"),
    ("checks", lambda t: len(t.check_ids), "Int64"),
    ("is_expired", lambda t: t.is_expired, "boolean"),
    ("creation_date", lambda t: t.creation_date, "datetime64[ns, UTC]"),
]
PROFILE_COLUMNS: List[Column] = [
    ("profile_id", lambda p: p.id, "string"),
    ("role", lambda p: p.role, "category"),
    ("display_name", lambda p: p.display_name, "string"),
    ("customer_ref", lambda p: p.customer_ref, "string"),
    ("checks", lambda p: len(p.checks), "Int64"),
    ("tasks", lambda p: len(p.tasks), "Int64"),
    ("creation_date", lambda p: p.creation_date, "datetime64[ns, UTC]"),
]
OUTCOME_COLUMNS: List[Column] = [
    ("stop", lambda o: o.stop, "category"),
    ("checks_run", lambda o: len(o.checks), "Int64"),
    ("decision", lambda o: o.checks[-1].decision if o.checks else None, "category"),
    ("task_state", lambda o: o.task.state if o.task is not None else None, "category"),
    ("reason", lambda o: o.reason, "string"),
]
CHECK_REQUEST_COLUMNS: List[Column] = [
    ("profile_id", lambda r: r.profile_id, "string"),
    ("requested", lambda r: r.check_type, "category"),
]
TASK_REQUEST_COLUMNS: List[Column] = [
    ("profile_id", lambda r: r.profile_id, "string"),
    ("task_id", lambda r: r.task_id, "string"),
    ("requested", lambda r: r.check_type, "category"),
]
ERROR_COLUMNS: List[Column] = [
    ("ok", lambda item: item.ok, "boolean"),
    ("error", lambda item: type(item.error).__name__ if item.error is not None else None, "category"),
    ("error_message", lambda item: str(item.error) if item.error is not None else None, "string"),
]

RESOURCE_COLUMNS = {Check: CHECK_COLUMNS, Task: TASK_COLUMNS, Profile: PROFILE_COLUMNS, VerifyOutcome: OUTCOME_COLUMNS}


def _plain(value: Any) -> Any:
    """An enum member as its string value; anything else as it is."""
    return value.value if hasattr(value, "value") and isinstance(getattr(value, "value"), str) else value


def _columns_of(items: Sequence[Any]) -> Tuple[List[Column], Callable[[Any], List[Any]]]:
    """The columns for a list of one kind of thing, and how to get a row's values."""
    first = items[0]
    if isinstance(first, BatchItem):
        request_columns = CHECK_REQUEST_COLUMNS if isinstance(first.request, CheckRequest) else TASK_REQUEST_COLUMNS
        result_kind = next((type(i.result) for i in items if i.result is not None), Check)
        result_columns = RESOURCE_COLUMNS[result_kind]

        def batch_row(item: BatchItem[Any]) -> List[Any]:
            values = [get(item.request) for _, get, _ in request_columns]
            values += [get(item) for _, get, _ in ERROR_COLUMNS]
            values += [get(item.result) if item.result is not None else None for _, get, _ in result_columns]
            return values

        return request_columns + ERROR_COLUMNS + result_columns, batch_row
    for kind, columns in RESOURCE_COLUMNS.items():
        if isinstance(first, kind):
            return columns, lambda resource: [get(resource) for _, get, _ in columns]
    raise TypeError(f"to_dataframe takes Checks, Tasks, Profiles, VerifyOutcomes or a batch result, not {type(first).__name__}")


def to_dataframe(items: Iterable[Any]) -> Any:
    """A pandas DataFrame with one row per check, task, profile, verify outcome
    or batch item, and typed columns: categories for PassFort's enums, UTC
    datetimes, nullable integers and booleans. Needs ``passfort[pandas]``."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError('to_dataframe needs pandas: pip install "passfort[pandas]"') from None
    rows = list(items)
    if not rows:
        return pd.DataFrame()
    kinds = {type(row) for row in rows}
    if len(kinds) > 1:
        raise TypeError(f"to_dataframe takes one kind of item at a time, not {sorted(k.__name__ for k in kinds)}")
    columns, row_of = _columns_of(rows)
    table = [[_plain(value) for value in row_of(row)] for row in rows]
    frame = pd.DataFrame(table, columns=[name for name, _, _ in columns])
    for name, _, dtype in columns:
        if dtype.startswith("datetime"):
            frame[name] = pd.to_datetime(frame[name], utc=True)
        else:
            frame[name] = frame[name].astype(dtype)
    return frame


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return '<span style="opacity:.5">—</span>'
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return html.escape(str(value))


def _table(title: str, header: Optional[List[str]], rows: List[List[Any]], footer: str = "") -> str:
    parts = ['<div class="passfort">', f"<strong>{html.escape(title)}</strong>", '<table style="font-size:smaller">']
    if header:
        parts.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead>")
    parts.append("<tbody>")
    for row in rows:
        parts.append("<tr>" + "".join(f"<td>{_cell(value)}</td>" for value in row) + "</tr>")
    parts.append("</tbody></table>")
    if footer:
        parts.append(f"<small>{html.escape(footer)}</small>")
    parts.append("</div>")
    return "".join(parts)


def resource_html(resource: Any) -> str:
    """A check, task, profile or verify outcome as a two-column table of its fields."""
    columns, row_of = _columns_of([resource])
    pairs = [[name, value] for (name, _, _), value in zip(columns, row_of(resource))]
    return _table(type(resource).__name__, None, pairs)


def batch_html(batch: BatchResult[Any]) -> str:
    """A batch as a table of its first rows, with counts by outcome."""
    if len(batch) == 0:
        return _table("BatchResult: empty", None, [])
    columns, row_of = _columns_of(list(batch))
    wanted = [index for index, (name, _, _) in enumerate(columns) if name not in ("error_message", "instructed_on", "task_ids")]
    rows = [[row_of(item)[index] for index in wanted] for item in batch[:HTML_ROWS]]
    counts: Dict[str, int] = Counter(
        str(_plain(_outcome_label(item))) for item in batch
    )
    summary = ", ".join(f"{label}: {count}" for label, count in sorted(counts.items()))
    more = f"{len(batch) - HTML_ROWS} more rows not shown. " if len(batch) > HTML_ROWS else ""
    title = f"BatchResult: {len(batch)} items, {len(batch.errors)} failed"
    return _table(title, [columns[index][0] for index in wanted], rows, f"{more}By outcome: {summary}")


def _outcome_label(item: BatchItem[Any]) -> Any:
    if item.error is not None:
        return type(item.error).__name__
    if isinstance(item.result, VerifyOutcome):
        return item.result.stop
    return item.result.decision if item.result is not None else None

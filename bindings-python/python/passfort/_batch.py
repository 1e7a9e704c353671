"""Batch runs, as Python sees them: the requests, the per-item results, and
progress reporting. The running itself (concurrency, order, rate limits,
cancellation) is the Rust core's. (No dataclasses: importing them would add
10 ms to ``import passfort``.)"""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Generic,
    Iterable,
    Iterator,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
    overload,
)

if TYPE_CHECKING:  # asyncio is imported by whoever runs a loop; importing it here would slow `import passfort`
    import asyncio

T = TypeVar("T")


class CheckRequest(NamedTuple):
    """One check of a batch: run ``check_type`` on ``profile_id``."""

    profile_id: str
    check_type: str
    task_ids: Optional[Sequence[str]] = None
    variant_alias: Optional[str] = None
    variant_id: Optional[str] = None
    #: Type-specific fields, e.g. ``{"document_id": ...}`` for DOCUMENT_VERIFICATION.
    fields: Optional[Mapping[str, Any]] = None
    #: Your reference for the check, kept in a fleet's ledger (never sent to PassFort).
    tag: Optional[str] = None

    def _native(self) -> Tuple[Any, ...]:
        return (self.profile_id, str(self.check_type), self.task_ids, self.variant_alias, self.variant_id, self.fields, self.tag)


class TaskRequest(NamedTuple):
    """One task of a batch of verifications: ``check_type`` serves ``task_id``."""

    profile_id: str
    task_id: str
    check_type: str
    variant_alias: Optional[str] = None
    variant_id: Optional[str] = None
    fields: Optional[Mapping[str, Any]] = None

    def _native(self) -> Tuple[Any, ...]:
        return (self.profile_id, self.task_id, str(self.check_type), self.variant_alias, self.variant_id, self.fields)


CheckRequestLike = Union[CheckRequest, Tuple[str, str], Mapping[str, Any]]
TaskRequestLike = Union[TaskRequest, Tuple[str, str, str], Mapping[str, Any]]


def _coerce(kind: type, given: Iterable[Any]) -> List[Any]:
    """Accepts the request objects, tuples of their leading fields, or dicts."""
    requests = []
    for index, item in enumerate(given):
        if isinstance(item, kind):
            requests.append(item)
        elif isinstance(item, tuple):
            requests.append(kind(*item))
        elif isinstance(item, Mapping):
            requests.append(kind(**item))
        else:
            raise TypeError(f"request {index}: expected {kind.__name__}, a tuple or a dict, not {type(item).__name__}")
    return requests


def check_requests(given: Iterable[CheckRequestLike]) -> List[CheckRequest]:
    return _coerce(CheckRequest, given)


def task_requests(given: Iterable[TaskRequestLike]) -> List[TaskRequest]:
    return _coerce(TaskRequest, given)


class Progress(NamedTuple):
    """Where a batch is: items finished (with a result or an error) of ``total``."""

    done: int
    total: int
    failed: int


class BatchItem(Generic[T]):
    """One item of a batch: its request, and its result or its error (a
    ``PassFortError``, or ``ValueError`` for an item's bad input)."""

    __slots__ = ("request", "result", "error")

    def __init__(self, request: Union[CheckRequest, TaskRequest], result: Optional[T], error: Optional[Exception]):
        self.request = request
        self.result = result
        self.error = error

    @property
    def ok(self) -> bool:
        return self.error is None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BatchItem):
            return NotImplemented
        return (self.request, self.result, self.error) == (other.request, other.result, other.error)

    def __repr__(self) -> str:
        outcome = f"result={self.result!r}" if self.error is None else f"error={self.error!r}"
        return f"BatchItem(request={self.request!r}, {outcome})"


class BatchResult(Sequence[BatchItem[T]]):
    """The items of a batch in input order. ``results`` and ``errors`` split them;
    ``passfort.to_dataframe(batch)`` tabulates them; Jupyter shows a summary table."""

    def __init__(self, items: List[BatchItem[T]]) -> None:
        self._items = items

    @overload
    def __getitem__(self, index: int) -> BatchItem[T]: ...

    @overload
    def __getitem__(self, index: slice) -> "BatchResult[T]": ...

    def __getitem__(self, index: Union[int, slice]) -> Union[BatchItem[T], "BatchResult[T]"]:
        if isinstance(index, slice):
            return BatchResult(self._items[index])
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[BatchItem[T]]:
        return iter(self._items)

    @property
    def results(self) -> List[T]:
        """The results of the items that succeeded, in input order."""
        return [item.result for item in self._items if item.result is not None]

    @property
    def errors(self) -> List[BatchItem[T]]:
        """The items that failed, each with its request and error."""
        return [item for item in self._items if item.error is not None]

    def __repr__(self) -> str:
        return f"BatchResult({len(self)} items, {len(self) - len(self.errors)} ok, {len(self.errors)} failed)"

    def _repr_html_(self) -> str:
        from ._display import batch_html

        return batch_html(self)


ProgressArg = Union[None, bool, Callable[[Progress], Any]]
# What the core calls after each item; what it returns is ignored.
NativeProgress = Callable[[int, int, int], object]


class ProgressReporter:
    """Turns ``progress=`` into the callable the core calls after each item:
    a tqdm bar for ``True``, the user's callable otherwise. With ``loop``, the
    call is moved onto that event loop's thread. ``with`` gives the callable
    (or None) and closes the bar at the end."""

    def __init__(self, progress: ProgressArg, total: int, unit: str, loop: Optional["asyncio.AbstractEventLoop"] = None):
        self._bar: Any = None
        self._report: Optional[Callable[[Progress], Any]] = None
        if progress is True:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                raise ImportError('progress=True needs tqdm: pip install "passfort[notebook]"') from None
            self._bar = tqdm(total=total, unit=unit)
            self._report = self._update_bar
        elif callable(progress):
            self._report = progress
        elif progress not in (None, False):
            raise TypeError(f"progress is True, False, None or a callable, not {type(progress).__name__}")
        self._loop = loop

    def _update_bar(self, progress: Progress) -> None:
        self._bar.update(progress.done - self._bar.n)
        if progress.failed:
            self._bar.set_postfix(failed=progress.failed, refresh=False)

    def _call(self, done: int, total: int, failed: int) -> None:
        assert self._report is not None
        self._report(Progress(done, total, failed))

    @property
    def native(self) -> Optional[NativeProgress]:
        if self._report is None:
            return None
        if self._loop is None:
            return self._call
        loop = self._loop
        return lambda done, total, failed: loop.call_soon_threadsafe(self._call, done, total, failed)

    def __enter__(self) -> Optional[NativeProgress]:
        return self.native

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()


def batch_result(requests: Sequence[Any], outcomes: List[Any]) -> BatchResult[Any]:
    """Pairs each request with what the core gave back for it: a result, or an exception."""
    return BatchResult([
        BatchItem(request, None, outcome) if isinstance(outcome, Exception) else BatchItem(request, outcome, None)
        for request, outcome in zip(requests, outcomes)
    ])

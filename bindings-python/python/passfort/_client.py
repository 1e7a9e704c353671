"""The two clients. ``AsyncClient`` awaits, ``Client`` blocks (releasing the
GIL, honouring Ctrl-C, and working inside a running event loop such as a
Jupyter cell). Both call the same native methods; everything they do is in
the Rust core."""

from __future__ import annotations

import os
import platform
from types import TracebackType
from typing import Any, AsyncIterator, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Type, Union

from ._batch import (
    BatchResult,
    CheckRequestLike,
    ProgressArg,
    ProgressReporter,
    TaskRequestLike,
    batch_result,
    check_requests,
    task_requests,
)

from ._native import ApplicationDecision, Check, NativeClient, NativeListener, Profile, RecoveredCheck, Response, Task, UpdatedCollectedData, VerifyOutcome, WebhookEvent
from ._native import verify_webhook as _verify_webhook
from ._operations import AsyncOperations, Operations, QueryArg
from ._types import CheckMode, TaskOutcome, TaskState, WhoAmI

Body = Union[bytes, bytearray, memoryview, str]
ImageBytes = Union[bytes, bytearray, memoryview]
Headers = Union[Mapping[str, str], Sequence[Tuple[str, str]]]
#: A JSON Merge Patch (a dict) or a JSON Patch (a list of operations).
ChangeArg = Union[Mapping[str, Any], Sequence[Mapping[str, Any]]]

_BINDING = f"python/{platform.python_version()}"


def _body_bytes(body: Body) -> bytes:
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    raise TypeError(f"a webhook body is bytes or str, not {type(body).__name__}")


def _header_value(value: object) -> bytes:
    if isinstance(value, str):
        return value.encode("latin-1", errors="replace")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    # Not bytes(value): bytes(10**11) would allocate 100 GB.
    raise TypeError(f"a header value is str or bytes, not {type(value).__name__}")


def _header_pairs(headers: Headers) -> List[Tuple[str, bytes]]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(name), _header_value(value)) for name, value in pairs]


def verify_webhook(body: Body, headers: Headers, secret: str) -> List[WebhookEvent]:
    """Checks a webhook delivery's secret (header and body) and parses its
    events, dispatching nothing. Raises ``WebhookVerificationError``."""
    return _verify_webhook(_body_bytes(body), _header_pairs(headers), secret)


def _wait_timeout(wait_timeout: Optional[float], timeout: Optional[float]) -> Optional[float]:
    """A wait's deadline. ``timeout`` was its name before 0.2: it still works,
    with a DeprecationWarning, as the client's ``timeout`` is per request."""
    if timeout is None:
        return wait_timeout
    if wait_timeout is not None:
        raise TypeError("give wait_timeout only (timeout is its old name)")
    import warnings

    warnings.warn("timeout= on a wait is now wait_timeout=", DeprecationWarning, stacklevel=3)
    return timeout


def _running_loop() -> Any:
    import asyncio  # only async code gets here, and it has asyncio loaded already

    return asyncio.get_running_loop()


class WebhookServer:
    """The built-in webhook listener; ``url`` is what to give PassFort."""

    def __init__(self, native: NativeListener) -> None:
        self._native = native

    @property
    def url(self) -> str:
        return self._native.url

    def close(self) -> None:
        self._native.close()

    def __enter__(self) -> "WebhookServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"WebhookServer(url={self.url!r})"


class Webhooks:
    """Receives PassFort's webhooks for a client and wakes its waiters."""

    def __init__(self, native: NativeClient) -> None:
        self._native = native
        self._servers: List[WebhookServer] = []

    def close_all(self) -> None:
        """Closes every listener started with ``serve``."""
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()

    def handle(self, body: Body, headers: Headers, *, acknowledge: bool = True) -> List[WebhookEvent]:
        """Verifies a delivery, drops events already seen, wakes every waiter
        of a completed check, and returns the new events. Quick, so it drops
        into a Flask or Django view (in asyncio code, ``await handle_async``).
        In a fleet (``redis_url``) an event is returned by one worker only,
        however often PassFort retries it and whichever worker receives it,
        and waiters on every worker are woken. With ``acknowledge=False`` the
        events are not marked seen until ``acknowledge(ids)``: if your handler
        fails, answer an error and PassFort's retry delivers them again."""
        return self._native.handle_webhook(_body_bytes(body), _header_pairs(headers), acknowledge, blocking=True)

    async def handle_async(self, body: Body, headers: Headers, *, acknowledge: bool = True) -> List[WebhookEvent]:
        """``handle`` for asyncio code (FastAPI, Starlette, aiohttp)."""
        return await self._native.handle_webhook(_body_bytes(body), _header_pairs(headers), acknowledge, blocking=False)

    def acknowledge(self, event_ids: Iterable[str]) -> None:
        """Marks events handled (see ``handle(..., acknowledge=False)``), fleet-wide in a fleet."""
        self._native.acknowledge_webhooks(list(event_ids), blocking=True)

    async def acknowledge_async(self, event_ids: Iterable[str]) -> None:
        """``acknowledge`` for asyncio code."""
        await self._native.acknowledge_webhooks(list(event_ids), blocking=False)

    def serve(self, host: Optional[str] = None, port: Optional[int] = None, path: Optional[str] = None) -> WebhookServer:
        """Runs the built-in listener: 200 once verified, 401 for a bad secret, 400 for a malformed body."""
        server = WebhookServer(self._native.serve_webhooks(host, port, path))
        self._servers.append(server)
        return server


class _ClientBase:
    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        sync_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        max_retry_wait: Optional[float] = None,
        webhook_secret: Optional[str] = None,
        max_connections: Optional[int] = None,
        allow_insecure_http: Optional[bool] = None,
        include_body_snippets: Optional[bool] = None,
        webhook_tolerance: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[Union[str, os.PathLike[str]]] = None,
        redis_url: Optional[str] = None,
        fleet_lease: Optional[float] = None,
        rate_budget_per_hour: Optional[float] = None,
        rate_budget_burst: Optional[float] = None,
    ) -> None:
        """Every setting left as ``None`` takes the core's default: timeout 30 s,
        connect_timeout 10 s, sync_timeout 150 s, max_retries 2,
        max_retry_wait 60 s, max_connections 256, webhook_tolerance 300 s (how
        far a webhook's timestamp may be from now). A plain ``http://`` base URL
        is refused for hosts other than loopback unless ``allow_insecure_http``.

        ``proxy`` (an ``http://`` or ``https://`` URL, ``user:password@``
        allowed) is used for every request instead of the environment's
        ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``, which are honoured
        otherwise. ``ca_bundle`` is a PEM file of root certificates trusted on
        top of the system's trust store (a corporate CA, say).

        ``redis_url`` (or ``PASSFORT_REDIS_URL``) makes this client a worker of
        a fleet sharing that Redis: webhooks handled by any worker wake waiters
        on all, an event is acted on once fleet-wide, the rate budget
        (``rate_budget_per_hour``/``rate_budget_burst``, PassFort's 10,000 an
        hour by default) is shared, and the checks a worker waits for are kept
        in a ledger with a lease (``fleet_lease`` seconds, default 30) from
        which ``recover()`` takes over the checks of a worker that died. Make
        the client in each worker process, after the fork (gunicorn
        ``post_fork``, Celery ``worker_process_init``, or lazily on first use)."""
        self._native = NativeClient(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            connect_timeout=connect_timeout,
            sync_timeout=sync_timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            webhook_secret=webhook_secret,
            max_connections=max_connections,
            allow_insecure_http=allow_insecure_http,
            include_body_snippets=include_body_snippets,
            webhook_tolerance=webhook_tolerance,
            proxy=proxy,
            ca_bundle=ca_bundle,
            redis_url=redis_url,
            fleet_lease=fleet_lease,
            rate_budget_per_hour=rate_budget_per_hour,
            rate_budget_burst=rate_budget_burst,
            binding=_BINDING,
        )
        self.webhooks = Webhooks(self._native)
        self._install_operations(self._native)

    def _install_operations(self, native: NativeClient) -> None:
        """The resource namespaces (``client.applications``, ...), generated from the core's table."""

    @property
    def base_url(self) -> str:
        return self._native.base_url

    @property
    def worker_id(self) -> Optional[str]:
        """This worker's id in the fleet (host, process, random), ``None`` without a fleet."""
        return self._native.worker_id

    @property
    def in_fleet(self) -> bool:
        """Whether this client is a worker of a fleet (a Redis URL was given)."""
        return self._native.in_fleet

    @property
    def fleet_subscribed(self) -> bool:
        """Whether this worker hears the fleet's webhooks now: false without a
        fleet and while Redis is unreachable (its waiters then poll)."""
        return self._native.fleet_subscribed

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class AsyncClient(AsyncOperations, _ClientBase):
    """The PassFort API for asyncio code. ``async with`` closes it.

    Every operation is under its resource (``await client.applications.create(profile_id, body)``);
    ``client.with_raw_response.<resource>.<method>(...)`` answers the :class:`Response`."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[QueryArg] = None,
        json: Any = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Headers] = None,
    ) -> Response:
        """Any request, ``path`` relative to the base URL, ``json`` its body (None: none), with
        the client's authentication, retries and errors; answers the :class:`Response`."""
        return await self._native.request(
            method, path, query, json, timeout, max_retries, extra_headers, blocking=False
        )

    async def whoami(self) -> WhoAmI:
        return await self._native.whoami(False)

    async def create_profile(self, role: str, collected_data: Optional[Mapping[str, Any]] = None) -> Profile:
        return await self._native.create_profile(role, collected_data, False)

    async def get_profile(self, profile_id: str) -> Profile:
        return await self._native.get_profile(profile_id, False)

    def list_profiles(self, query: Optional[str] = None, *, page_size: Optional[int] = None) -> AsyncIterator[Profile]:
        """Every profile matching ``query``, fetching pages as you iterate."""
        return self._native.list_profiles(query, page_size)

    async def run_check(
        self,
        profile_id: str,
        check_type: str,
        *,
        task_ids: Optional[Sequence[str]] = None,
        variant_alias: Optional[str] = None,
        variant_id: Optional[str] = None,
        fields: Optional[Mapping[str, Any]] = None,
        mode: Optional[CheckMode] = None,
        tag: Optional[str] = None,
    ) -> Check:
        """``tag``: your reference for the check, kept in the fleet's ledger (never sent to PassFort)."""
        return await self._native.run_check(
            profile_id, check_type, task_ids, variant_alias, variant_id, fields, mode, tag, blocking=False
        )

    async def get_check(self, profile_id: str, check_id: str) -> Check:
        return await self._native.get_check(profile_id, check_id, False)

    async def list_checks(self, profile_id: str) -> List[Check]:
        return await self._native.list_checks(profile_id, False)

    async def wait_for_check(
        self, profile_id: str, check_id: str, *, wait_timeout: Optional[float] = None, poll_interval: Optional[float] = None, timeout: Optional[float] = None
    ) -> Check:
        return await self._native.wait_for_check(profile_id, check_id, _wait_timeout(wait_timeout, timeout), poll_interval, blocking=False)

    async def run_check_and_wait(
        self,
        profile_id: str,
        check_type: str,
        *,
        task_ids: Optional[Sequence[str]] = None,
        variant_alias: Optional[str] = None,
        variant_id: Optional[str] = None,
        fields: Optional[Mapping[str, Any]] = None,
        mode: Optional[CheckMode] = None,
        wait_timeout: Optional[float] = None,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        tag: Optional[str] = None,
    ) -> Check:
        """Runs a check and waits for it. In a fleet the check is kept in the
        ledger, with ``tag`` (your reference, at most 256 bytes, never sent to
        PassFort), until seen finished: ``recover()`` hands it to another
        worker if this one dies."""
        return await self._native.run_check_and_wait(
            profile_id, check_type, task_ids, variant_alias, variant_id, fields, mode, _wait_timeout(wait_timeout, timeout), poll_interval, tag, blocking=False
        )

    async def get_task(self, profile_id: str, task_id: str) -> Task:
        return await self._native.get_task(profile_id, task_id, False)

    async def list_tasks(self, profile_id: str) -> List[Task]:
        return await self._native.list_tasks(profile_id, False)

    async def complete_task(self, profile_id: str, task_id: str, state: Union[TaskState, TaskOutcome]) -> Task:
        return await self._native.complete_task(profile_id, task_id, state, False)

    async def decide_application(self, profile_id: str, application_id: str) -> ApplicationDecision:
        """Approves the application when every task it needs is COMPLETED_PASS,
        rejects it when one is COMPLETED_FAIL, otherwise writes nothing and
        reports the blockers. Taken once, even when two workers try."""
        return await self._native.decide_application(profile_id, application_id, False)

    async def update_collected_data(
        self, profile_id: str, change: ChangeArg, *, max_attempts: Optional[int] = None
    ) -> UpdatedCollectedData:
        """Changes the profile's collected data without losing another writer's
        change: reads it with its ETag, applies ``change``, writes it with
        If-Match, and on a 412 applies ``change`` again to the data as it is
        now (at most ``max_attempts`` writes, default 5; then
        ``UpdateConflictError``). ``change`` is a JSON Merge Patch (a dict:
        its fields replace the data's, ``None`` removes one) or a JSON Patch
        (a list of operations; a ``test`` that does not hold raises
        ``PatchFailedError``, writing nothing)."""
        return await self._native.update_collected_data(profile_id, change, max_attempts, blocking=False)

    async def run_document_check(
        self,
        profile_id: str,
        *,
        image: ImageBytes,
        image_type: str,
        document_type: str,
        document_category: Optional[str] = None,
        task_ids: Optional[Sequence[str]] = None,
        mode: Optional[CheckMode] = None,
        wait_timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
    ) -> Check:
        """Uploads the image, adds a document naming it, runs
        DOCUMENT_VERIFICATION with its ``document_id`` and waits for it. Bad
        image input raises ``InvalidArgumentError`` before any request."""
        return await self._native.run_document_check(
            profile_id, image, image_type, document_type, document_category, task_ids, mode, wait_timeout, poll_interval, blocking=False
        )

    async def verify_task(
        self,
        profile_id: str,
        task_id: str,
        check_type: str,
        *,
        variant_alias: Optional[str] = None,
        variant_id: Optional[str] = None,
        fields: Optional[Mapping[str, Any]] = None,
        max_failures: Optional[int] = None,
        mode: Optional[CheckMode] = None,
        wait_timeout: Optional[float] = None,
        timeout: Optional[float] = None,
    ) -> VerifyOutcome:
        return await self._native.verify_task(
            profile_id, task_id, check_type, variant_alias, variant_id, fields, max_failures, mode, _wait_timeout(wait_timeout, timeout), blocking=False
        )

    async def run_checks(
        self,
        requests: Iterable[CheckRequestLike],
        *,
        concurrency: Optional[int] = None,
        progress: ProgressArg = None,
        mode: Optional[CheckMode] = None,
        wait_timeout: Optional[float] = None,
        timeout: Optional[float] = None,
    ) -> BatchResult[Check]:
        """Runs every check and waits for each, ``concurrency`` at a time. Gives
        one item per request, in input order: the finished check or that
        request's error; one failure never stops the rest. ``progress=True``
        shows a tqdm bar (``passfort[notebook]``); a callable gets a
        ``Progress``. Cancelling the await cancels the whole batch."""
        jobs = check_requests(requests)
        with ProgressReporter(progress, len(jobs), "check", _running_loop()) as report:
            outcomes = await self._native.run_checks(
                [job._native() for job in jobs], mode=mode, wait_timeout=_wait_timeout(wait_timeout, timeout), concurrency=concurrency, progress=report, blocking=False
            )
        return batch_result(jobs, outcomes)

    async def verify_tasks(
        self,
        requests: Iterable[TaskRequestLike],
        *,
        concurrency: Optional[int] = None,
        progress: ProgressArg = None,
        max_failures: Optional[int] = None,
        wait_timeout: Optional[float] = None,
        timeout: Optional[float] = None,
    ) -> BatchResult[VerifyOutcome]:
        """``verify_task`` for every request, ``concurrency`` at a time; one
        item per request, in input order, as ``run_checks``."""
        jobs = task_requests(requests)
        with ProgressReporter(progress, len(jobs), "task", _running_loop()) as report:
            outcomes = await self._native.verify_tasks(
                [job._native() for job in jobs], max_failures=max_failures, wait_timeout=_wait_timeout(wait_timeout, timeout), concurrency=concurrency, progress=report, blocking=False
            )
        return batch_result(jobs, outcomes)

    async def recover(self, *, wait_timeout: Optional[float] = None, poll_interval: Optional[float] = None) -> List[RecoveredCheck]:
        """Takes over the checks of fleet workers that stopped (their lease
        expired), each handed to exactly one caller across the fleet, waits
        for each and answers one ``RecoveredCheck`` per check: its ledger
        entry (``check_id``, ``tag``, ``previous_owner``...) with the finished
        ``check`` or the ``error`` the wait ended with (not raised; the check
        is then recovered again later). Call it at start-up and every
        ``fleet_lease`` or so. ``ConfigurationError`` without a fleet;
        ``APIConnectionError`` while Redis is unreachable (nothing taken)."""
        return await self._native.recover(wait_timeout, poll_interval, blocking=False)

    async def close(self) -> None:
        """Closes the connection pool now; later calls raise ``ClientClosedError``.
        Webhook listeners started with ``webhooks.serve`` are closed too."""
        self.webhooks.close_all()
        self._native.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        await self.close()


class Client(Operations, _ClientBase):
    """The PassFort API, blocking: for scripts and notebooks. ``with`` closes it.

    Every operation is under its resource (``client.applications.create(profile_id, body)``);
    ``client.with_raw_response.<resource>.<method>(...)`` answers the :class:`Response`."""

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[QueryArg] = None,
        json: Any = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Headers] = None,
    ) -> Response:
        """Any request, ``path`` relative to the base URL, ``json`` its body (None: none), with
        the client's authentication, retries and errors; answers the :class:`Response`."""
        return self._native.request(
            method, path, query, json, timeout, max_retries, extra_headers, blocking=True
        )

    def whoami(self) -> WhoAmI:
        return self._native.whoami(True)

    def create_profile(self, role: str, collected_data: Optional[Mapping[str, Any]] = None) -> Profile:
        return self._native.create_profile(role, collected_data, True)

    def get_profile(self, profile_id: str) -> Profile:
        return self._native.get_profile(profile_id, True)

    def list_profiles(self, query: Optional[str] = None, *, page_size: Optional[int] = None) -> Iterator[Profile]:
        """Every profile matching ``query``, fetching pages as you iterate."""
        return self._native.list_profiles(query, page_size)

    def run_check(
        self,
        profile_id: str,
        check_type: str,
        *,
        task_ids: Optional[Sequence[str]] = None,
        variant_alias: Optional[str] = None,
        variant_id: Optional[str] = None,
        fields: Optional[Mapping[str, Any]] = None,
        mode: Optional[CheckMode] = None,
        tag: Optional[str] = None,
    ) -> Check:
        """``tag``: your reference for the check, kept in the fleet's ledger (never sent to PassFort)."""
        return self._native.run_check(profile_id, check_type, task_ids, variant_alias, variant_id, fields, mode, tag, blocking=True)

    def get_check(self, profile_id: str, check_id: str) -> Check:
        return self._native.get_check(profile_id, check_id, True)

    def list_checks(self, profile_id: str) -> List[Check]:
        return self._native.list_checks(profile_id, True)

    def wait_for_check(
        self, profile_id: str, check_id: str, *, wait_timeout: Optional[float] = None, poll_interval: Optional[float] = None, timeout: Optional[float] = None
    ) -> Check:
        return self._native.wait_for_check(profile_id, check_id, _wait_timeout(wait_timeout, timeout), poll_interval, blocking=True)

    def run_check_and_wait(
        self,
        profile_id: str,
        check_type: str,
        *,
        task_ids: Optional[Sequence[str]] = None,
        variant_alias: Optional[str] = None,
        variant_id: Optional[str] = None,
        fields: Optional[Mapping[str, Any]] = None,
        mode: Optional[CheckMode] = None,
        wait_timeout: Optional[float] = None,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        tag: Optional[str] = None,
    ) -> Check:
        """Runs a check and waits for it; see ``AsyncClient.run_check_and_wait`` for ``tag``."""
        return self._native.run_check_and_wait(
            profile_id, check_type, task_ids, variant_alias, variant_id, fields, mode, _wait_timeout(wait_timeout, timeout), poll_interval, tag, blocking=True
        )

    def get_task(self, profile_id: str, task_id: str) -> Task:
        return self._native.get_task(profile_id, task_id, True)

    def list_tasks(self, profile_id: str) -> List[Task]:
        return self._native.list_tasks(profile_id, True)

    def complete_task(self, profile_id: str, task_id: str, state: Union[TaskState, TaskOutcome]) -> Task:
        return self._native.complete_task(profile_id, task_id, state, True)

    def decide_application(self, profile_id: str, application_id: str) -> ApplicationDecision:
        """Approves the application when every task it needs is COMPLETED_PASS,
        rejects it when one is COMPLETED_FAIL, otherwise writes nothing and
        reports the blockers. Taken once, even when two workers try."""
        return self._native.decide_application(profile_id, application_id, True)

    def update_collected_data(self, profile_id: str, change: ChangeArg, *, max_attempts: Optional[int] = None) -> UpdatedCollectedData:
        """Changes the profile's collected data without losing another writer's
        change: reads it with its ETag, applies ``change``, writes it with
        If-Match, and on a 412 applies ``change`` again to the data as it is
        now (at most ``max_attempts`` writes, default 5; then
        ``UpdateConflictError``). ``change`` is a JSON Merge Patch (a dict:
        its fields replace the data's, ``None`` removes one) or a JSON Patch
        (a list of operations; a ``test`` that does not hold raises
        ``PatchFailedError``, writing nothing)."""
        return self._native.update_collected_data(profile_id, change, max_attempts, blocking=True)

    def run_document_check(
        self,
        profile_id: str,
        *,
        image: ImageBytes,
        image_type: str,
        document_type: str,
        document_category: Optional[str] = None,
        task_ids: Optional[Sequence[str]] = None,
        mode: Optional[CheckMode] = None,
        wait_timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
    ) -> Check:
        """Uploads the image, adds a document naming it, runs
        DOCUMENT_VERIFICATION with its ``document_id`` and waits for it. Bad
        image input raises ``InvalidArgumentError`` before any request."""
        return self._native.run_document_check(
            profile_id, image, image_type, document_type, document_category, task_ids, mode, wait_timeout, poll_interval, blocking=True
        )

    def verify_task(
        self,
        profile_id: str,
        task_id: str,
        check_type: str,
        *,
        variant_alias: Optional[str] = None,
        variant_id: Optional[str] = None,
        fields: Optional[Mapping[str, Any]] = None,
        max_failures: Optional[int] = None,
        mode: Optional[CheckMode] = None,
        wait_timeout: Optional[float] = None,
        timeout: Optional[float] = None,
    ) -> VerifyOutcome:
        return self._native.verify_task(
            profile_id, task_id, check_type, variant_alias, variant_id, fields, max_failures, mode, _wait_timeout(wait_timeout, timeout), blocking=True
        )

    def run_checks(
        self,
        requests: Iterable[CheckRequestLike],
        *,
        concurrency: Optional[int] = None,
        progress: ProgressArg = None,
        mode: Optional[CheckMode] = None,
        wait_timeout: Optional[float] = None,
        timeout: Optional[float] = None,
    ) -> BatchResult[Check]:
        """Runs every check and waits for each, ``concurrency`` at a time; see
        ``AsyncClient.run_checks``. Ctrl-C cancels the whole batch."""
        jobs = check_requests(requests)
        with ProgressReporter(progress, len(jobs), "check") as report:
            outcomes = self._native.run_checks(
                [job._native() for job in jobs], mode=mode, wait_timeout=_wait_timeout(wait_timeout, timeout), concurrency=concurrency, progress=report, blocking=True
            )
        return batch_result(jobs, outcomes)

    def verify_tasks(
        self,
        requests: Iterable[TaskRequestLike],
        *,
        concurrency: Optional[int] = None,
        progress: ProgressArg = None,
        max_failures: Optional[int] = None,
        wait_timeout: Optional[float] = None,
        timeout: Optional[float] = None,
    ) -> BatchResult[VerifyOutcome]:
        """``verify_task`` for every request, ``concurrency`` at a time; see ``run_checks``."""
        jobs = task_requests(requests)
        with ProgressReporter(progress, len(jobs), "task") as report:
            outcomes = self._native.verify_tasks(
                [job._native() for job in jobs], max_failures=max_failures, wait_timeout=_wait_timeout(wait_timeout, timeout), concurrency=concurrency, progress=report, blocking=True
            )
        return batch_result(jobs, outcomes)

    def recover(self, *, wait_timeout: Optional[float] = None, poll_interval: Optional[float] = None) -> List[RecoveredCheck]:
        """Takes over the checks of fleet workers that stopped; see ``AsyncClient.recover``."""
        return self._native.recover(wait_timeout, poll_interval, blocking=True)

    def close(self) -> None:
        """Closes the connection pool now; later calls raise ``ClientClosedError``.
        Webhook listeners started with ``webhooks.serve`` are closed too."""
        self.webhooks.close_all()
        self._native.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.close()

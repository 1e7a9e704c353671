"""The exceptions of the SDK. They are raised from the Rust core with their
attributes set, and pickle (the default ``BaseException`` pickling keeps
``args`` and ``__dict__``)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Dict, List, Optional, Type

if TYPE_CHECKING:
    from ._native import ErrorDetail


class PassFortError(Exception):
    """Base of every error the SDK raises. ``code`` is the core's stable name
    for the kind of error, the same in Python, Node and Rust."""

    code: str = ""
    #: True when a failed request may still have had an effect at PassFort
    #: (e.g. a check creation whose answer was lost): look before you retry.
    may_have_reached_server: bool = False

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConfigurationError(PassFortError):
    """The client cannot be built: no API key, a bad base URL, ..."""


class APIError(PassFortError):
    """PassFort answered with an error status."""

    status: int = 0
    errors: List["ErrorDetail"] = []
    request_id: Optional[str] = None
    #: The start of a body that was not PassFort's error JSON (a proxy's HTML page, say).
    body_snippet: Optional[str] = None


class BadRequestError(APIError):
    """400: PassFort refused the input (codes 101, 201, ...)."""


class AuthenticationError(APIError):
    """401/403: a missing (203) or invalid (204) API key."""


class NotFoundError(APIError):
    """404: unknown profile, check or task."""


class ConflictError(APIError):
    """409/412: a conflicting or stale write."""


class RateLimitError(APIError):
    """429 after the retries: ``retry_after`` is the wait PassFort asked for, in seconds."""

    retry_after: Optional[float] = None


class ServerError(APIError):
    """5xx after the retries."""


class APIConnectionError(PassFortError):
    """The connection could not be made or broke."""


class APITimeoutError(APIConnectionError):
    """No complete answer in time."""


class ResponseDecodeError(PassFortError):
    """A 2xx answer that is not the JSON expected. The message says where
    decoding failed, never what the body held (personal data);
    ``body_snippet`` is set only with ``include_body_snippets=True``."""

    status: int = 0
    body_snippet: Optional[str] = None


class InvalidArgumentError(PassFortError, ValueError):
    """A bad argument, caught before any request was sent (also a ``ValueError``)."""


class RedirectError(PassFortError):
    """A 3xx answer (from a proxy, say): not followed, so that neither the API
    key nor a body goes elsewhere. ``target_host`` names where it pointed."""

    status: int = 0
    target_host: Optional[str] = None


class ClientClosedError(PassFortError):
    """The client was closed with ``close()``."""


class CheckWaitTimeoutError(PassFortError):
    """The check had not finished by the deadline. It is still at PassFort:
    wait for ``check_id`` again later; nothing is lost."""

    profile_id: str = ""
    check_id: str = ""
    last_state: Optional[str] = None
    waited: float = 0.0


class AmbiguousCheckError(PassFortError):
    """A check creation's answer was lost and PassFort's checks could not be
    read to tell whether it was created. Look for a ``check_type`` check on
    ``profile_id`` instructed at or after ``sent_at`` before running it again."""

    may_have_reached_server = True
    profile_id: str = ""
    check_type: str = ""
    task_ids: List[str] = []
    sent_at: Optional[datetime.datetime] = None


class AmbiguousCreationError(PassFortError):
    """A write that must not be sent twice (a creation, a decision) lost its
    answer after it may have reached PassFort, so it was not resent.
    ``look_for`` says what to look for before sending it again."""

    may_have_reached_server = True
    operation: str = ""
    profile_id: Optional[str] = None
    look_for: str = ""
    sent_at: Optional[datetime.datetime] = None


class UpdateConflictError(ConflictError):
    """A safe collected-data update met another writer's change (a 412)
    before each of its ``attempts`` writes; nothing of it was written."""

    status = 412
    profile_id: str = ""
    attempts: int = 0


class PatchFailedError(PassFortError):
    """A collected-data change did not apply to the data as it is: the JSON
    Patch operation at ``index`` (``op`` at ``path``) failed its test
    (``test_failed``) or names a path the data does not allow. Nothing was written."""

    profile_id: str = ""
    index: int = 0
    op: str = ""
    path: str = ""
    test_failed: bool = False


class WebhookVerificationError(PassFortError):
    """A webhook delivery was refused (``reason``: unauthorized, malformed,
    too_large or expired); nothing in it was dispatched."""

    reason: str = ""


#: The old name of ``CheckWaitTimeoutError``.
CheckWaitTimeout = CheckWaitTimeoutError

#: The class raised for each of the core's error codes (``_native.ERROR_CODES``;
#: a test checks that the two lists match).
CLASS_BY_CODE: Dict[str, Type[PassFortError]] = {
    "bad_request": BadRequestError,
    "authentication": AuthenticationError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "rate_limited": RateLimitError,
    "server": ServerError,
    "api": APIError,
    "timeout": APITimeoutError,
    "connection": APIConnectionError,
    "decode": ResponseDecodeError,
    "redirect": RedirectError,
    "invalid_argument": InvalidArgumentError,
    "configuration": ConfigurationError,
    "wait_timeout": CheckWaitTimeoutError,
    "ambiguous_check_creation": AmbiguousCheckError,
    "ambiguous_creation": AmbiguousCreationError,
    "update_conflict": UpdateConflictError,
    "patch_failed": PatchFailedError,
    "webhook": WebhookVerificationError,
    "closed": ClientClosedError,
}

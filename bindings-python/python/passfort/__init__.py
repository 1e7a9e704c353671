"""PassFort KYC/AML API 4.0: a native client with awaitable and blocking APIs."""

from typing import TYPE_CHECKING, Any, Iterable

from ._batch import BatchItem, BatchResult, CheckRequest, Progress, TaskRequest
from ._client import AsyncClient, Client, Webhooks, WebhookServer, verify_webhook
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AmbiguousCheckError,
    AmbiguousCreationError,
    AuthenticationError,
    BadRequestError,
    CheckWaitTimeout,
    CheckWaitTimeoutError,
    ClientClosedError,
    ConfigurationError,
    InvalidArgumentError,
    ConflictError,
    NotFoundError,
    PassFortError,
    PatchFailedError,
    RateLimitError,
    RedirectError,
    ResponseDecodeError,
    ServerError,
    UpdateConflictError,
    WebhookVerificationError,
)
from ._native import (
    ApplicationDecision,
    Check,
    ErrorDetail,
    Profile,
    Response,
    Task,
    RecoveredCheck,
    UpdatedCollectedData,
    Variant,
    VerifyOutcome,
    WaitInfo,
    WebhookEvent,
    __version__,
)
from ._native import (
    CheckCompletedEvent,
    CollectedDataChangedEvent,
    CollectedDataUpdatedEvent,
    CollectionStepsCompletedEvent,
    CustomerRequestChangedEvent,
    EventsCreatedEvent,
    EventsUpdatedEvent,
    FormStateChangedEvent,
    ManualActionRequiredEvent,
    ProductBadgeChangedEvent,
    ProductStatusChangedEvent,
    ProfileStatusChangedEvent,
    RiskLevelChangedEvent,
    RiskScoreChangedEvent,
    TaskCreatedEvent,
    TaskIsCompleteChangedEvent,
    TaskStateChangedEvent,
    UnknownWebhookEvent,
)
from ._webhooks import WebhookApiKey, WebhookCheck, WebhookProduct, WebhookProfileEvent, WebhookTask, WebhookUser
from ._types import CheckMode, CheckState, CheckType, Decision, Role, TaskOutcome, TaskState, TaskType, WhoAmI
from ._logging import configure as _configure_logging

_configure_logging()

if TYPE_CHECKING:
    from ._models import (
        Application,
        ProfileEvent,
        DocumentImage,
        Note,
        Tag,
        ProfileResource,
        CheckResource,
        TaskResource,
        EntityData,
        CollectionStep,
        AuditItem,
        FileResource,
        ProductApplicationStatus,
        EventResolution,
        ProfileStatus,
    )

#: The generated types of bodies and answers (passfort/_models.py), imported on
#: first use: they are TypedDicts for type checkers, and answers are plain dicts.
_MODELS = frozenset({"Application", "ProfileEvent", "DocumentImage", "Note", "Tag", "ProfileResource", "CheckResource", "TaskResource", "EntityData", "CollectionStep", "AuditItem", "FileResource", "ProductApplicationStatus", "EventResolution", "ProfileStatus"})


def __getattr__(name: str) -> Any:
    if name in _MODELS:
        from . import _models

        return getattr(_models, name)
    raise AttributeError(f"module 'passfort' has no attribute {name!r}")


def to_dataframe(items: Iterable[Any]) -> Any:
    """A pandas ``DataFrame`` of checks, tasks, profiles, verify outcomes or a
    batch result: one row each, typed columns. Needs ``passfort[pandas]``.
    (pandas is imported on first use, so ``import passfort`` stays fast.)"""
    from ._display import to_dataframe as build

    return build(items)


__all__ = [
    "ApplicationDecision",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AmbiguousCheckError",
    "AmbiguousCreationError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "BatchItem",
    "BatchResult",
    "Check",
    "CheckRequest",
    "CheckState",
    "CheckType",
    "CheckMode",
    "CheckWaitTimeout",
    "CheckWaitTimeoutError",
    "Client",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "Decision",
    "ErrorDetail",
    "InvalidArgumentError",
    "NotFoundError",
    "PassFortError",
    "PatchFailedError",
    "Profile",
    "Progress",
    "RateLimitError",
    "RedirectError",
    "Response",
    "ResponseDecodeError",
    "Role",
    "ServerError",
    "UpdateConflictError",
    "RecoveredCheck",
    "UpdatedCollectedData",
    "Task",
    "TaskRequest",
    "TaskOutcome",
    "TaskState",
    "TaskType",
    "Variant",
    "VerifyOutcome",
    "WaitInfo",
    "WebhookEvent",
    "CheckCompletedEvent",
    "CollectedDataChangedEvent",
    "CollectedDataUpdatedEvent",
    "CollectionStepsCompletedEvent",
    "CustomerRequestChangedEvent",
    "EventsCreatedEvent",
    "EventsUpdatedEvent",
    "FormStateChangedEvent",
    "ManualActionRequiredEvent",
    "ProductBadgeChangedEvent",
    "ProductStatusChangedEvent",
    "ProfileStatusChangedEvent",
    "RiskLevelChangedEvent",
    "RiskScoreChangedEvent",
    "TaskCreatedEvent",
    "TaskIsCompleteChangedEvent",
    "TaskStateChangedEvent",
    "UnknownWebhookEvent",
    "WebhookApiKey",
    "WebhookCheck",
    "WebhookProduct",
    "WebhookProfileEvent",
    "WebhookTask",
    "WebhookUser",
    "WhoAmI",
    "WebhookServer",
    "WebhookVerificationError",
    "Webhooks",
    "__version__",
    "to_dataframe",
    "verify_webhook",
    "Application",
    "ProfileEvent",
    "DocumentImage",
    "Note",
    "Tag",
    "ProfileResource",
    "CheckResource",
    "TaskResource",
    "EntityData",
    "CollectionStep",
    "AuditItem",
    "FileResource",
    "ProductApplicationStatus",
    "EventResolution",
    "ProfileStatus",
]

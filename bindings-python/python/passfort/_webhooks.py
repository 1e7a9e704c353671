"""The shapes nested in typed webhook events (dicts at runtime, as the core gives them).

Enum values are strings as PassFort sends them; a value this version does not
know comes through unchanged. Absent values are None.
"""

from __future__ import annotations

from typing import Optional, TypedDict


class WebhookProduct(TypedDict):
    """``product`` of PRODUCT_STATUS_CHANGED and MANUAL_ACTION_REQUIRED."""

    id: str
    alias: Optional[str]
    name: Optional[str]


class WebhookUser(TypedDict):
    """``user`` of PRODUCT_STATUS_CHANGED (None when the smart policy made the change)."""

    id: Optional[str]
    email: Optional[str]
    name: Optional[str]


class WebhookApiKey(TypedDict):
    """``apikey`` of PRODUCT_STATUS_CHANGED."""

    name: Optional[str]


class WebhookCheck(TypedDict):
    """``check`` of CHECK_COMPLETED and MANUAL_ACTION_REQUIRED."""

    id: str
    check_type: Optional[str]
    result: Optional[str]
    decision: Optional[str]


class WebhookTask(TypedDict):
    """``task`` of the task events (each gives some of these)."""

    id: str
    type: Optional[str]
    state: Optional[str]
    is_complete: Optional[bool]


class WebhookProfileEvent(TypedDict):
    """An entry of ``events`` in EVENTS_CREATED and EVENTS_UPDATED."""

    id: str
    event_type: Optional[str]
    resolution: Optional[str]

"""The PassFort emulator for tests: the Rust emulator inside this process, on a free port.

Installed with ``pip install 'passfort[testing]'`` and used as ``passfort.testing``:

    from passfort.testing import Emulator

    with Emulator() as emulator:
        client = emulator.client()
        profile = client.create_profile("INDIVIDUAL_CUSTOMER", {...})

Test data: a family name (or company name) of ``Fail``, ``Error``, ``PEP``, ...
becomes the check result; ``Slow`` outlasts the sync timeout. See the emulator's README.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

from passfort import AsyncClient, Client

from ._native import NativeEmulator, __version__

__all__ = ["Emulator", "__version__"]


class Emulator:
    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        webhook_secret: Optional[str] = None,
        sync_timeout: Optional[float] = None,
        provider_latency: Optional[float] = None,
        rate_limit: Optional[Tuple[int, int]] = None,
    ) -> None:
        """Unset values are the emulator's defaults: API key ``test-key``, sync
        timeout 120 s, provider latency 0.05 s. ``rate_limit``: ``(per_hour,
        burst)`` for PassFort's rate-limited creations (``POST /profiles``,
        ``POST .../collected_data``), answered 429 beyond it; none by default."""
        self._native = NativeEmulator(api_key, sync_timeout, provider_latency, rate_limit)
        self.api_key = self._native.api_key
        self.webhook_secret = webhook_secret

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``; the admin API is under ``/_emulator``."""
        return self._native.url

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/4.0``: a client's base URL."""
        return self._native.base_url

    def client(self, **options: Any) -> Client:
        """A blocking client pointed at this emulator."""
        options.setdefault("webhook_secret", self.webhook_secret)
        return Client(self.api_key, base_url=self.base_url, **options)

    def async_client(self, **options: Any) -> AsyncClient:
        """An asyncio client pointed at this emulator."""
        options.setdefault("webhook_secret", self.webhook_secret)
        return AsyncClient(self.api_key, base_url=self.base_url, **options)

    def script(self, profile_id: str, check_type: str, results: Sequence[str], latency: Optional[float] = None) -> None:
        """Each next check of ``check_type`` on the profile takes the next result; the last repeats."""
        self._native.script(profile_id, str(check_type), list(results), latency)

    def fault(
        self,
        method: str,
        path: str,
        action: str,
        *,
        times: int = 1,
        status: Optional[int] = None,
        delay: Optional[float] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> Dict[str, Any]:
        """Injects a fault into the next ``times`` requests matching ``method`` and
        ``path`` (``*`` matches one segment): ``status``, ``delay``,
        ``drop_before`` or ``drop_after_commit``."""
        rule: Dict[str, Any] = {"method": method, "path": path, "action": action, "times": times}
        if status is not None:
            rule["status"] = status
        if delay is not None:
            rule["delay_ms"] = int(delay * 1000)
        if headers:
            rule["headers"] = dict(headers)
        result: Dict[str, Any] = json.loads(self._native.fault(json.dumps(rule)))
        return result

    def clear_faults(self) -> None:
        self._native.clear_faults()

    def checks(self) -> List[Dict[str, Any]]:
        """Every check of every profile, each with its ``profile_id``."""
        result: List[Dict[str, Any]] = json.loads(self._native.checks())
        return result

    def requests(self) -> List[Dict[str, Any]]:
        """Every API request received: method, path, query, status, fault, time."""
        result: List[Dict[str, Any]] = json.loads(self._native.requests())
        return result

    def webhook_deliveries(self) -> List[Dict[str, Any]]:
        result: List[Dict[str, Any]] = json.loads(self._native.webhook_deliveries())
        return result

    def set_webhook(self, url: Optional[str], *, secret: Optional[str] = None, batching: bool = False) -> None:
        """Sends webhooks to ``url`` (``None`` turns them off), signed with ``secret``
        or else this emulator's ``webhook_secret``."""
        self._native.set_webhook(url, secret or self.webhook_secret, batching)

    def configure(self, *, sync_timeout: Optional[float] = None, provider_latency: Optional[float] = None) -> None:
        self._native.configure(sync_timeout, provider_latency)

    def reset(self) -> None:
        """Forgets everything since start."""
        self._native.reset()

    def close(self) -> None:
        self._native.close()

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> "Emulator":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Emulator(base_url={self.base_url!r})"

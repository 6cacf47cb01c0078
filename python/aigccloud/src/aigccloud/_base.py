"""What the sync and async transports share: settings, the request, headers, the retry decision."""
from __future__ import annotations

import json
import logging
import os
import random
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, Mapping, Optional, Tuple
from urllib.parse import urlencode

from ._errors import APIConnectionError, APIError
from ._version import __version__

log = logging.getLogger("aigccloud")

DEFAULT_BASE_URL = "http://localhost:3000"
DEFAULT_TIMEOUT = 600.0
RETRY_STATUSES = {408, 409, 429}


@dataclass(frozen=True)
class RetryInfo:
    """Told to ``on_retry`` (and logged on the ``aigccloud`` logger) before each retry."""

    method: str
    path: str
    #: 1 for the first retry.
    attempt: int
    #: Seconds the client waits before it.
    delay: float
    error: APIError


@dataclass(frozen=True)
class Settings:
    api_key: Optional[str]
    base_url: str
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = 2
    #: Longest ``retry-after`` (seconds) waited out; a longer one is raised to the caller.
    max_retry_wait: float = 60.0
    default_headers: Mapping[str, str] = field(default_factory=dict)
    on_retry: Optional[Callable[[RetryInfo], Any]] = None

    @staticmethod
    def from_args(
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: Optional[float],
        max_retries: Optional[int],
        default_headers: Optional[Mapping[str, str]],
        on_retry: Optional[Callable[[RetryInfo], Any]],
        max_retry_wait: Optional[float] = None,
    ) -> "Settings":
        key = api_key if api_key is not None else os.environ.get("AIGCCLOUD_API_KEY") or None
        url = base_url or os.environ.get("AIGCCLOUD_BASE_URL") or DEFAULT_BASE_URL
        return Settings(
            api_key=key,
            base_url=normalise_base_url(url),
            timeout=DEFAULT_TIMEOUT if timeout is None else float(timeout),
            max_retries=2 if max_retries is None else int(max_retries),
            max_retry_wait=60.0 if max_retry_wait is None else float(max_retry_wait),
            default_headers=dict(default_headers or {}),
            on_retry=on_retry,
        )

    def but(self, **changes: Any) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def normalise_base_url(url: str) -> str:
    """The gateway's origin as paths are joined to it: no trailing slash, no ``/v1`` (paths carry it)."""
    url = url.strip().rstrip("/")
    return url[:-3] if url.endswith("/v1") else url


@dataclass
class Request:
    method: str
    path: str
    query: Optional[Dict[str, Any]] = None
    json: Any = None
    #: A ready body (multipart) and its content type.
    body: Optional[Tuple[bytes, str]] = None
    idempotency_key: Optional[str] = None
    headers: Dict[str, str] = field(default_factory=dict)

    def url(self, base: str) -> str:
        url = base + self.path
        if self.query:
            pairs = [(k, "true" if v is True else "false" if v is False else v) for k, v in self.query.items() if v is not None and v != ""]
            if pairs:
                url += "?" + urlencode(pairs)
        return url

    def payload(self) -> Tuple[Optional[bytes], Optional[str]]:
        if self.body is not None:
            return self.body
        if self.json is not None:
            return json.dumps(self.json, ensure_ascii=False).encode("utf-8"), "application/json"
        return None, None


def headers_for(settings: Settings, req: Request, content_type: Optional[str]) -> Dict[str, str]:
    h = {"accept": "application/json", "user-agent": f"aigccloud-python/{__version__}", **settings.default_headers}
    if settings.api_key:
        h["authorization"] = f"Bearer {settings.api_key}"
    if content_type:
        h["content-type"] = content_type
    if req.method != "GET":
        # One key for every attempt of this call: a retried credit move is applied once (the gateway
        # answers the repeat with the first answer).
        if req.idempotency_key is None:
            req.idempotency_key = f"sdk-{uuid.uuid4()}"
        h["idempotency-key"] = req.idempotency_key
    h.update(req.headers)
    return h


def retry_delay(settings: Settings, error: APIError, attempt: int, max_retries: int) -> Optional[float]:
    """
    None when the failure is final. ``x-should-retry`` decides when the server sent it (``false`` on an
    empty balance); otherwise connection failures, timeouts, 408, 409, 429 and 5xx are retried, after
    the server's ``retry-after`` when it gave one (up to ``max_retry_wait``), else after an exponential
    backoff with jitter (0.5 s doubling, at most 8 s).
    """
    if attempt >= max_retries:
        return None
    should = error.headers.get("x-should-retry")
    if should == "false":
        return None
    retryable = should == "true" or isinstance(error, APIConnectionError) or error.status_code in RETRY_STATUSES or error.status_code >= 500
    if not retryable:
        return None
    if error.retry_after is not None:
        return error.retry_after if error.retry_after <= settings.max_retry_wait else None
    base = min(0.5 * 2**attempt, 8.0)
    return base * (1 - random.random() * 0.25)


def announce_retry(settings: Settings, req: Request, attempt: int, delay: float, error: APIError) -> Any:
    info = RetryInfo(req.method, req.path, attempt, delay, error)
    log.info("retrying %s %s in %.2f s (retry %d) after %s", req.method, req.path, delay, attempt, error, extra={"aigccloud_retry": info})
    return settings.on_retry(info) if settings.on_retry else None

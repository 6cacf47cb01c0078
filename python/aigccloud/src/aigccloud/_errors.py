"""Every failure is an :class:`APIError` or one of its subclasses, so a caller catches by kind.

The gateway answers errors in OpenAI's envelope ``{"error": {"message", "type", "param", "code"}}``,
on the relay and on the management API alike, so one reader maps both.
"""
from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from typing import Any, Dict, Mapping, Optional, Type


class AIGCCloudError(Exception):
    """The root of every exception this package raises."""


class APIError(AIGCCloudError):
    """A call failed. ``status_code`` is 0 when no answer arrived (connection failure, timeout)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 0,
        body: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body: Dict[str, Any] = dict(body or {})
        self.code: Optional[str] = self.body.get("code")
        self.param: Optional[str] = self.body.get("param")
        self.type: Optional[str] = self.body.get("type")
        self.headers: Dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        #: The gateway's id for the call, to quote when asking about it.
        self.request_id: Optional[str] = self.headers.get("x-request-id")
        #: Seconds the server asked to wait (``retry-after``), when it said.
        self.retry_after: Optional[float] = retry_after if retry_after is not None else retry_after_seconds(self.headers)

    def __str__(self) -> str:
        status = f"{self.status_code} " if self.status_code else ""
        code = f" ({self.code})" if self.code else ""
        return f"{status}{self.message}{code}"


class BadRequestError(APIError):
    """400: the request's body or parameters are wrong (``param`` names the field)."""


class AuthenticationError(APIError):
    """401: a missing, wrong, revoked or expired key."""


class PermissionDeniedError(APIError):
    """403: a known caller that may not do this (model, address, origin, route)."""


class NotFoundError(APIError):
    """404: an unknown model, route or object."""


class ConflictError(APIError):
    """409: an idempotency key reused with other parameters, or one still running."""


class InsufficientCreditError(APIError):
    """429 ``insufficient_quota``: the balance, or the key's credit limit, cannot cover the call. Never retried."""


class RateLimitError(APIError):
    """429: a rate, token or concurrency limit. ``retry_after`` says how long to wait."""


class ContentFilterError(APIError):
    """The content was refused by a safety filter (``code: content_filter``)."""


class InternalServerError(APIError):
    """500: the gateway itself failed."""


class UpstreamError(APIError):
    """502, 503, 504, 529: the provider failed or timed out, or the gateway's store was out for a moment."""


class APIConnectionError(APIError):
    """No answer: the connection failed, was refused or was reset."""


class APITimeoutError(APIConnectionError, TimeoutError):
    """No answer within the timeout."""


_INSUFFICIENT = {"insufficient_quota", "insufficient_balance"}


def error_class_for(status: int, body: Mapping[str, Any]) -> Type[APIError]:
    """The class for a status and error body: content filtering and credit first (they cross statuses)."""
    code = body.get("code")
    if code == "content_filter":
        return ContentFilterError
    if code in _INSUFFICIENT or body.get("type") == "insufficient_quota":
        return InsufficientCreditError
    if status in (400, 413, 422):
        return BadRequestError
    if status == 401:
        return AuthenticationError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 409:
        return ConflictError
    if status == 429:
        return RateLimitError
    if status == 500:
        return InternalServerError
    if status > 500:
        return UpstreamError
    return APIError


def make_error(status: int, text: str, headers: Mapping[str, str]) -> APIError:
    """The error for an answer whose body was read (``text``)."""
    body = parse_error_body(text)
    message = body.get("message") or text.strip()[:500] or f"HTTP {status}"
    return error_class_for(status, body)(message, status_code=status, body=body, headers=headers)


def stream_error(payload: Mapping[str, Any], headers: Optional[Mapping[str, str]] = None) -> APIError:
    """An ``{"error": …}`` event inside a stream: the call failed after its first byte."""
    err = payload.get("error")
    body: Dict[str, Any] = {"message": err} if isinstance(err, str) else dict(err or {})
    cls = error_class_for(0, body)
    if cls is APIError:
        cls = UpstreamError
    return cls(body.get("message") or "The stream ended with an error.", body=body, headers=headers)


def parse_error_body(text: str) -> Dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            return err
        if isinstance(err, str):
            return {"message": err}
        for k in ("message", "detail"):
            if isinstance(data.get(k), str):
                return {"message": data[k]}
    return {}


def retry_after_seconds(headers: Mapping[str, str], now: Optional[float] = None) -> Optional[float]:
    """``retry-after-ms``, then ``retry-after`` in seconds or as an HTTP date; None when absent or unreadable."""
    h = {k.lower(): v for k, v in headers.items()}
    ms = h.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    v = h.get("retry-after")
    if not v:
        return None
    try:
        return max(0.0, float(v))
    except ValueError:
        pass
    try:
        at = parsedate_to_datetime(v).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, at - (time.time() if now is None else now))

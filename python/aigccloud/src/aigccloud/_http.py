"""The synchronous transport: urllib, with retries, timeouts and typed errors."""
from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any, Dict, Iterator, Optional, Tuple

from ._base import Request, Settings, announce_retry, headers_for, retry_delay
from ._errors import APIConnectionError, APIError, APITimeoutError, make_error


class RawResponse:
    """An answer whose body the caller reads: a stream or audio. Close it (or use ``with``)."""

    def __init__(self, resp: Any) -> None:
        self._resp = resp
        self.status_code: int = resp.status
        self.headers: Dict[str, str] = {k.lower(): v for k, v in resp.headers.items()}

    def iter_lines(self) -> Iterator[bytes]:
        try:
            while True:
                line = self._resp.readline()
                if not line:
                    return
                yield line
        except (socket.timeout, TimeoutError) as e:
            raise APITimeoutError("The stream went silent for longer than the timeout.") from e
        except (OSError, http.client.HTTPException) as e:
            raise APIConnectionError(f"The stream broke off: {e}") from e

    def iter_bytes(self, chunk_size: int = 65536) -> Iterator[bytes]:
        while True:
            chunk = self._resp.read1(chunk_size) if hasattr(self._resp, "read1") else self._resp.read(chunk_size)
            if not chunk:
                return
            yield chunk

    def read(self) -> bytes:
        return self._resp.read()

    def close(self) -> None:
        self._resp.close()

    def __enter__(self) -> "RawResponse":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class SyncTransport:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._opener = urllib.request.build_opener(_NoErrors())

    def request(self, req: Request, *, raw: bool = False) -> Tuple[Any, Dict[str, str]]:
        """JSON (parsed) and headers; with ``raw`` the open RawResponse instead of the JSON."""
        s = self.settings
        attempt = 0
        while True:
            try:
                return self._attempt(req, raw)
            except APIError as error:
                delay = retry_delay(s, error, attempt, s.max_retries)
                if delay is None:
                    raise
                attempt += 1
                announce_retry(s, req, attempt, delay, error)
                time.sleep(delay)

    def _attempt(self, req: Request, raw: bool) -> Tuple[Any, Dict[str, str]]:
        data, ctype = req.payload()
        r = urllib.request.Request(req.url(self.settings.base_url), data=data, method=req.method, headers=headers_for(self.settings, req, ctype))
        try:
            resp = self._opener.open(r, timeout=self.settings.timeout)
        except (socket.timeout, TimeoutError) as e:
            raise APITimeoutError(f"No answer within {self.settings.timeout:g} s.") from e
        except urllib.error.URLError as e:
            if isinstance(e.reason, (socket.timeout, TimeoutError)):
                raise APITimeoutError(f"No answer within {self.settings.timeout:g} s.") from e
            raise APIConnectionError(f"Connection error: {e.reason}") from e
        except (OSError, http.client.HTTPException) as e:
            raise APIConnectionError(f"Connection error: {e}") from e
        headers = {k.lower(): v for k, v in resp.headers.items()}
        try:
            if resp.status >= 400:
                text = resp.read().decode("utf-8", "replace")
                raise make_error(resp.status, text, headers)
            if raw:
                return RawResponse(resp), headers
            body = resp.read()
        except (socket.timeout, TimeoutError) as e:
            resp.close()
            raise APITimeoutError(f"No answer within {self.settings.timeout:g} s.") from e
        except (OSError, http.client.HTTPException) as e:
            resp.close()
            raise APIConnectionError(f"Connection error: {e}") from e
        except APIError:
            resp.close()
            raise
        resp.close()
        return (json.loads(body) if body else None), headers


class _NoErrors(urllib.request.HTTPErrorProcessor):
    """Hands 4xx/5xx answers back as responses (their body is the error), not as HTTPError."""

    def http_response(self, request: Any, response: Any) -> Any:
        return response

    https_response = http_response

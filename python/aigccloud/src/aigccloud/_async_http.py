"""
The asyncio transport: a small HTTP/1.1 client on ``asyncio.open_connection`` (the standard library
has no async HTTP client). One connection per call, ``Connection: close``; TLS with the system's
certificates; bodies by ``Content-Length``, chunked, or until the server closes. No proxy support.
"""
from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any, AsyncIterator, Dict, Optional, Tuple
from urllib.parse import urlsplit

from ._base import Request, Settings, announce_retry, headers_for, retry_delay
from ._errors import APIConnectionError, APIError, APITimeoutError, make_error

_MAX_HEADER_LINE = 65536


class AsyncRawResponse:
    """An answer whose body the caller reads (a stream, audio). ``await close()`` it, or use ``async with``."""

    def __init__(self, status: int, headers: Dict[str, str], reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> None:
        self.status_code = status
        self.headers = headers
        self._reader = reader
        self._writer = writer
        self._timeout = timeout
        self._chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = headers.get("content-length")
        self._left: Optional[int] = int(length) if length is not None and not self._chunked else None
        self._chunk_left = 0
        self._done = False
        self._buf = b""

    async def _read_some(self) -> bytes:
        """The next piece of the body ('' at its end)."""
        if self._done:
            return b""
        try:
            return await asyncio.wait_for(self._next_piece(), self._timeout)
        except asyncio.TimeoutError as e:
            raise APITimeoutError("The answer went silent for longer than the timeout.") from e
        except (OSError, asyncio.IncompleteReadError, ValueError) as e:
            raise APIConnectionError(f"The answer broke off: {e}") from e

    async def _next_piece(self) -> bytes:
        r = self._reader
        if self._chunked:
            if self._chunk_left == 0:
                size_line = await r.readline()
                if not size_line:
                    raise APIConnectionError("The answer broke off inside a chunk.")
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # trailers, up to the blank line
                    while (await r.readline()) not in (b"\r\n", b"\n", b""):
                        pass
                    self._done = True
                    return b""
                self._chunk_left = size
            data = await r.read(min(self._chunk_left, 65536))
            if not data:
                raise APIConnectionError("The answer broke off inside a chunk.")
            self._chunk_left -= len(data)
            if self._chunk_left == 0:
                await r.readexactly(2)  # the chunk's CRLF
            return data
        if self._left is not None:
            if self._left == 0:
                self._done = True
                return b""
            data = await r.read(min(self._left, 65536))
            if not data:
                raise APIConnectionError("The answer ended before its Content-Length.")
            self._left -= len(data)
            return data
        data = await r.read(65536)
        if not data:
            self._done = True
        return data

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        while True:
            data = await self._read_some()
            if not data:
                return
            yield data

    async def iter_lines(self) -> AsyncIterator[bytes]:
        async for data in self.iter_bytes():
            self._buf += data
            while True:
                nl = self._buf.find(b"\n")
                if nl < 0:
                    break
                line, self._buf = self._buf[: nl + 1], self._buf[nl + 1 :]
                yield line
        if self._buf:
            line, self._buf = self._buf, b""
            yield line

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.iter_bytes()])

    async def close(self) -> None:
        self._done = True
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (OSError, ssl.SSLError):
            pass

    async def __aenter__(self) -> "AsyncRawResponse":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


class AsyncTransport:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def request(self, req: Request, *, raw: bool = False) -> Tuple[Any, Dict[str, str]]:
        s = self.settings
        attempt = 0
        while True:
            try:
                return await self._attempt(req, raw)
            except APIError as error:
                delay = retry_delay(s, error, attempt, s.max_retries)
                if delay is None:
                    raise
                attempt += 1
                result = announce_retry(s, req, attempt, delay, error)
                if asyncio.iscoroutine(result):
                    await result
                await asyncio.sleep(delay)

    async def _attempt(self, req: Request, raw: bool) -> Tuple[Any, Dict[str, str]]:
        timeout = self.settings.timeout
        try:
            resp = await asyncio.wait_for(self._open(req), timeout)
        except asyncio.TimeoutError as e:
            raise APITimeoutError(f"No answer within {timeout:g} s.") from e
        except (OSError, asyncio.IncompleteReadError, ValueError, ssl.SSLError) as e:
            raise APIConnectionError(f"Connection error: {e}") from e
        if resp.status_code >= 400:
            try:
                text = (await resp.read()).decode("utf-8", "replace")
            finally:
                await resp.close()
            raise make_error(resp.status_code, text, resp.headers)
        if raw:
            return resp, resp.headers
        try:
            body = await resp.read()
        finally:
            await resp.close()
        return (json.loads(body) if body else None), resp.headers

    async def _open(self, req: Request) -> AsyncRawResponse:
        url = urlsplit(req.url(self.settings.base_url))
        https = url.scheme == "https"
        host = url.hostname or "localhost"
        port = url.port or (443 if https else 80)
        ctx = ssl.create_default_context() if https else None
        reader, writer = await asyncio.open_connection(host, port, ssl=ctx, server_hostname=host if https else None, limit=_MAX_HEADER_LINE)
        try:
            data, ctype = req.payload()
            headers = headers_for(self.settings, req, ctype)
            target = url.path + (f"?{url.query}" if url.query else "")
            default_port = (https and port == 443) or (not https and port == 80)
            lines = [f"{req.method} {target or '/'} HTTP/1.1", f"Host: {host if default_port else f'{host}:{port}'}", "Connection: close", "Accept-Encoding: identity"]
            lines += [f"{k}: {v}" for k, v in headers.items()]
            if data is not None or req.method in ("POST", "PUT", "PATCH"):
                lines.append(f"Content-Length: {len(data or b'')}")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + (data or b""))
            await writer.drain()
            status_line = await reader.readline()
            parts = status_line.decode("latin-1").split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/"):
                raise APIConnectionError(f"Not an HTTP answer: {status_line[:80]!r}")
            status = int(parts[1])
            resp_headers: Dict[str, str] = {}
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                key = name.strip().lower()
                resp_headers[key] = f"{resp_headers[key]}, {value.strip()}" if key in resp_headers else value.strip()
            return AsyncRawResponse(status, resp_headers, reader, writer, self.settings.timeout)
        except BaseException:
            writer.close()
            raise

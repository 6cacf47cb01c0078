"""Streamed answers: iterate the events, or ``text_deltas()`` for the text; usage and the whole answer at the end."""
from __future__ import annotations

import json
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional

from ._async_http import AsyncRawResponse
from ._errors import stream_error
from ._http import RawResponse
from ._models import ChatCompletion, ChatCompletionChunk, Response, Usage
from ._sse import Event, aevents, events


class _ChatAccumulator:
    """Puts a chat stream's chunks back together: text, reasoning, tool calls, finish reason, usage."""

    def __init__(self) -> None:
        self.usage: Optional[Usage] = None
        self._id = ""
        self._model = ""
        self._created = 0
        self._text: List[str] = []
        self._reasoning: List[str] = []
        self._tools: List[Dict[str, Any]] = []
        self._finish: Optional[str] = None
        self.ended = False

    def _absorb(self, chunk: ChatCompletionChunk) -> None:
        self._id = self._id or chunk.get("id") or ""
        self._model = self._model or chunk.get("model") or ""
        self._created = self._created or chunk.get("created") or 0
        if chunk.get("usage"):
            self.usage = Usage(chunk["usage"].to_dict())
        for c in chunk.get("choices") or []:
            if c.get("index", 0) != 0:
                continue
            delta = c.get("delta")
            if delta is not None:
                if delta.get("content"):
                    self._text.append(delta["content"])
                if delta.get("reasoning_content"):
                    self._reasoning.append(delta["reasoning_content"])
                for t in delta.get("tool_calls") or []:
                    i = t.get("index", 0)
                    while len(self._tools) <= i:
                        self._tools.append({"id": "", "type": "function", "function": {"name": "", "arguments": ""}})
                    call = self._tools[i]
                    if t.get("id"):
                        call["id"] = t["id"]
                    fn = t.get("function")
                    if fn is not None:
                        call["function"]["name"] += fn.get("name") or ""
                        call["function"]["arguments"] += fn.get("arguments") or ""
            if c.get("finish_reason"):
                self._finish = c["finish_reason"]

    @property
    def text(self) -> str:
        """The text received so far (all of it once the stream ended)."""
        return "".join(self._text)

    def _completion(self) -> ChatCompletion:
        message: Dict[str, Any] = {"role": "assistant", "content": self.text}
        if self._reasoning:
            message["reasoning_content"] = "".join(self._reasoning)
        if self._tools:
            message["tool_calls"] = self._tools
        data: Dict[str, Any] = {"id": self._id, "object": "chat.completion", "created": self._created, "model": self._model, "choices": [{"index": 0, "message": message, "finish_reason": self._finish}]}
        if self.usage is not None:
            data["usage"] = self.usage.to_dict()
        return ChatCompletion(data)


def _chunk_of(e: Event, headers: Dict[str, str]) -> Optional[ChatCompletionChunk]:
    if e.data == "[DONE]":
        return None
    data = json.loads(e.data)
    # After the first byte a failure arrives in the stream itself.
    if isinstance(data, dict) and data.get("error"):
        raise stream_error(data, headers)
    return ChatCompletionChunk(data)


def _response_event_of(e: Event, headers: Dict[str, str]) -> Optional[Dict[str, Any]]:
    if e.data == "[DONE]":
        return None
    data = json.loads(e.data)
    if isinstance(data, dict) and data.get("type") == "error":
        raise stream_error({"error": data.get("error") or data}, headers)
    return data


_TERMINAL = ("response.completed", "response.incomplete", "response.failed")


class ChatStream(_ChatAccumulator):
    """A streamed chat completion. Iterate chunks, or ``text_deltas()``; ``usage`` and ``final_completion()`` at the end.

    Use it in a ``with`` block (or ``close()`` it) when you stop early: closing ends the call upstream too.
    """

    def __init__(self, raw: RawResponse) -> None:
        super().__init__()
        self._raw = raw
        self.request_id: Optional[str] = raw.headers.get("x-request-id")

    def __iter__(self) -> Iterator[ChatCompletionChunk]:
        try:
            for e in events(self._raw.iter_lines()):
                chunk = _chunk_of(e, self._raw.headers)
                if chunk is None:
                    break
                self._absorb(chunk)
                yield chunk
            self.ended = True
        finally:
            self._raw.close()

    def text_deltas(self) -> Iterator[str]:
        """The text as it arrives, piece by piece."""
        for chunk in self:
            for c in chunk.get("choices") or []:
                if c.get("index", 0) == 0 and c.get("delta") is not None and c["delta"].get("content"):
                    yield c["delta"]["content"]

    def final_completion(self) -> ChatCompletion:
        """Reads to the end (if not read yet) and returns the whole answer."""
        if not self.ended:
            for _ in self:
                pass
        return self._completion()

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> "ChatStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncChatStream(_ChatAccumulator):
    """The asyncio twin of :class:`ChatStream`: ``async for``, ``text_deltas()``, ``await final_completion()``."""

    def __init__(self, raw: AsyncRawResponse) -> None:
        super().__init__()
        self._raw = raw
        self.request_id: Optional[str] = raw.headers.get("x-request-id")

    async def __aiter__(self) -> AsyncIterator[ChatCompletionChunk]:
        try:
            async for e in aevents(self._raw.iter_lines()):
                chunk = _chunk_of(e, self._raw.headers)
                if chunk is None:
                    break
                self._absorb(chunk)
                yield chunk
            self.ended = True
        finally:
            await self._raw.close()

    async def text_deltas(self) -> AsyncIterator[str]:
        async for chunk in self:
            for c in chunk.get("choices") or []:
                if c.get("index", 0) == 0 and c.get("delta") is not None and c["delta"].get("content"):
                    yield c["delta"]["content"]

    async def final_completion(self) -> ChatCompletion:
        if not self.ended:
            async for _ in self:
                pass
        return self._completion()

    async def close(self) -> None:
        await self._raw.close()

    async def __aenter__(self) -> "AsyncChatStream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


class ResponseStream:
    """A streamed Responses API answer: its events (dicts with ``type``), ``text_deltas()``, and ``response`` at the end."""

    def __init__(self, raw: RawResponse) -> None:
        self._raw = raw
        #: The final Response (from ``response.completed``, ``.incomplete`` or ``.failed``).
        self.response: Optional[Response] = None

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        try:
            for e in events(self._raw.iter_lines()):
                event = _response_event_of(e, self._raw.headers)
                if event is None:
                    break
                if event.get("type") in _TERMINAL and isinstance(event.get("response"), dict):
                    self.response = Response(event["response"])
                yield event
        finally:
            self._raw.close()

    def text_deltas(self) -> Iterator[str]:
        for event in self:
            if event.get("type") == "response.output_text.delta" and isinstance(event.get("delta"), str):
                yield event["delta"]

    def final_response(self) -> Response:
        if self.response is None:
            for _ in self:
                pass
        if self.response is None:
            raise stream_error({"error": {"message": "The stream ended without a final response."}})
        return self.response

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> "ResponseStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncResponseStream:
    def __init__(self, raw: AsyncRawResponse) -> None:
        self._raw = raw
        self.response: Optional[Response] = None

    async def __aiter__(self) -> AsyncIterator[Dict[str, Any]]:
        try:
            async for e in aevents(self._raw.iter_lines()):
                event = _response_event_of(e, self._raw.headers)
                if event is None:
                    break
                if event.get("type") in _TERMINAL and isinstance(event.get("response"), dict):
                    self.response = Response(event["response"])
                yield event
        finally:
            await self._raw.close()

    async def text_deltas(self) -> AsyncIterator[str]:
        async for event in self:
            if event.get("type") == "response.output_text.delta" and isinstance(event.get("delta"), str):
                yield event["delta"]

    async def final_response(self) -> Response:
        if self.response is None:
            async for _ in self:
                pass
        if self.response is None:
            raise stream_error({"error": {"message": "The stream ended without a final response."}})
        return self.response

    async def close(self) -> None:
        await self._raw.close()

    async def __aenter__(self) -> "AsyncResponseStream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

"""Answers as objects: ``reply.choices[0].message.content`` as in the OpenAI SDK, typed for editors.

An :class:`APIObject` wraps the JSON the gateway sent: fields read as attributes or with ``[]``,
``to_dict()`` gives the JSON back. Subclasses declare the fields they know (and helpers such as
:attr:`ChatCompletion.text`); fields they do not declare are still there.
"""
from __future__ import annotations

import base64
import json
import sys
import typing
from typing import Any, Dict, Iterator, List, Optional, Tuple, Type, TypeVar, Union

T = TypeVar("T", bound="APIObject")


class APIObject:
    __slots__ = ("_data",)

    def __init__(self, data: Optional[Dict[str, Any]] = None) -> None:
        object.__setattr__(self, "_data", {})
        for k, v in (data or {}).items():
            self._data[k] = _wrap(v, _field_type(type(self), k))

    @classmethod
    def parse(cls: Type[T], data: Any) -> T:
        return cls(data if isinstance(data, dict) else {})

    def __getattr__(self, name: str) -> Any:
        data = object.__getattribute__(self, "_data")
        if name in data:
            return data[name]
        if _field_type(type(self), name) is not None or name in _hints(type(self)):
            return None  # a declared field the answer left out
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        self._data[name] = value

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def to_dict(self) -> Dict[str, Any]:
        """The answer as plain JSON values."""
        return _unwrap(self._data)

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, APIObject):
            return self.to_dict() == other.to_dict()
        if isinstance(other, dict):
            return self.to_dict() == other
        return NotImplemented

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_json()})"


_HINTS: Dict[type, Dict[str, Any]] = {}


def _hints(cls: type) -> Dict[str, Any]:
    if cls not in _HINTS:
        try:
            _HINTS[cls] = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
        except Exception:  # an annotation this Python cannot evaluate: fields stay generic
            _HINTS[cls] = {}
    return _HINTS[cls]


def _field_type(cls: type, name: str) -> Optional[Tuple[str, type]]:
    """('one', Cls) or ('list', Cls) when the field holds APIObject subclasses."""
    hint = _hints(cls).get(name)
    if hint is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Union:  # Optional[X]
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            return None
        hint, origin, args = inner[0], typing.get_origin(inner[0]), typing.get_args(inner[0])
    if origin in (list, List) and args and isinstance(args[0], type) and issubclass(args[0], APIObject):
        return ("list", args[0])
    if isinstance(hint, type) and issubclass(hint, APIObject):
        return ("one", hint)
    return None


def _wrap(value: Any, field: Optional[Tuple[str, type]] = None) -> Any:
    if isinstance(value, dict):
        return (field[1] if field and field[0] == "one" else APIObject)(value)
    if isinstance(value, list):
        item = (field[1], None) if field and field[0] == "list" else (None, None)
        return [item[0](v) if item[0] and isinstance(v, dict) else _wrap(v) for v in value]
    return value


def _unwrap(value: Any) -> Any:
    if isinstance(value, APIObject):
        return _unwrap(value._data)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


# Chat


class ToolCallFunction(APIObject):
    name: str
    arguments: str


class ToolCall(APIObject):
    id: str
    type: str
    function: ToolCallFunction


class ChatMessage(APIObject):
    role: str
    content: Optional[str]
    tool_calls: Optional[List[ToolCall]]
    reasoning_content: Optional[str]


class Choice(APIObject):
    index: int
    message: ChatMessage
    finish_reason: Optional[str]


class Usage(APIObject):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(APIObject):
    id: str
    model: str
    created: int
    choices: List[Choice]
    usage: Optional[Usage]

    @property
    def text(self) -> str:
        """The first choice's text ('' when the model only called tools)."""
        return (self.choices[0].message.content or "") if self.choices else ""


class ChunkDelta(APIObject):
    role: Optional[str]
    content: Optional[str]
    reasoning_content: Optional[str]


class ChunkChoice(APIObject):
    index: int
    delta: ChunkDelta
    finish_reason: Optional[str]


class ChatCompletionChunk(APIObject):
    id: str
    model: str
    created: int
    choices: List[ChunkChoice]
    usage: Optional[Usage]


# Responses API


class ResponseUsage(APIObject):
    input_tokens: int
    output_tokens: int
    total_tokens: int


class Response(APIObject):
    id: str
    model: str
    status: str
    output: List[APIObject]
    usage: Optional[ResponseUsage]

    @property
    def output_text(self) -> str:
        """The text of every message in the output, joined."""
        parts = []
        for item in self.output or []:
            if item.get("type") == "message":
                for c in item.get("content") or []:
                    if c.get("type") == "output_text" and isinstance(c.get("text"), str):
                        parts.append(c["text"])
        return "".join(parts)


# Embeddings, images, audio, rerank


class Embedding(APIObject):
    index: int
    embedding: List[float]


class EmbeddingResponse(APIObject):
    model: str
    data: List[Embedding]
    usage: Optional[Usage]

    @property
    def vectors(self) -> List[List[float]]:
        return [d.embedding for d in self.data]


class Image(APIObject):
    url: Optional[str]
    b64_json: Optional[str]
    revised_prompt: Optional[str]

    def bytes(self) -> bytes:
        """The PNG's bytes (base64 answers; for ``url`` answers use ``client.images.download``)."""
        if not self.b64_json:
            raise ValueError("This image came as a link: use client.images.download(image).")
        return base64.b64decode(self.b64_json)

    def save(self, path: str) -> str:
        with open(path, "wb") as f:
            f.write(self.bytes())
        return path


class ImagesResponse(APIObject):
    created: int
    data: List[Image]

    def save(self, path: str) -> str:
        """Writes the first image to ``path`` (a ``.png``); returns the path."""
        return self.data[0].save(path)


class Transcription(APIObject):
    text: str
    language: Optional[str]
    duration: Optional[float]


class RerankResult(APIObject):
    index: int
    relevance_score: float


class RerankResponse(APIObject):
    results: List[RerankResult]


# Models and the account


class ModelPrice(APIObject):
    """What one unit costs this account, in P (1 P = US$0.001), its group's multiplier applied."""

    input: float
    output: float
    cachedInput: float
    reasoning: float  # per 1K reasoning tokens, billed as output tokens
    perImage: Optional[float]
    perKChars: Optional[float]
    perSecond: Optional[float]
    perMinute: Optional[float]
    perKSearches: Optional[float]


class Model(APIObject):
    id: str
    ownedBy: str
    #: chat, completion, image, embedding, speech, transcription or rerank
    capability: str
    price: Optional[ModelPrice]
    #: image models: the sizes every channel serving it accepts (None: any size the provider takes)
    imageSizes: Optional[List[str]]


class Balance(APIObject):
    balance: float
    group: str
    multiplier: float
    lowBalanceThreshold: Optional[float]
    notices: List[APIObject]


class UsageSummary(APIObject):
    days: List[APIObject]
    models: List[APIObject]


class Call(APIObject):
    """One relayed call as the request log keeps it (never its content)."""

    id: str
    created_at: int
    model_requested: Optional[str]
    status: int
    prompt_tokens: int
    completion_tokens: int
    cost: float
    latency_ms: int


class CallPage(APIObject):
    items: List[Call]
    total: int


class Redemption(APIObject):
    amount: float
    balance: float
    #: True when the gateway answered a repeat with the first answer (the same idempotency key).
    replayed: bool

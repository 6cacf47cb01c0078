"""
What each call sends and how its answer is read, shared by the sync and async clients: the
resources only choose the transport.
"""
from __future__ import annotations

import base64
import mimetypes
import os
import struct
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from ._base import Request
from ._multipart import FileInput, encode, read_file

Message = Mapping[str, Any]


def drop_none(d: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def chat(params: Mapping[str, Any], stream: bool) -> Request:
    body = drop_none(params)
    if stream:
        # The final usage is always asked for: the stream's `usage` is filled at its end.
        body["stream"] = True
        body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
    else:
        body.pop("stream", None)
    return Request("POST", "/v1/chat/completions", json=body)


def responses(params: Mapping[str, Any], stream: bool) -> Request:
    body = drop_none(params)
    if stream:
        body["stream"] = True
    else:
        body.pop("stream", None)
    return Request("POST", "/v1/responses", json=body)


def embeddings(params: Mapping[str, Any]) -> Request:
    return Request("POST", "/v1/embeddings", json=drop_none(params))


def decode_embeddings(data: Dict[str, Any]) -> Dict[str, Any]:
    """base64 vectors (little-endian float32) become lists of floats."""
    for d in data.get("data") or []:
        if isinstance(d.get("embedding"), str):
            raw = base64.b64decode(d["embedding"])
            d["embedding"] = list(struct.unpack(f"<{len(raw) // 4}f", raw))
    return data


def images_generate(params: Mapping[str, Any]) -> Request:
    body = drop_none(params)
    body.setdefault("response_format", "b64_json")
    return Request("POST", "/v1/images/generations", json=body)


def images_edit(image: FileInput, mask: Optional[FileInput], fields: Mapping[str, Any]) -> Request:
    files = {"image": read_file(image, "image.png")}
    if mask is not None:
        files["mask"] = read_file(mask, "mask.png")
    form = drop_none(fields)
    form.setdefault("response_format", "b64_json")
    return Request("POST", "/v1/images/edits", body=encode(form, files))


def speech(params: Mapping[str, Any]) -> Request:
    return Request("POST", "/v1/audio/speech", json=drop_none(params))


def transcription(path: str, file: FileInput, fields: Mapping[str, Any]) -> Request:
    return Request("POST", path, body=encode(drop_none(fields), {"file": read_file(file, "audio.wav")}))


TEXT_FORMATS = ("text", "srt", "vtt")


def rerank(params: Mapping[str, Any]) -> Request:
    return Request("POST", "/v1/rerank", json=drop_none(params))


def token_count(model: str, messages: Optional[Sequence[Message]], input: Any, instructions: Optional[str], tools: Optional[Sequence[Mapping[str, Any]]]) -> Request:
    body: Dict[str, Any] = {"model": model, "input": to_responses_input(messages) if messages is not None else (input if input is not None else "")}
    if instructions is not None:
        body["instructions"] = instructions
    if tools:
        body["tools"] = [{"type": "function", **t["function"]} if "function" in t else dict(t) for t in tools]
    return Request("POST", "/v1/responses/input_tokens", json=body)


def to_responses_input(messages: Sequence[Message]) -> List[Dict[str, Any]]:
    """Chat messages as Responses input items: turns, tool calls and their results."""
    out: List[Dict[str, Any]] = []
    for m in messages:
        role = m.get("role")
        content = m.get("content")
        if role == "tool":
            out.append({"type": "function_call_output", "call_id": m.get("tool_call_id", ""), "output": _text_of(content)})
            continue
        if content not in (None, ""):
            if isinstance(content, str):
                out.append({"role": role, "content": content})
            else:
                parts = []
                for p in content:
                    if p.get("type") == "text":
                        parts.append({"type": "output_text" if role == "assistant" else "input_text", "text": p.get("text", "")})
                    elif p.get("type") == "image_url":
                        parts.append({"type": "input_image", "image_url": (p.get("image_url") or {}).get("url")})
                out.append({"role": role, "content": parts})
        for call in m.get("tool_calls") or []:
            fn = call.get("function") or {}
            out.append({"type": "function_call", "call_id": call.get("id", ""), "name": fn.get("name", ""), "arguments": fn.get("arguments", "")})
    return out


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in (content or []) if p.get("type") == "text")


def account() -> Request:
    return Request("GET", "/api/billing/account")


def usage(days: Optional[int]) -> Request:
    return Request("GET", "/api/billing/usage", query={"days": days})


def calls(limit: Optional[int], offset: Optional[int], model: Optional[str], status: Optional[str], since: Optional[int], until: Optional[int]) -> Request:
    return Request("GET", "/api/logs", query={"limit": limit, "offset": offset, "model": model, "status": status, "from": since, "to": until})


def redeem(code: str, idempotency_key: Optional[str]) -> Request:
    return Request("POST", "/api/billing/redeem", json={"code": code}, idempotency_key=idempotency_key)


def models() -> Request:
    return Request("GET", "/api/models")


def image_part(image: Union[str, "os.PathLike[str]", bytes], mime: Optional[str] = None) -> Dict[str, Any]:
    """A chat message part carrying an image: a URL as is, or a file or bytes as a data URL.

    >>> {"role": "user", "content": [{"type": "text", "text": "What is this?"}, image_part("cat.png")]}
    """
    if isinstance(image, str) and image.startswith(("http://", "https://", "data:")):
        return {"type": "image_url", "image_url": {"url": image}}
    if isinstance(image, (bytes, bytearray)):
        data, kind = bytes(image), mime or "image/png"
    else:
        with open(image, "rb") as f:
            data = f.read()
        kind = mime or mimetypes.guess_type(os.fspath(image))[0] or "image/png"
    return {"type": "image_url", "image_url": {"url": f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"}}

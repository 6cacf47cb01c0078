"""The clients: :class:`Client` (blocking) and :class:`AsyncClient` (asyncio), one surface for every model and the account."""
from __future__ import annotations

import json
import urllib.request
from urllib.parse import quote
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Union, overload

from . import _requests as R
from ._async_http import AsyncRawResponse, AsyncTransport
from ._base import RetryInfo, Settings
from ._errors import APIConnectionError, NotFoundError
from ._http import RawResponse, SyncTransport
from ._models import Balance, CallPage, ChatCompletion, EmbeddingResponse, Image, ImagesResponse, Model, Redemption, RerankResponse, Response, Transcription, UsageSummary
from ._multipart import FileInput
from ._streaming import AsyncChatStream, AsyncResponseStream, ChatStream, ResponseStream

from typing import Literal

Message = Mapping[str, Any]


class BinaryResponse:
    """Audio as it streams from the gateway: ``content``, ``save(path)``, or ``iter_bytes()``."""

    def __init__(self, raw: RawResponse) -> None:
        self._raw = raw
        self.content_type: str = raw.headers.get("content-type", "")
        self._content: Optional[bytes] = None

    @property
    def content(self) -> bytes:
        if self._content is None:
            with self._raw:
                self._content = self._raw.read()
        return self._content

    def iter_bytes(self, chunk_size: int = 65536) -> Iterator[bytes]:
        with self._raw:
            yield from self._raw.iter_bytes(chunk_size)

    def save(self, path: str) -> str:
        """Writes the audio to ``path`` as it arrives; returns the path."""
        with open(path, "wb") as f:
            if self._content is not None:
                f.write(self._content)
            else:
                for chunk in self.iter_bytes():
                    f.write(chunk)
        return path


class AsyncBinaryResponse:
    def __init__(self, raw: AsyncRawResponse) -> None:
        self._raw = raw
        self.content_type: str = raw.headers.get("content-type", "")

    async def read(self) -> bytes:
        async with self._raw:
            return await self._raw.read()

    async def iter_bytes(self) -> Any:
        async with self._raw:
            async for chunk in self._raw.iter_bytes():
                yield chunk

    async def save(self, path: str) -> str:
        with open(path, "wb") as f:
            async for chunk in self.iter_bytes():
                f.write(chunk)
        return path


# Blocking resources


class _Sync:
    def __init__(self, t: SyncTransport) -> None:
        self._t = t

    def _json(self, req: Any) -> Any:
        return self._t.request(req)[0]


class Completions(_Sync):
    @overload
    def create(self, *, model: str, messages: Sequence[Message], stream: Literal[True], **params: Any) -> ChatStream: ...
    @overload
    def create(self, *, model: str, messages: Sequence[Message], stream: Literal[False] = False, **params: Any) -> ChatCompletion: ...

    def create(self, *, model: str, messages: Sequence[Message], stream: bool = False, **params: Any) -> Union[ChatCompletion, ChatStream]:
        """A chat completion from any chat model: ``tools``, ``tool_choice``, ``response_format`` (JSON),
        ``temperature``, ``max_tokens``, ``stop``… as OpenAI's API takes them. ``stream=True`` gives a :class:`ChatStream`."""
        if stream:
            return self.stream(model=model, messages=messages, **params)
        return ChatCompletion.parse(self._json(R.chat({"model": model, "messages": list(messages), **params}, False)))

    def stream(self, *, model: str, messages: Sequence[Message], **params: Any) -> ChatStream:
        """A streamed completion; ``usage`` is there once it ends. Use it in a ``with`` block."""
        raw, _ = self._t.request(R.chat({"model": model, "messages": list(messages), **params}, True), raw=True)
        return ChatStream(raw)


class Chat:
    def __init__(self, t: SyncTransport) -> None:
        self.completions = Completions(t)


class Responses(_Sync):
    """OpenAI's Responses API on every chat model; responses are stored (``store`` defaults to true)."""

    @overload
    def create(self, *, model: str, input: Any, stream: Literal[True], **params: Any) -> ResponseStream: ...
    @overload
    def create(self, *, model: str, input: Any, stream: Literal[False] = False, **params: Any) -> Response: ...

    def create(self, *, model: str, input: Any, stream: bool = False, **params: Any) -> Union[Response, ResponseStream]:
        if stream:
            return self.stream(model=model, input=input, **params)
        return Response.parse(self._json(R.responses({"model": model, "input": input, **params}, False)))

    def stream(self, *, model: str, input: Any, **params: Any) -> ResponseStream:
        raw, _ = self._t.request(R.responses({"model": model, "input": input, **params}, True), raw=True)
        return ResponseStream(raw)

    def retrieve(self, response_id: str) -> Response:
        return Response.parse(self._json(R.Request("GET", f"/v1/responses/{_seg(response_id)}")))

    def delete(self, response_id: str) -> Dict[str, Any]:
        return self._json(R.Request("DELETE", f"/v1/responses/{_seg(response_id)}"))


class Embeddings(_Sync):
    def create(self, *, model: str, input: Union[str, Sequence[str]], encoding_format: Optional[str] = None, dimensions: Optional[int] = None, **params: Any) -> EmbeddingResponse:
        """Vectors as lists of floats (a ``base64`` answer is decoded for you)."""
        data = self._json(R.embeddings({"model": model, "input": input, "encoding_format": encoding_format, "dimensions": dimensions, **params}))
        return EmbeddingResponse.parse(R.decode_embeddings(data))


class Images(_Sync):
    def generate(self, *, prompt: str, model: Optional[str] = None, n: Optional[int] = None, size: Optional[str] = None, quality: Optional[str] = None, response_format: str = "b64_json", extra: Optional[Mapping[str, Any]] = None, **params: Any) -> ImagesResponse:
        """Images from any image model. ``.save("cat.png")`` on the answer writes the first one.
        ``extra`` carries provider settings: negative_prompt, steps, sampler, seed, cfg_scale."""
        body = {"prompt": prompt, "model": model, "n": n, "size": size, "quality": quality, "response_format": response_format, "extra": dict(extra) if extra else None, **params}
        return ImagesResponse.parse(self._json(R.images_generate(body)))

    def edit(self, *, image: FileInput, prompt: str, mask: Optional[FileInput] = None, model: Optional[str] = None, n: Optional[int] = None, size: Optional[str] = None, response_format: str = "b64_json") -> ImagesResponse:
        """img2img / edits (a path, bytes or an open file): on Stable Diffusion WebUI and OpenAI channels."""
        return ImagesResponse.parse(self._json(R.images_edit(image, mask, {"prompt": prompt, "model": model, "n": n, "size": size, "response_format": response_format})))

    def download(self, image: Image) -> bytes:
        """An image's bytes: decoded from base64, or fetched from its signed link."""
        if image.b64_json:
            return image.bytes()
        url = image.url or ""
        if url.startswith("/"):
            url = self._t.settings.base_url + url
        try:
            with urllib.request.urlopen(url, timeout=self._t.settings.timeout) as resp:
                return resp.read()
        except OSError as e:
            raise APIConnectionError(f"Fetching the image failed: {e}") from e


class Speech(_Sync):
    def create(self, *, model: str, input: str, voice: str, response_format: Optional[str] = None, speed: Optional[float] = None, instructions: Optional[str] = None) -> BinaryResponse:
        raw, _ = self._t.request(R.speech({"model": model, "input": input, "voice": voice, "response_format": response_format, "speed": speed, "instructions": instructions}), raw=True)
        return BinaryResponse(raw)


class Transcriptions(_Sync):
    def __init__(self, t: SyncTransport, path: str) -> None:
        super().__init__(t)
        self._path = path

    def create(self, *, file: FileInput, model: str, language: Optional[str] = None, prompt: Optional[str] = None, response_format: Optional[str] = None, temperature: Optional[float] = None, timestamp_granularities: Optional[List[str]] = None) -> Union[Transcription, str]:
        """JSON formats give a :class:`Transcription`; ``text``, ``srt`` and ``vtt`` give the text itself."""
        fields = {"model": model, "language": language, "prompt": prompt, "response_format": response_format, "temperature": temperature, "timestamp_granularities": timestamp_granularities}
        raw, _ = self._t.request(R.transcription(self._path, file, fields), raw=True)
        with raw:
            text = raw.read().decode("utf-8")
        if response_format in R.TEXT_FORMATS:
            return text
        return Transcription.parse(json.loads(text))


class Audio:
    def __init__(self, t: SyncTransport) -> None:
        self.speech = Speech(t)
        self.transcriptions = Transcriptions(t, "/v1/audio/transcriptions")
        self.translations = Transcriptions(t, "/v1/audio/translations")


class Rerank(_Sync):
    def create(self, *, model: str, query: str, documents: Sequence[Union[str, Mapping[str, Any]]], top_n: Optional[int] = None, return_documents: Optional[bool] = None, **params: Any) -> RerankResponse:
        """Documents ordered by relevance to the query (Cohere / Jina shape)."""
        return RerankResponse.parse(self._json(R.rerank({"model": model, "query": query, "documents": list(documents), "top_n": top_n, "return_documents": return_documents, **params})))


class Models(_Sync):
    def list(self) -> List[Model]:
        """The models this key may use, each with the price this account pays (P per unit)."""
        return [Model(m) for m in self._json(R.models())["items"]]

    def retrieve(self, model: str) -> Model:
        for m in self.list():
            if m.id == model:
                return m
        raise NotFoundError(f"The model `{model}` does not exist or this key may not use it.", status_code=404, body={"code": "model_not_found", "param": "model"})


class Tokens(_Sync):
    def count(self, *, model: str, messages: Optional[Sequence[Message]] = None, input: Any = None, instructions: Optional[str] = None, tools: Optional[Sequence[Mapping[str, Any]]] = None) -> int:
        """The prompt's input tokens as the model's provider counts them."""
        return int(self._json(R.token_count(model, messages, input, instructions, tools))["input_tokens"])


class Account(_Sync):
    """The account behind the key: credit, spend, the key's calls, and codes to redeem."""

    def balance(self) -> Balance:
        return Balance.parse(self._json(R.account()))

    def usage(self, days: Optional[int] = None) -> UsageSummary:
        return UsageSummary.parse(self._json(R.usage(days)))

    def calls(self, limit: Optional[int] = None, offset: Optional[int] = None, *, model: Optional[str] = None, status: Optional[str] = None, since: Optional[int] = None, until: Optional[int] = None) -> CallPage:
        """This key's calls, newest first (``status``: ``ok`` or ``error``; times in epoch ms)."""
        return CallPage.parse(self._json(R.calls(limit, offset, model, status, since, until)))

    def redeem(self, code: str, *, idempotency_key: Optional[str] = None) -> Redemption:
        """Adds a code's value to the balance. Retries reuse one idempotency key, so the code is applied once."""
        data, headers = self._t.request(R.redeem(code, idempotency_key))
        return Redemption({**data, "replayed": headers.get("idempotent-replayed") == "true"})


class Client:
    """Every model and modality behind an APIGPT gateway, and the account.

    ``api_key`` and ``base_url`` default to ``AIGCCLOUD_API_KEY`` and ``AIGCCLOUD_BASE_URL``
    (``http://localhost:3000`` when unset). ``timeout`` is in seconds (the connection and each read).
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        max_retry_wait: Optional[float] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        on_retry: Optional[Callable[[RetryInfo], Any]] = None,
    ) -> None:
        self._init(Settings.from_args(api_key, base_url, timeout, max_retries, default_headers, on_retry, max_retry_wait))

    def _init(self, settings: Settings) -> None:
        t = SyncTransport(settings)
        self._settings = settings
        self.chat = Chat(t)
        self.responses = Responses(t)
        self.embeddings = Embeddings(t)
        self.images = Images(t)
        self.audio = Audio(t)
        self.rerank = Rerank(t)
        self.models = Models(t)
        self.tokens = Tokens(t)
        self.account = Account(t)

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    def with_options(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None, max_retry_wait: Optional[float] = None) -> "Client":
        """A copy with other settings: ``client.with_options(timeout=5, max_retries=0).chat…``."""
        c = object.__new__(Client)
        c._init(self._settings.but(timeout=timeout, max_retries=max_retries, max_retry_wait=max_retry_wait))
        return c

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def close(self) -> None:
        """Nothing is pooled: each call has its own connection."""


# Asyncio resources


class _Async:
    def __init__(self, t: AsyncTransport) -> None:
        self._t = t

    async def _json(self, req: Any) -> Any:
        return (await self._t.request(req))[0]


class AsyncCompletions(_Async):
    async def create(self, *, model: str, messages: Sequence[Message], stream: bool = False, **params: Any) -> Union[ChatCompletion, AsyncChatStream]:
        if stream:
            return await self.stream(model=model, messages=messages, **params)
        return ChatCompletion.parse(await self._json(R.chat({"model": model, "messages": list(messages), **params}, False)))

    async def stream(self, *, model: str, messages: Sequence[Message], **params: Any) -> AsyncChatStream:
        raw, _ = await self._t.request(R.chat({"model": model, "messages": list(messages), **params}, True), raw=True)
        return AsyncChatStream(raw)


class AsyncChat:
    def __init__(self, t: AsyncTransport) -> None:
        self.completions = AsyncCompletions(t)


class AsyncResponses(_Async):
    async def create(self, *, model: str, input: Any, stream: bool = False, **params: Any) -> Union[Response, AsyncResponseStream]:
        if stream:
            return await self.stream(model=model, input=input, **params)
        return Response.parse(await self._json(R.responses({"model": model, "input": input, **params}, False)))

    async def stream(self, *, model: str, input: Any, **params: Any) -> AsyncResponseStream:
        raw, _ = await self._t.request(R.responses({"model": model, "input": input, **params}, True), raw=True)
        return AsyncResponseStream(raw)

    async def retrieve(self, response_id: str) -> Response:
        return Response.parse(await self._json(R.Request("GET", f"/v1/responses/{_seg(response_id)}")))

    async def delete(self, response_id: str) -> Dict[str, Any]:
        return await self._json(R.Request("DELETE", f"/v1/responses/{_seg(response_id)}"))


class AsyncEmbeddings(_Async):
    async def create(self, *, model: str, input: Union[str, Sequence[str]], encoding_format: Optional[str] = None, dimensions: Optional[int] = None, **params: Any) -> EmbeddingResponse:
        data = await self._json(R.embeddings({"model": model, "input": input, "encoding_format": encoding_format, "dimensions": dimensions, **params}))
        return EmbeddingResponse.parse(R.decode_embeddings(data))


class AsyncImages(_Async):
    async def generate(self, *, prompt: str, model: Optional[str] = None, n: Optional[int] = None, size: Optional[str] = None, quality: Optional[str] = None, response_format: str = "b64_json", extra: Optional[Mapping[str, Any]] = None, **params: Any) -> ImagesResponse:
        body = {"prompt": prompt, "model": model, "n": n, "size": size, "quality": quality, "response_format": response_format, "extra": dict(extra) if extra else None, **params}
        return ImagesResponse.parse(await self._json(R.images_generate(body)))

    async def edit(self, *, image: FileInput, prompt: str, mask: Optional[FileInput] = None, model: Optional[str] = None, n: Optional[int] = None, size: Optional[str] = None, response_format: str = "b64_json") -> ImagesResponse:
        return ImagesResponse.parse(await self._json(R.images_edit(image, mask, {"prompt": prompt, "model": model, "n": n, "size": size, "response_format": response_format})))


class AsyncSpeech(_Async):
    async def create(self, *, model: str, input: str, voice: str, response_format: Optional[str] = None, speed: Optional[float] = None, instructions: Optional[str] = None) -> AsyncBinaryResponse:
        raw, _ = await self._t.request(R.speech({"model": model, "input": input, "voice": voice, "response_format": response_format, "speed": speed, "instructions": instructions}), raw=True)
        return AsyncBinaryResponse(raw)


class AsyncTranscriptions(_Async):
    def __init__(self, t: AsyncTransport, path: str) -> None:
        super().__init__(t)
        self._path = path

    async def create(self, *, file: FileInput, model: str, language: Optional[str] = None, prompt: Optional[str] = None, response_format: Optional[str] = None, temperature: Optional[float] = None, timestamp_granularities: Optional[List[str]] = None) -> Union[Transcription, str]:
        fields = {"model": model, "language": language, "prompt": prompt, "response_format": response_format, "temperature": temperature, "timestamp_granularities": timestamp_granularities}
        raw, _ = await self._t.request(R.transcription(self._path, file, fields), raw=True)
        async with raw:
            text = (await raw.read()).decode("utf-8")
        if response_format in R.TEXT_FORMATS:
            return text
        return Transcription.parse(json.loads(text))


class AsyncAudio:
    def __init__(self, t: AsyncTransport) -> None:
        self.speech = AsyncSpeech(t)
        self.transcriptions = AsyncTranscriptions(t, "/v1/audio/transcriptions")
        self.translations = AsyncTranscriptions(t, "/v1/audio/translations")


class AsyncRerank(_Async):
    async def create(self, *, model: str, query: str, documents: Sequence[Union[str, Mapping[str, Any]]], top_n: Optional[int] = None, return_documents: Optional[bool] = None, **params: Any) -> RerankResponse:
        return RerankResponse.parse(await self._json(R.rerank({"model": model, "query": query, "documents": list(documents), "top_n": top_n, "return_documents": return_documents, **params})))


class AsyncModels(_Async):
    async def list(self) -> List[Model]:
        return [Model(m) for m in (await self._json(R.models()))["items"]]

    async def retrieve(self, model: str) -> Model:
        for m in await self.list():
            if m.id == model:
                return m
        raise NotFoundError(f"The model `{model}` does not exist or this key may not use it.", status_code=404, body={"code": "model_not_found", "param": "model"})


class AsyncTokens(_Async):
    async def count(self, *, model: str, messages: Optional[Sequence[Message]] = None, input: Any = None, instructions: Optional[str] = None, tools: Optional[Sequence[Mapping[str, Any]]] = None) -> int:
        return int((await self._json(R.token_count(model, messages, input, instructions, tools)))["input_tokens"])


class AsyncAccount(_Async):
    async def balance(self) -> Balance:
        return Balance.parse(await self._json(R.account()))

    async def usage(self, days: Optional[int] = None) -> UsageSummary:
        return UsageSummary.parse(await self._json(R.usage(days)))

    async def calls(self, limit: Optional[int] = None, offset: Optional[int] = None, *, model: Optional[str] = None, status: Optional[str] = None, since: Optional[int] = None, until: Optional[int] = None) -> CallPage:
        return CallPage.parse(await self._json(R.calls(limit, offset, model, status, since, until)))

    async def redeem(self, code: str, *, idempotency_key: Optional[str] = None) -> Redemption:
        data, headers = await self._t.request(R.redeem(code, idempotency_key))
        return Redemption({**data, "replayed": headers.get("idempotent-replayed") == "true"})


class AsyncClient:
    """The asyncio twin of :class:`Client` (standard library only): every method is awaited; streams
    are read with ``async for``. ``on_retry`` may be a coroutine function."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        max_retry_wait: Optional[float] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        on_retry: Optional[Callable[[RetryInfo], Any]] = None,
    ) -> None:
        self._init(Settings.from_args(api_key, base_url, timeout, max_retries, default_headers, on_retry, max_retry_wait))

    def _init(self, settings: Settings) -> None:
        t = AsyncTransport(settings)
        self._settings = settings
        self.chat = AsyncChat(t)
        self.responses = AsyncResponses(t)
        self.embeddings = AsyncEmbeddings(t)
        self.images = AsyncImages(t)
        self.audio = AsyncAudio(t)
        self.rerank = AsyncRerank(t)
        self.models = AsyncModels(t)
        self.tokens = AsyncTokens(t)
        self.account = AsyncAccount(t)

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    def with_options(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None, max_retry_wait: Optional[float] = None) -> "AsyncClient":
        c = object.__new__(AsyncClient)
        c._init(self._settings.but(timeout=timeout, max_retries=max_retries, max_retry_wait=max_retry_wait))
        return c

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        pass


def _seg(s: str) -> str:
    return quote(s, safe="")

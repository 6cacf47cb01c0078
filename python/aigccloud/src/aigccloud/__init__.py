"""aigccloud: one client for every model and modality behind an APIGPT gateway, and the account.

    from aigccloud import Client
    client = Client()  # AIGCCLOUD_API_KEY, AIGCCLOUD_BASE_URL
    print(client.chat.completions.create(model="glm-4", messages=[{"role": "user", "content": "你好"}]).text)

Standard library only; Python 3.9+.
"""
from ._base import RetryInfo
from ._client import AsyncBinaryResponse, AsyncClient, BinaryResponse, Client
from ._errors import (
    AIGCCloudError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContentFilterError,
    InsufficientCreditError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UpstreamError,
)
from ._models import (
    APIObject,
    Balance,
    Call,
    CallPage,
    ChatCompletion,
    ChatCompletionChunk,
    EmbeddingResponse,
    Image,
    ImagesResponse,
    Model,
    ModelPrice,
    Redemption,
    RerankResponse,
    Response,
    Transcription,
    Usage,
    UsageSummary,
)
from ._requests import image_part
from ._streaming import AsyncChatStream, AsyncResponseStream, ChatStream, ResponseStream
from ._version import __version__

__all__ = [
    "Client",
    "AsyncClient",
    "RetryInfo",
    "image_part",
    "BinaryResponse",
    "AsyncBinaryResponse",
    "ChatStream",
    "AsyncChatStream",
    "ResponseStream",
    "AsyncResponseStream",
    "AIGCCloudError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ContentFilterError",
    "InsufficientCreditError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UpstreamError",
    "APIObject",
    "Balance",
    "Call",
    "CallPage",
    "ChatCompletion",
    "ChatCompletionChunk",
    "EmbeddingResponse",
    "Image",
    "ImagesResponse",
    "Model",
    "ModelPrice",
    "Redemption",
    "RerankResponse",
    "Response",
    "Transcription",
    "Usage",
    "UsageSummary",
    "__version__",
]

"""multipart/form-data bodies (uploads) with the standard library alone."""
from __future__ import annotations

import mimetypes
import os
import uuid
from typing import IO, Any, Dict, List, Optional, Tuple, Union

#: What an upload may be: a path, bytes, an open binary file, or ``(filename, bytes)``.
FileInput = Union[str, "os.PathLike[str]", bytes, IO[bytes], Tuple[str, bytes]]


def read_file(f: FileInput, default_name: str) -> Tuple[str, bytes]:
    """The upload's file name and bytes."""
    if isinstance(f, tuple):
        return f[0], f[1]
    if isinstance(f, (bytes, bytearray)):
        return default_name, bytes(f)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return os.path.basename(os.fspath(f)), fh.read()
    data = f.read()
    name = getattr(f, "name", None)
    return (os.path.basename(name) if isinstance(name, str) else default_name), data


def encode(fields: Dict[str, Any], files: Dict[str, Tuple[str, bytes]]) -> Tuple[bytes, str]:
    """The body and its content type. Lists become repeated ``name[]`` fields, as OpenAI's API reads them."""
    boundary = f"aigccloud-{uuid.uuid4().hex}"
    parts: List[bytes] = []

    def part(headers: str, data: bytes) -> None:
        parts.append(f"--{boundary}\r\n{headers}\r\n\r\n".encode("utf-8") + data + b"\r\n")

    for name, value in fields.items():
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        key = f"{name}[]" if isinstance(value, (list, tuple)) else name
        for v in values:
            text = ("true" if v else "false") if isinstance(v, bool) else str(v)
            part(f'Content-Disposition: form-data; name="{key}"', text.encode("utf-8"))
    for name, (filename, data) in files.items():
        ctype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        safe = filename.replace('"', "_").replace("\r", "_").replace("\n", "_")
        part(f'Content-Disposition: form-data; name="{name}"; filename="{safe}"\r\nContent-Type: {ctype}', data)
    parts.append(f"--{boundary}--\r\n".encode("utf-8"))
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def content_type_of(name: Optional[str]) -> str:
    return (mimetypes.guess_type(name or "")[0]) or "application/octet-stream"

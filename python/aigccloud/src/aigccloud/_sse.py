"""Server-sent events from lines of bytes: the ``event:`` name and the joined ``data:`` lines."""
from __future__ import annotations

from typing import AsyncIterator, Iterator, List, NamedTuple, Optional


class Event(NamedTuple):
    event: Optional[str]
    data: str


class Decoder:
    """Feeds on lines (bytes, with or without their line ending); gives an Event at each blank line."""

    def __init__(self) -> None:
        self._event: Optional[str] = None
        self._data: List[str] = []
        self._seen = False

    def line(self, raw: bytes) -> Optional[Event]:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            return self.flush()
        if line.startswith("data:"):
            value = line[5:]
            self._data.append(value[1:] if value.startswith(" ") else value)
            self._seen = True
        elif line.startswith("event:"):
            self._event = line[6:].strip()
        return None  # comments (": keep-alive"), ids and retries are skipped

    def flush(self) -> Optional[Event]:
        out = Event(self._event, "\n".join(self._data)) if self._seen else None
        self._event, self._data, self._seen = None, [], False
        return out


def events(lines: Iterator[bytes]) -> Iterator[Event]:
    d = Decoder()
    for raw in lines:
        e = d.line(raw)
        if e is not None:
            yield e
    last = d.flush()
    if last is not None:
        yield last


async def aevents(lines: AsyncIterator[bytes]) -> AsyncIterator[Event]:
    d = Decoder()
    async for raw in lines:
        e = d.line(raw)
        if e is not None:
            yield e
    last = d.flush()
    if last is not None:
        yield last

"""
What the tests know about the gateway they run against (started by unittest.test.ts, which passes it
in the environment): keys, the simulator behind the flaky model, and the simulator's reply rules.
"""
from __future__ import annotations

import json
import os
import struct
import unittest
import urllib.request
from typing import Any, Dict, List, Optional

BASE_URL = os.environ.get("AIGCCLOUD_BASE_URL", "")
API_KEY = os.environ.get("AIGCCLOUD_API_KEY", "")
BROKE_KEY = os.environ.get("AIGCCLOUD_TEST_BROKE_KEY", "")
KEY_ID = os.environ.get("AIGCCLOUD_TEST_KEY_ID", "")
ROOT_TOKEN = os.environ.get("AIGCCLOUD_TEST_ROOT_TOKEN", "")
FLAKY_URL = os.environ.get("AIGCCLOUD_TEST_FLAKY_URL", "")
MODELS: Dict[str, str] = json.loads(os.environ.get("AIGCCLOUD_TEST_MODELS", "{}"))

#: Skips a module when no test gateway was given (run through `npm test` or unittest.test.ts).
needs_gateway = unittest.skipUnless(BASE_URL and API_KEY and MODELS, "needs a test gateway (AIGCCLOUD_BASE_URL, AIGCCLOUD_API_KEY, AIGCCLOUD_TEST_MODELS)")


def simulated_reply(text: str) -> str:
    """The simulator's answer to a last user turn (packages/simulator/README.md, "Replies and usage")."""
    return f'This is a simulated reply to "{text}". The quick brown fox jumps over the lazy dog.'


def _call(method: str, url: str, body: Any = None, token: Optional[str] = None) -> Any:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode("utf-8")
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers), timeout=30) as r:
        return json.loads(r.read() or b"null")


def new_codes(count: int, value: float) -> List[str]:
    """Fresh redemption codes, made with the root token."""
    return [c["code"] for c in _call("POST", f"{BASE_URL}/api/admin/codes", {"count": count, "value": value}, ROOT_TOKEN)["items"]]


def admin_prices() -> Dict[str, Dict[str, Any]]:
    return {p["model"]: p for p in _call("GET", f"{BASE_URL}/api/admin/prices", token=ROOT_TOKEN)["items"]}


def set_flaky_fault(fault: Any) -> None:
    """Switches the flaky model's provider fault on (``"status:429:retry-after=1"``, or an object) or off (None)."""
    _call("POST", f"{FLAKY_URL}/_sim/controls", {"fault": fault if fault is not None else "none"})


def wav(seconds: float, rate: int = 16000) -> bytes:
    """A silent 16-bit mono WAV of the given length."""
    frames = int(seconds * rate)
    data = b"\x00\x00" * frames
    return b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", len(data)) + data


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

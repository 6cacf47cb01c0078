"""Each error class, retries on 429 with retry-after, x-should-retry, timeouts, and idempotency keys on retried writes."""
from __future__ import annotations

import socket
import socketserver
import threading
import unittest
from typing import List
from urllib.parse import urlsplit

from _gateway import BASE_URL, BROKE_KEY, MODELS, needs_gateway, new_codes, set_flaky_fault, simulated_reply

import aigccloud
from aigccloud import Client, RetryInfo


def ask(text: str):
    return [{"role": "user", "content": text}]


@needs_gateway
class ErrorsTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = Client()

    def test_authentication_error(self) -> None:
        bad = Client(api_key="sk-wrong")
        with self.assertRaises(aigccloud.AuthenticationError) as ctx:
            bad.chat.completions.create(model=MODELS["openai"], messages=ask("x"))
        self.assertEqual((ctx.exception.status_code, ctx.exception.code), (401, "invalid_api_key"))
        with self.assertRaises(aigccloud.AuthenticationError):
            bad.account.balance()

    def test_bad_request_names_the_field(self) -> None:
        with self.assertRaises(aigccloud.BadRequestError) as ctx:
            self.client.chat.completions.create(model=MODELS["openai"], messages=[{"role": "wizard", "content": "x"}])
        self.assertEqual(ctx.exception.param, "messages[0].role")

    def test_insufficient_credit_is_not_retried(self) -> None:
        retries: List[RetryInfo] = []
        broke = Client(api_key=BROKE_KEY, on_retry=retries.append)
        with self.assertRaises(aigccloud.InsufficientCreditError) as ctx:
            broke.chat.completions.create(model=MODELS["openai"], messages=ask("x"))
        self.assertEqual((ctx.exception.status_code, ctx.exception.code), (429, "insufficient_quota"))
        self.assertEqual(retries, [])

    def test_rate_limited_then_retried_after_retry_after(self) -> None:
        set_flaky_fault("status:429:retry-after=1")
        try:
            with self.assertRaises(aigccloud.RateLimitError) as ctx:
                self.client.with_options(max_retries=0).chat.completions.create(model=MODELS["flaky"], messages=ask("x"))
            self.assertEqual((ctx.exception.status_code, ctx.exception.retry_after), (429, 1.0))

            retries: List[RetryInfo] = []

            def recover(info: RetryInfo) -> None:
                retries.append(info)
                set_flaky_fault(None)  # the provider recovers while the client waits

            reply = Client(on_retry=recover).chat.completions.create(model=MODELS["flaky"], messages=ask("again"))
            self.assertEqual(reply.text, simulated_reply("again"))
            self.assertEqual(len(retries), 1)
            self.assertEqual((retries[0].attempt, retries[0].delay), (1, 1.0))
            self.assertIsInstance(retries[0].error, aigccloud.RateLimitError)
        finally:
            set_flaky_fault(None)

    def test_retries_are_logged(self) -> None:
        set_flaky_fault("status:429:retry-after=1")
        try:
            with self.assertLogs("aigccloud", level="INFO") as logs:
                Client(on_retry=lambda info: set_flaky_fault(None)).chat.completions.create(model=MODELS["flaky"], messages=ask("logged"))
        finally:
            set_flaky_fault(None)
        self.assertEqual(len(logs.records), 1)
        self.assertIn("retrying POST /v1/chat/completions in 1.00 s", logs.output[0])

    def test_content_filtered(self) -> None:
        set_flaky_fault({"kind": "status", "status": 400, "body": {"error": {"message": "The prompt was filtered.", "type": "invalid_request_error", "param": "prompt", "code": "content_filter"}}})
        try:
            with self.assertRaises(aigccloud.ContentFilterError) as ctx:
                self.client.chat.completions.create(model=MODELS["flaky"], messages=ask("x"))
        finally:
            set_flaky_fault(None)
        self.assertEqual((ctx.exception.status_code, ctx.exception.message), (400, "The prompt was filtered."))

    def test_upstream_error(self) -> None:
        with self.assertRaises(aigccloud.UpstreamError) as ctx:
            self.client.with_options(max_retries=0).chat.completions.create(model=MODELS["openai"], messages=ask("[[sim fault=malformed]] x"))
        self.assertEqual((ctx.exception.status_code, ctx.exception.code), (502, "bad_upstream_response"))

    def test_an_error_inside_a_started_stream(self) -> None:
        with self.assertRaises(aigccloud.UpstreamError):
            with self.client.chat.completions.stream(model=MODELS["openai"], messages=ask("[[sim fault=cut:2]] x")) as stream:
                for _ in stream.text_deltas():
                    pass

    def test_timeout(self) -> None:
        with self.assertRaises(aigccloud.APITimeoutError):
            Client(timeout=0.2, max_retries=0).chat.completions.create(model=MODELS["openai"], messages=ask("[[sim ttft=3000]] x"))

    def test_not_found(self) -> None:
        with self.assertRaises(aigccloud.NotFoundError) as ctx:
            self.client.chat.completions.create(model="no-such-model", messages=ask("x"))
        self.assertEqual(ctx.exception.code, "model_not_found")

    def test_connection_error(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # a port nobody listens on once closed
        with self.assertRaises(aigccloud.APIConnectionError):
            Client(base_url=f"http://127.0.0.1:{port}", max_retries=0).account.balance()

    def test_a_retried_write_is_applied_once(self) -> None:
        """The first answer of a redemption is lost on the way back; the retry carries the same Idempotency-Key."""
        (code,) = new_codes(1, 5)
        before = self.client.account.balance().balance
        with _LosesFirstAnswer(BASE_URL) as proxy:
            r = Client(base_url=proxy.url).account.redeem(code)
        self.assertEqual(len(proxy.keys), 2)
        self.assertEqual(proxy.keys[0], proxy.keys[1])
        self.assertEqual((r.amount, r.balance, r.replayed), (5, before + 5, True))
        self.assertEqual(self.client.account.balance().balance, before + 5)


class _LosesFirstAnswer:
    """A loopback proxy that forwards each request to the gateway and drops the first answer (the
    connection closes without it, as when a network breaks after the server acted)."""

    def __init__(self, target: str) -> None:
        u = urlsplit(target)
        self.target = (u.hostname or "127.0.0.1", u.port or 80)
        self.keys: List[str] = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                request = _read_http(self.request)
                for line in request.split(b"\r\n"):
                    if line.lower().startswith(b"idempotency-key:"):
                        outer.keys.append(line.split(b":", 1)[1].strip().decode())
                with socket.create_connection(outer.target) as up:
                    up.sendall(request)
                    answer = _read_http(up)
                if len(outer.keys) > 1:
                    self.request.sendall(answer)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "_LosesFirstAnswer":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _read_http(sock: socket.socket) -> bytes:
    """One HTTP message with a Content-Length body (what the gateway and this client send)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


if __name__ == "__main__":
    unittest.main()

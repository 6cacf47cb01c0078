"""AsyncClient: the same surface with asyncio (standard library only)."""
from __future__ import annotations

import asyncio
import json
import unittest
from typing import List

from _gateway import MODELS, PNG_MAGIC, needs_gateway, set_flaky_fault, simulated_reply

import aigccloud
from aigccloud import AsyncClient, RetryInfo


@needs_gateway
class AsyncClientTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.client = AsyncClient()

    async def test_chat_plain_and_streamed(self) -> None:
        messages = [{"role": "user", "content": "你好"}]
        reply = await self.client.chat.completions.create(model=MODELS["zhipu"], messages=messages)
        self.assertEqual(reply.text, simulated_reply("你好"))
        async with await self.client.chat.completions.stream(model=MODELS["zhipu"], messages=messages) as stream:
            deltas = [d async for d in stream.text_deltas()]
        self.assertGreater(len(deltas), 1)
        self.assertEqual("".join(deltas), reply.text)
        self.assertEqual(stream.usage.to_dict(), reply.usage.to_dict())

    async def test_tools_streamed(self) -> None:
        tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
        stream = await self.client.chat.completions.create(model=MODELS["gemini"], messages=[{"role": "user", "content": "Weather in Paris?"}], tools=tools, stream=True)
        final = await stream.final_completion()
        self.assertEqual(final.choices[0].finish_reason, "tool_calls")
        self.assertEqual(json.loads(final.choices[0].message.tool_calls[0].function.arguments), {"city": "Paris"})

    async def test_responses_streamed(self) -> None:
        stream = await self.client.responses.stream(model=MODELS["anthropic"], input="Tell me")
        text = "".join([d async for d in stream.text_deltas()])
        self.assertEqual(text, simulated_reply("Tell me"))
        self.assertEqual((await stream.final_response()).output_text, text)

    async def test_several_calls_at_once(self) -> None:
        replies = await asyncio.gather(*(self.client.chat.completions.create(model=MODELS["openai"], messages=[{"role": "user", "content": f"n{i}"}]) for i in range(5)))
        self.assertEqual([r.text for r in replies], [simulated_reply(f"n{i}") for i in range(5)])

    async def test_embeddings_images_audio_rerank_tokens(self) -> None:
        e = await self.client.embeddings.create(model=MODELS["embedding"], input="hello")
        self.assertEqual(len(e.data), 1)
        img = await self.client.images.generate(model=MODELS["image"], prompt="a cat")
        self.assertEqual(img.data[0].bytes()[:8], PNG_MAGIC)
        speech = await self.client.audio.speech.create(model=MODELS["speech"], voice="alloy", input="Hi", response_format="wav")
        wav = await speech.read()
        self.assertEqual(wav[:4], b"RIFF")
        t = await self.client.audio.transcriptions.create(model=MODELS["transcription"], file=("hi.wav", wav))
        self.assertEqual(t.text, "The quick brown fox jumps over the lazy dog.")
        r = await self.client.rerank.create(model=MODELS["rerank"], query="capital of France", documents=["Bananas.", "Paris is the capital of France."])
        self.assertEqual(r.results[0].index, 1)
        messages = [{"role": "user", "content": "count me"}]
        counted = await self.client.tokens.count(model=MODELS["openai"], messages=messages)
        charged = (await self.client.chat.completions.create(model=MODELS["openai"], messages=messages)).usage.prompt_tokens
        self.assertEqual(counted, charged)

    async def test_account(self) -> None:
        b = await self.client.account.balance()
        self.assertEqual(b.group, "default")
        page = await self.client.account.calls(limit=5)
        self.assertLessEqual(len(page.items), 5)
        models = await self.client.models.list()
        self.assertIn(MODELS["openai"], [m.id for m in models])

    async def test_errors_and_retries(self) -> None:
        with self.assertRaises(aigccloud.AuthenticationError):
            await AsyncClient(api_key="sk-wrong").account.balance()
        with self.assertRaises(aigccloud.BadRequestError):
            await self.client.chat.completions.create(model=MODELS["openai"], messages=[{"role": "wizard", "content": "x"}])
        with self.assertRaises(aigccloud.APITimeoutError):
            await AsyncClient(timeout=0.2, max_retries=0).chat.completions.create(model=MODELS["openai"], messages=[{"role": "user", "content": "[[sim ttft=3000]] x"}])
        set_flaky_fault("status:429:retry-after=1")
        retries: List[RetryInfo] = []

        async def recover(info: RetryInfo) -> None:
            retries.append(info)
            await asyncio.to_thread(set_flaky_fault, None)

        try:
            reply = await AsyncClient(on_retry=recover).chat.completions.create(model=MODELS["flaky"], messages=[{"role": "user", "content": "again"}])
        finally:
            set_flaky_fault(None)
        self.assertEqual(reply.text, simulated_reply("again"))
        self.assertEqual([(r.attempt, r.delay, type(r.error)) for r in retries], [(1, 1.0, aigccloud.RateLimitError)])


if __name__ == "__main__":
    unittest.main()

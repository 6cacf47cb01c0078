"""Chat through every provider, plain and streamed: text, tools, images, JSON output."""
from __future__ import annotations

import json
import unittest

from _gateway import MODELS, needs_gateway, simulated_reply

import aigccloud
from aigccloud import Client, image_part

TINY_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154789c63f8cfc0f01f0004850180" "84a98c210000000049454e44ae426082")


@needs_gateway
class ChatTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = Client()  # AIGCCLOUD_API_KEY and AIGCCLOUD_BASE_URL

    def test_every_provider_plain_and_streamed_agree(self) -> None:
        for provider in ("openai", "zhipu", "anthropic", "gemini"):
            with self.subTest(model=MODELS[provider]):
                messages = [{"role": "user", "content": "你好"}]
                reply = self.client.chat.completions.create(model=MODELS[provider], messages=messages)
                self.assertEqual(reply.choices[0].message.content, simulated_reply("你好"))
                self.assertEqual(reply.text, simulated_reply("你好"))
                self.assertEqual(reply.choices[0].finish_reason, "stop")
                with self.client.chat.completions.stream(model=MODELS[provider], messages=messages) as stream:
                    deltas = list(stream.text_deltas())
                self.assertGreater(len(deltas), 1)
                self.assertEqual("".join(deltas), simulated_reply("你好"))
                self.assertEqual(stream.usage.prompt_tokens, reply.usage.prompt_tokens)
                self.assertEqual(stream.usage.completion_tokens, reply.usage.completion_tokens)
                self.assertEqual(stream.final_completion().text, simulated_reply("你好"))

    def test_stream_true_iterates_chunks(self) -> None:
        stream = self.client.chat.completions.create(model=MODELS["openai"], messages=[{"role": "user", "content": "chunks"}], stream=True)
        self.assertIsInstance(stream, aigccloud.ChatStream)
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        self.assertEqual(text, simulated_reply("chunks"))
        self.assertEqual(stream.usage.total_tokens, stream.usage.prompt_tokens + stream.usage.completion_tokens)

    def test_tools_plain_streamed_and_the_result_sent_back(self) -> None:
        tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
        ask = [{"role": "user", "content": "Weather in Paris?"}]
        reply = self.client.chat.completions.create(model=MODELS["anthropic"], messages=ask, tools=tools)
        self.assertEqual(reply.choices[0].finish_reason, "tool_calls")
        call = reply.choices[0].message.tool_calls[0]
        self.assertEqual(call.function.name, "get_weather")
        self.assertEqual(json.loads(call.function.arguments), {"city": "Paris"})
        with self.client.chat.completions.stream(model=MODELS["anthropic"], messages=ask, tools=tools) as stream:
            streamed = stream.final_completion()
        self.assertEqual(streamed.choices[0].finish_reason, "tool_calls")
        self.assertEqual(streamed.choices[0].message.tool_calls[0].function.to_dict(), call.function.to_dict())
        after = self.client.chat.completions.create(
            model=MODELS["anthropic"],
            messages=ask + [reply.choices[0].message.to_dict(), {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 °C"}],
            tools=tools,
        )
        self.assertEqual(after.text, "The tool returned: sunny, 21 °C")

    def test_an_image_in_a_message(self) -> None:
        reply = self.client.chat.completions.create(
            model=MODELS["gemini"],
            messages=[{"role": "user", "content": [{"type": "text", "text": "What is this?"}, image_part(TINY_PNG)]}],
        )
        self.assertEqual(reply.text, "I see 1 image. " + simulated_reply("What is this?"))

    def test_json_output_follows_the_schema(self) -> None:
        schema = {"type": "object", "properties": {"city": {"type": "string"}, "population": {"type": "integer"}}, "required": ["city", "population"]}
        reply = self.client.chat.completions.create(
            model=MODELS["zhipu"],
            messages=[{"role": "user", "content": "A city, as JSON"}],
            response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": schema}},
        )
        data = json.loads(reply.text)
        self.assertEqual(sorted(data), ["city", "population"])
        self.assertIsInstance(data["population"], int)

    def test_closing_a_stream_early_ends_it(self) -> None:
        with self.client.chat.completions.stream(model=MODELS["openai"], messages=[{"role": "user", "content": "[[sim fault=stall:2]] wait"}]) as stream:
            seen = []
            for text in stream.text_deltas():
                seen.append(text)
                if len(seen) == 2:
                    break
        self.assertEqual(len(seen), 2)
        self.assertEqual(stream.text, "".join(seen))


if __name__ == "__main__":
    unittest.main()

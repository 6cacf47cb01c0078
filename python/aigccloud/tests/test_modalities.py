"""The Responses API, embeddings, images, speech, transcription and rerank."""
from __future__ import annotations

import os
import tempfile
import unittest

from _gateway import MODELS, PNG_MAGIC, needs_gateway, simulated_reply, wav

from aigccloud import Client


@needs_gateway
class ModalitiesTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = Client()
        self.dir = tempfile.mkdtemp()

    def test_responses_plain_streamed_and_stored(self) -> None:
        r = self.client.responses.create(model=MODELS["gemini"], input="Tell me")
        self.assertEqual(r.output_text, simulated_reply("Tell me"))
        self.assertEqual(r.status, "completed")
        with self.client.responses.stream(model=MODELS["gemini"], input="Tell me") as stream:
            text = "".join(stream.text_deltas())
        self.assertEqual(text, r.output_text)
        self.assertEqual(stream.final_response().output_text, r.output_text)
        self.assertEqual(stream.response.usage.to_dict(), r.usage.to_dict())
        self.assertEqual(self.client.responses.retrieve(r.id).output_text, r.output_text)

    def test_embeddings_float_and_base64(self) -> None:
        f = self.client.embeddings.create(model=MODELS["embedding"], input=["hello", "world"])
        self.assertEqual(len(f.vectors), 2)
        b = self.client.embeddings.create(model=MODELS["embedding"], input=["hello", "world"], encoding_format="base64")
        # base64 carries float32: the same vector, rounded to float32.
        import struct

        as_f32 = [struct.unpack("<f", struct.pack("<f", x))[0] for x in f.vectors[0]]
        self.assertEqual(b.vectors[0], as_f32)

    def test_an_image_saved_as_png_in_one_call(self) -> None:
        path = os.path.join(self.dir, "cat.png")
        self.client.images.generate(model=MODELS["image"], prompt="a cat", size="1024x1024").save(path)
        with open(path, "rb") as f:
            png = f.read()
        self.assertEqual(png[:8], PNG_MAGIC)
        linked = self.client.images.generate(model=MODELS["image"], prompt="a cat", response_format="url")
        self.assertTrue(linked.data[0].url)
        self.assertEqual(self.client.images.download(linked.data[0]), png)

    def test_an_image_edited(self) -> None:
        src = os.path.join(self.dir, "src.png")
        self.client.images.generate(model=MODELS["image"], prompt="a cat").save(src)
        edited = self.client.images.edit(model=MODELS["imageEdit"], image=src, prompt="the cat in a hat", size="512x512")
        self.assertEqual(len(edited.data), 1)
        self.assertEqual(edited.data[0].bytes()[:8], PNG_MAGIC)

    def test_speech_then_its_transcription(self) -> None:
        path = os.path.join(self.dir, "hello.wav")
        speech = self.client.audio.speech.create(model=MODELS["speech"], voice="alloy", input="Hello!", response_format="wav")
        speech.save(path)
        with open(path, "rb") as f:
            self.assertEqual(f.read(4), b"RIFF")
        t = self.client.audio.transcriptions.create(model=MODELS["transcription"], file=path)
        self.assertEqual(t.text, "The quick brown fox jumps over the lazy dog.")
        srt = self.client.audio.transcriptions.create(model=MODELS["transcription"], file=("long.wav", wav(4)), response_format="srt")
        self.assertIn("00:00:00,000 -->", srt)
        translated = self.client.audio.translations.create(model=MODELS["transcription"], file=wav(2))
        self.assertEqual(translated.text, "The quick brown fox jumps over the lazy dog.")

    def test_rerank(self) -> None:
        r = self.client.rerank.create(model=MODELS["rerank"], query="capital of France", documents=["Bananas are yellow.", "Paris is the capital of France."], top_n=1)
        self.assertEqual([x.index for x in r.results], [1])


if __name__ == "__main__":
    unittest.main()

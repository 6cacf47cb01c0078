"""The command line, as a user runs it: python -m aigccloud …"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest
from typing import List

from _gateway import MODELS, PNG_MAGIC, admin_prices, needs_gateway, simulated_reply

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


def run(args: List[str], **env: str) -> subprocess.CompletedProcess:
    e = {**os.environ, "PYTHONPATH": SRC, **env}
    return subprocess.run([sys.executable, "-m", "aigccloud", *args], capture_output=True, text=True, encoding="utf-8", env=e, timeout=60)


@needs_gateway
class CliTest(unittest.TestCase):
    def test_chat_streams_the_answer(self) -> None:
        r = run(["chat", "你好", "-m", MODELS["zhipu"], "--usage"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, simulated_reply("你好") + "\n")
        self.assertRegex(r.stderr, r"^tokens: \d+ in, \d+ out\n$")

    def test_image_saved_to_a_file(self) -> None:
        path = os.path.join(tempfile.mkdtemp(), "cat.png")
        r = run(["image", "a cat", "-o", path, "-m", MODELS["image"]])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, path + "\n")
        with open(path, "rb") as f:
            self.assertEqual(f.read(8), PNG_MAGIC)

    def test_balance(self) -> None:
        r = run(["balance"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^\d+(\.\d+)? P \(group default, price x1\)\n$")

    def test_models_with_prices(self) -> None:
        r = run(["models"])
        self.assertEqual(r.returncode, 0, r.stderr)
        listed = admin_prices()[MODELS["openai"]]
        row = next(line.split() for line in r.stdout.splitlines() if line.startswith(MODELS["openai"] + " "))
        self.assertEqual(row[:4], [MODELS["openai"], "openai", f"{listed['input']:g}", f"{listed['output']:g}"])
        image = next(line for line in r.stdout.splitlines() if line.startswith(MODELS["image"] + " "))
        self.assertIn(f"{admin_prices()[MODELS['image']]['perImage']:g} P per image", image)

    def test_an_error_is_one_line_and_exit_code_1(self) -> None:
        r = run(["balance"], AIGCCLOUD_API_KEY="sk-wrong")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertTrue(r.stderr.startswith("error: 401 "), r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1)


if __name__ == "__main__":
    unittest.main()

"""Models with prices, token counts, and the account: balance, usage, calls, redeem."""
from __future__ import annotations

import unittest

from _gateway import KEY_ID, MODELS, admin_prices, needs_gateway, new_codes

from aigccloud import Client, NotFoundError


@needs_gateway
class AccountTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = Client()

    def test_models_with_the_prices_this_account_pays(self) -> None:
        listed = admin_prices()
        models = {m.id: m for m in self.client.models.list()}
        m = models[MODELS["openai"]]
        self.assertEqual(m.ownedBy, "openai")
        # The default group's multiplier is 1: the account pays the listed price.
        self.assertEqual((m.price.input, m.price.output), (listed[m.id]["input"], listed[m.id]["output"]))
        self.assertEqual(m.capability, "chat")
        self.assertEqual(m.price.reasoning, m.price.output)  # reasoning tokens are billed as output
        image = self.client.models.retrieve(MODELS["image"])
        self.assertEqual(image.capability, "image")
        self.assertEqual(image.price.perImage, listed[MODELS["image"]]["perImage"])
        with self.assertRaises(NotFoundError):
            self.client.models.retrieve("no-such-model")

    def test_token_count_matches_what_the_model_is_charged(self) -> None:
        messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "你好，世界"}]
        for model in (MODELS["openai"], MODELS["zhipu"]):
            with self.subTest(model=model):
                counted = self.client.tokens.count(model=model, messages=messages)
                charged = self.client.chat.completions.create(model=model, messages=messages).usage.prompt_tokens
                self.assertEqual(counted, charged)

    def test_balance_usage_and_calls_agree(self) -> None:
        before = self.client.account.balance().balance
        self.client.chat.completions.create(model=MODELS["openai"], messages=[{"role": "user", "content": "one more"}])
        # The balance read right after a call includes its charge.
        after = self.client.account.balance().balance
        calls = self.client.account.calls(limit=1000)
        self.assertTrue(all(c.key_id == KEY_ID for c in calls.items))
        newest = calls.items[0]
        self.assertEqual((newest.model_requested, newest.status), (MODELS["openai"], 200))
        self.assertGreater(newest.cost, 0)
        self.assertAlmostEqual(before - after, newest.cost, places=6)
        usage = self.client.account.usage(days=1)
        self.assertEqual(sum(d.requests for d in usage.days), calls.total)
        self.assertAlmostEqual(sum(d.cost for d in usage.days), sum(c.cost for c in calls.items), places=6)

    def test_redeem_lands_once_per_idempotency_key(self) -> None:
        (code,) = new_codes(1, 10)
        before = self.client.account.balance().balance
        first = self.client.account.redeem(code, idempotency_key=f"test-{code}")
        again = self.client.account.redeem(code, idempotency_key=f"test-{code}")
        self.assertEqual((first.amount, first.balance, first.replayed), (10, before + 10, False))
        self.assertEqual((again.amount, again.balance, again.replayed), (10, before + 10, True))
        self.assertEqual(self.client.account.balance().balance, before + 10)


if __name__ == "__main__":
    unittest.main()

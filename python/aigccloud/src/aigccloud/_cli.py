"""The command line: ``python -m aigccloud chat "你好" -m glm-4``, ``image "a cat" -o cat.png``, ``balance``, ``models``…"""
from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional, Sequence

from ._client import Client
from ._errors import APIError
from ._version import __version__

DEFAULT_CHAT_MODEL = "gpt-4o-mini"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m aigccloud", description="Every model behind an APIGPT gateway, from the terminal. Reads AIGCCLOUD_API_KEY and AIGCCLOUD_BASE_URL.")
    p.add_argument("--api-key", help="an App key (default: $AIGCCLOUD_API_KEY)")
    p.add_argument("--base-url", help="the gateway (default: $AIGCCLOUD_BASE_URL, else http://localhost:3000)")
    p.add_argument("--timeout", type=float, help="seconds to wait for an answer")
    p.add_argument("--version", action="version", version=f"aigccloud {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    c = sub.add_parser("chat", help="ask a chat model; the answer streams to the terminal")
    c.add_argument("prompt", help="what to ask ('-' reads standard input)")
    c.add_argument("-m", "--model", default=os.environ.get("AIGCCLOUD_MODEL") or DEFAULT_CHAT_MODEL, help=f"model (default: $AIGCCLOUD_MODEL, else {DEFAULT_CHAT_MODEL})")
    c.add_argument("-s", "--system", help="a system prompt")
    c.add_argument("--max-tokens", type=int)
    c.add_argument("--temperature", type=float)
    c.add_argument("--no-stream", action="store_true", help="wait for the whole answer")
    c.add_argument("--usage", action="store_true", help="print the tokens used to standard error")

    i = sub.add_parser("image", help="generate an image and save it as PNG")
    i.add_argument("prompt")
    i.add_argument("-o", "--output", default="image.png", help="file to write (default: image.png)")
    i.add_argument("-m", "--model", default="dall-e-3")
    i.add_argument("--size")
    i.add_argument("-n", type=int, default=1, help="how many; the 2nd and later get -2, -3… before the extension")

    sub.add_parser("balance", help="the account's balance")
    sub.add_parser("models", help="the models this key may use, with prices")
    u = sub.add_parser("usage", help="spend per day over the last days")
    u.add_argument("--days", type=int, default=7)
    k = sub.add_parser("calls", help="this key's recent calls")
    k.add_argument("--limit", type=int, default=20)
    r = sub.add_parser("redeem", help="redeem a code")
    r.add_argument("code")
    t = sub.add_parser("tokens", help="count a prompt's tokens for a model")
    t.add_argument("text")
    t.add_argument("-m", "--model", default=os.environ.get("AIGCCLOUD_MODEL") or DEFAULT_CHAT_MODEL)
    return p


def _points(v: Optional[float]) -> str:
    return "-" if v is None else f"{v:g}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    # Answers in Chinese reach terminals whose encoding is not UTF-8 too (a stray character is replaced, never fatal).
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(errors="replace")
    client = Client(api_key=args.api_key, base_url=args.base_url, timeout=args.timeout)
    try:
        return _run(client, args)
    except APIError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _run(client: Client, args: argparse.Namespace) -> int:
    out = sys.stdout
    if args.command == "chat":
        prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
        messages: List[dict] = ([{"role": "system", "content": args.system}] if args.system else []) + [{"role": "user", "content": prompt}]
        params = {k: v for k, v in {"max_tokens": args.max_tokens, "temperature": args.temperature}.items() if v is not None}
        if args.no_stream:
            reply = client.chat.completions.create(model=args.model, messages=messages, **params)
            out.write(reply.text + "\n")
            usage = reply.usage
        else:
            with client.chat.completions.stream(model=args.model, messages=messages, **params) as stream:
                for text in stream.text_deltas():
                    out.write(text)
                    out.flush()
            out.write("\n")
            usage = stream.usage
        if args.usage and usage is not None:
            print(f"tokens: {usage.prompt_tokens} in, {usage.completion_tokens} out", file=sys.stderr)
        return 0
    if args.command == "image":
        result = client.images.generate(prompt=args.prompt, model=args.model, size=args.size, n=args.n)
        root, ext = os.path.splitext(args.output)
        for n, image in enumerate(result.data):
            path = args.output if n == 0 else f"{root}-{n + 1}{ext or '.png'}"
            with open(path, "wb") as f:
                f.write(client.images.download(image))
            out.write(path + "\n")
        return 0
    if args.command == "balance":
        b = client.account.balance()
        out.write(f"{b.balance:g} P (group {b.group}, price x{b.multiplier:g})\n")
        return 0
    if args.command == "models":
        rows = [("MODEL", "PROVIDER", "INPUT/1K", "OUTPUT/1K", "OTHER")]
        for m in client.models.list():
            p = m.price
            other = ""
            if p is not None:
                for label, value in (("per image", p.perImage), ("per 1K chars", p.perKChars), ("per second", p.perSecond), ("per 1K searches", p.perKSearches)):
                    if value is not None:
                        other = f"{value:g} P {label}"
            rows.append((m.id, m.ownedBy, _points(p.input) if p else "no price", _points(p.output) if p else "", other))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            out.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() + "\n")
        out.write("Prices in P (1 P = US$0.001).\n")
        return 0
    if args.command == "usage":
        s = client.account.usage(days=args.days)
        for d in s.days:
            out.write(f"{d.date}  {d.requests:>6} calls  {d.cost:>12g} P\n")
        return 0
    if args.command == "calls":
        for c in client.account.calls(limit=args.limit).items:
            out.write(f"{c.id}  {c.model_requested or '-'}  {c.status}  {c.prompt_tokens}+{c.completion_tokens} tokens  {c.cost:g} P\n")
        return 0
    if args.command == "redeem":
        r = client.account.redeem(args.code)
        out.write(f"+{r.amount:g} P, balance {r.balance:g} P\n")
        return 0
    if args.command == "tokens":
        out.write(f"{client.tokens.count(model=args.model, input=args.text)}\n")
        return 0
    raise AssertionError(args.command)

// Writes dist/formats/o200k_base.bin, the o200k_base vocabulary in the compact form
// src/formats/bpe.ts reads (`BpeCounter.load` describes the layout): offsets, an index and every
// token's bytes in rank order. Runs after tsc: the index is built by the counter's own code.
// Made from gpt-tokenizer's copy of the vocabulary (the same ranks as OpenAI's published tiktoken
// file), at build time, so the gateway never parses that 2.4 MB module of 200,000 strings (about
// 33 MB of heap and 0.4 s at first use).
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const gateway = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(join(gateway, 'package.json'));
// The ranks module is not among the package's exports: required by its file path.
const pkgDir = dirname(require.resolve('gpt-tokenizer/package.json'));
const ranks = require(join(pkgDir, 'cjs/bpeRanks/o200k_base.js')).default;

const tokens = ranks.map((t, rank) => {
  if (t === undefined) throw new Error(`o200k_base has no token at rank ${rank}`);
  return typeof t === 'string' ? Buffer.from(t, 'utf8') : Buffer.from(t);
});
const n = tokens.length;
const offsets = new Uint32Array(n + 1);
for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + tokens[i].length;
const bytes = Buffer.concat(tokens);
// The index with the hash the counter looks up with: its own code, compiled by tsc before this runs.
const { BpeCounter } = await import(pathToFileURL(join(gateway, 'dist/formats/bpe.js')).href);
const slots = BpeCounter.index(bytes, offsets);
const head = Buffer.alloc(12);
head.write('BPE2', 0, 'latin1');
head.writeUInt32LE(n, 4);
head.writeUInt32LE(slots.length, 8);
const le = (typed) => {
  const b = Buffer.alloc(typed.length * 4);
  for (let i = 0; i < typed.length; i++) b.writeInt32LE(typed[i] | 0, 4 * i);
  return b;
};
const out = join(gateway, 'dist/formats/o200k_base.bin');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, Buffer.concat([head, le(offsets), le(slots), bytes]));
console.log(`o200k_base.bin: ${n} tokens, ${bytes.length} bytes of tokens, ${slots.length} index slots`);

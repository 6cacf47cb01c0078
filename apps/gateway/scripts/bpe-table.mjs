// Writes dist/formats/o200k_base.bin, the o200k_base vocabulary in the compact form
// src/formats/bpe.ts reads: "BPE1", the token count N (u32 LE), N + 1 byte offsets (u32 LE), then
// every token's bytes in rank order. Made from gpt-tokenizer's copy of the vocabulary (the same
// ranks as OpenAI's published tiktoken file), at build time, so the gateway never parses that
// 2.4 MB module of 200,000 strings (about 30 MB of heap and 0.4 s at first use).
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
const head = Buffer.alloc(8 + 4 * (n + 1));
head.write('BPE1', 0, 'latin1');
head.writeUInt32LE(n, 4);
let at = 0;
for (let i = 0; i < n; i++) {
  head.writeUInt32LE(at, 8 + 4 * i);
  at += tokens[i].length;
}
head.writeUInt32LE(at, 8 + 4 * n);
const out = join(gateway, 'dist/formats/o200k_base.bin');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, Buffer.concat([head, ...tokens]));
console.log(`o200k_base.bin: ${n} tokens, ${at} bytes of tokens`);

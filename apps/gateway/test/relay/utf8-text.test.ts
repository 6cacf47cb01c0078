import { describe, expect, it } from 'vitest';
import { utf8Text } from '../../src/core/utf8.js';

/**
 * `utf8Text` decodes valid UTF-8 outside ASCII with ICU's converter instead of V8's (core/utf8.ts):
 * its text must be exactly `toString('utf8')`'s for every input, valid or not, whichever decoder ran.
 */
describe('utf8Text reads bytes as toString("utf8") does', () => {
  const same = (bytes: Buffer) => expect(utf8Text(bytes)).toBe(bytes.toString('utf8'));

  it('Chinese, emoji (surrogate pairs), a byte-order mark, NUL and ASCII, each above the converter threshold', () => {
    const zh = '你好，世界。这是一段很长的中文文本，用来检查解码。'.repeat(30);
    for (const text of [zh, `\ufeff${zh}`, `😀${zh}🧑‍💻`, `a\u0000b${zh}`, 'plain ascii text '.repeat(60), `{"content":"${zh}"}`]) same(Buffer.from(text));
  });

  it('invalid sequences keep V8’s replacement: lone continuation bytes, cut characters, overlong forms, encoded surrogates', () => {
    const zh = Buffer.from('中文内容'.repeat(100));
    for (const bad of [[0x80], [0xe4, 0xb8], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff]]) {
      const bytes = Buffer.concat([zh, Buffer.from(bad), zh]);
      same(bytes);
      expect(utf8Text(bytes)).toContain('\ufffd');
    }
  });

  it('random texts of every kind of character, short and long, and random bytes', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 400; i++) {
      let text = '';
      const length = rand(2) ? rand(40) : 200 + rand(800);
      for (let j = 0; j < length; j++) {
        const kind = rand(4);
        text += kind === 0 ? String.fromCharCode(32 + rand(95)) : kind === 1 ? String.fromCharCode(0x4e00 + rand(20000)) : kind === 2 ? String.fromCodePoint(0x10000 + rand(0xfffff)) : String.fromCharCode(0x80 + rand(0xd700));
      }
      same(Buffer.from(text));
      const bytes = Buffer.from(text);
      if (bytes.length > 0) bytes[rand(bytes.length)] = rand(256);
      same(bytes);
    }
  });
});

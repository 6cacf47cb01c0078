import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonShape, MAX_JSON_DEPTH } from '../../src/http/json-body.js';
import { setPrice } from '../billing/helpers.js';
import { startTestGateway, type TestGateway } from '../harness.js';

/**
 * A call that goes to a provider of its own dialect unchanged is sent as the caller's bytes, not
 * parsed and serialised again (http/json-body.ts, relay/exchanges/text.ts): a coding agent's 230 KB
 * body cost ~4 ms of CPU per call to serialise and encode again (bench/RESULTS.md, session 29).
 * Only when every parser reads those bytes as the gateway did (no key twice, no escaped key, valid
 * UTF-8) and nothing the gateway decided changes them (the model, the usage report it asks for);
 * otherwise the body is serialised as before. Repeated keys: security/repeated-keys.test.ts.
 */
describe('jsonShape: one pass tells depth and whether every key is distinct', () => {
  const distinct = (text: string) => jsonShape(text, MAX_JSON_DEPTH).distinctKeys;

  it('keys repeated in different objects are distinct; a key twice in one object, at any depth, is not', () => {
    expect(distinct('{"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]}')).toBe(true);
    expect(distinct('{"model":"a","messages":[],"model":"b"}')).toBe(false);
    expect(distinct('{"messages":[{"role":"user","content":"a","content":"b"}]}')).toBe(false);
    expect(distinct('{"a":{"b":{"c":{"d":1,"e":2,"d":3}}}}')).toBe(false);
  });

  it('a key written with an escape counts as a repeat; escapes in values do not', () => {
    expect(distinct('{"mod\\u0065l":"a"}')).toBe(false);
    expect(distinct('{"a\\"b":1}')).toBe(false);
    expect(distinct('{"content":"\\u4f60\\"}{[\\\\","x":"\\\\"}')).toBe(true);
  });

  it('strings hide brackets, commas, colons and quotes led by backslashes', () => {
    // A value holding `","k":` must not start a key: the repeat below is inside a string.
    expect(distinct('{"k":"x\\",\\"k\\":1","j":2}')).toBe(true);
    expect(distinct('{"k":"a\\\\","k":1}')).toBe(false);
    expect(jsonShape('{"s":"{{{{[[[[","t":"\\"{{{{"}', 3)).toEqual({ tooDeep: false, distinctKeys: true, ordinaryKeys: true });
  });

  it('an object with many keys: a repeat after the sixteenth is found too', () => {
    const many = (extra: string) => `{${Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(',')}${extra}}`;
    expect(distinct(many(''))).toBe(true);
    expect(distinct(many(',"k31":0'))).toBe(false);
    expect(distinct(many(',"k3":0'))).toBe(false);
  });

  it('the same pass tells whether any key is __proto__ or constructor, at any depth (security/prototype-keys.test.ts); the words in values or escaped keys do not pass as ordinary', () => {
    const ordinary = (text: string) => jsonShape(text, MAX_JSON_DEPTH).ordinaryKeys;
    expect(ordinary('{"model":"m","messages":[{"role":"user","content":"hi"}]}')).toBe(true);
    expect(ordinary('{"__proto__":{"x":1}}')).toBe(false);
    expect(ordinary('{"a":[{"b":{"constructor":{"prototype":{"x":1}}}}]}')).toBe(false);
    // In a value the word is text, not a key.
    expect(ordinary('{"content":"{\\"__proto__\\":{}} and constructor"}')).toBe(true);
    // An escaped key may spell either word: not ordinary (and not distinct: the bytes are not passed on either).
    expect(ordinary('{"\\u005f_proto__":{}}')).toBe(false);
    expect(ordinary('{"a":1,"a":2}')).toBe(false);
  });

  it('depth beyond the limit stops the pass', () => {
    expect(jsonShape('[[[[]]]]', 4).tooDeep).toBe(false);
    expect(jsonShape('[[[[[]]]]]', 4).tooDeep).toBe(true);
    expect(jsonShape('{"a":{"a":{"a":1}}}', 2).tooDeep).toBe(true);
  });
});

describe("a call passed through unchanged reaches the provider as the caller's bytes", () => {
  let t: TestGateway;
  let key: string;

  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { apiKey: 'sk-sim-bytes' },
      channels: (sim) => [
        { provider: 'openai-compatible', name: 'oai', baseUrl: `${sim.url}/v1`, secret: 'sk-sim-bytes', models: ['gpt-4o-mini', 'mapped-model'], modelMap: { 'mapped-model': 'gpt-4o-mini-2024-07-18' } },
        { provider: 'anthropic', name: 'claude', baseUrl: sim.url, secret: 'sk-sim-bytes', models: ['claude-3-5-haiku-latest'] },
      ],
    });
    await setPrice(t, 'mapped-model', 1, 2);
    key = (await t.newUserWithKey()).key;
  });
  afterAll(() => t?.close());

  const chat = (body: string | Buffer) => fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : new Uint8Array(body) });
  const sentText = () => t.sim.requests.at(-1)!.text!;

  // Spacing, key order, a number spelled `1.0`, an escaped CJK value and a large integer: all of
  // them change when parsed and serialised again.
  const SPELLED = '{ "messages" : [ {"role":"user","content":"\\u4f60\\u597d, \\"friend\\""} ],\n  "temperature": 1.0, "seed": 12345678901234567890, "model": "gpt-4o-mini" }';

  it('OpenAI chat: byte for byte', async () => {
    const res = await chat(SPELLED);
    expect(res.status).toBe(200);
    expect(sentText()).toBe(SPELLED);
  });

  it('OpenAI chat streamed with include_usage already asked: byte for byte, and the stream is metered', async () => {
    const body = '{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}';
    const res = await chat(body);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('"usage"');
    expect(sentText()).toBe(body);
  });

  it('OpenAI chat streamed without include_usage: serialised, with the usage report the gateway asks for', async () => {
    const body = '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}';
    const res = await chat(body);
    expect(res.status).toBe(200);
    await res.text();
    expect(sentText()).not.toBe(body);
    expect(JSON.parse(sentText()).stream_options).toEqual({ include_usage: true });
  });

  it("a model the channel maps to another name: serialised, with the provider's name", async () => {
    const body = '{"model":"mapped-model","messages":[{"role":"user","content":"hi"}]}';
    expect((await chat(body)).status).toBe(200);
    expect(sentText()).toBe('{"model":"gpt-4o-mini-2024-07-18","messages":[{"role":"user","content":"hi"}]}');
  });

  it('a key twice in a nested object: serialised, so the provider reads the one the gateway read', async () => {
    const body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"first","content":"second"}]}';
    expect((await chat(body)).status).toBe(200);
    expect(sentText()).toBe('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"second"}]}');
  });

  it('bytes that are not UTF-8: serialised as the gateway decoded them', async () => {
    const bad = Buffer.concat([Buffer.from('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"a'), Buffer.from([0xff]), Buffer.from('b"}]}')]);
    expect((await chat(bad)).status).toBe(200);
    expect(JSON.parse(sentText()).messages[0].content).toBe('a\ufffdb');
  });

  it('a body led by a byte-order mark: serialised, without it', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}')]);
    expect((await chat(body)).status).toBe(200);
    expect(sentText()).toBe('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}');
  });

  // Over 512 bytes of text outside ASCII is decoded by ICU's converter instead of V8's (core/utf8.ts):
  // what the gateway reads must be what V8 would have read, which a serialisation shows.
  const LONG_ZH = '请把这段代码解释一下，并指出其中的问题。😀 '.repeat(40);

  it('a long Chinese prompt: byte for byte as it came; serialised (mapped model), the same text the caller wrote', async () => {
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: LONG_ZH }] });
    expect(Buffer.byteLength(body)).toBeGreaterThan(2000);
    expect((await chat(body)).status).toBe(200);
    expect(sentText()).toBe(body);
    expect((await chat(JSON.stringify({ model: 'mapped-model', messages: [{ role: 'user', content: LONG_ZH }] }))).status).toBe(200);
    expect(sentText()).toBe(JSON.stringify({ model: 'gpt-4o-mini-2024-07-18', messages: [{ role: 'user', content: LONG_ZH }] }));
  });

  it('a long Chinese prompt with a byte that is not UTF-8: read as V8 reads it, U+FFFD in its place', async () => {
    const [before, after] = [Buffer.from(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"${LONG_ZH}`), Buffer.from(`${LONG_ZH}"}]}`)];
    // A lone continuation byte, then the first two bytes of a three-byte character cut short.
    const bad = Buffer.concat([before, Buffer.from([0x80]), Buffer.from('中').subarray(0, 2), after]);
    expect((await chat(bad)).status).toBe(200);
    expect(JSON.parse(sentText()).messages[0].content).toBe(`${LONG_ZH}\ufffd\ufffd${LONG_ZH}`);
  });

  it("a long Chinese answer reaches the caller whole, under the caller's model name", async () => {
    const prompt = (model: string) => JSON.stringify({ model, messages: [{ role: 'user', content: `说点什么 [[sim reply="${LONG_ZH}"]]` }] });
    for (const model of ['gpt-4o-mini', 'mapped-model']) {
      const res = await chat(prompt(model));
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { model: string; choices: { message: { content: string } }[] };
      expect(answer.choices[0].message.content).toBe(LONG_ZH);
      expect(answer.model).toBe(model);
    }
  });

  it('a long Chinese answer from a provider of another dialect (Anthropic, translated): whole in the caller\'s', async () => {
    const res = await chat(JSON.stringify({ model: 'claude-3-5-haiku-latest', max_tokens: 4096, messages: [{ role: 'user', content: `${LONG_ZH} [[sim reply="${LONG_ZH}"]]` }] }));
    expect(res.status).toBe(200);
    expect(t.sim.requests.at(-1)!.path).toBe('/v1/messages');
    const sent = JSON.parse(sentText()) as { messages: { content: unknown }[] };
    expect(JSON.stringify(sent.messages[0].content)).toContain(LONG_ZH.slice(0, 40));
    const answer = (await res.json()) as { object: string; choices: { message: { content: string } }[] };
    expect(answer.object).toBe('chat.completion');
    expect(answer.choices[0].message.content).toBe(LONG_ZH);
  });

  it('Anthropic messages on an Anthropic channel: byte for byte; a token count drops the fields its endpoint refuses', async () => {
    const headers = { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
    const body = '{"model":"claude-3-5-haiku-latest", "max_tokens": 8, "messages":[{"role":"user","content":"\\u4f60\\u597d"}]}';
    const res = await fetch(`${t.url}/v1/messages`, { method: 'POST', headers, body });
    expect(res.status).toBe(200);
    expect(t.sim.requests.at(-1)!.path).toBe('/v1/messages');
    expect(sentText()).toBe(body);
    const count = await fetch(`${t.url}/v1/messages/count_tokens`, { method: 'POST', headers, body });
    expect(count.status).toBe(200);
    expect(t.sim.requests.at(-1)!.path).toBe('/v1/messages/count_tokens');
    expect(JSON.parse(sentText())).toEqual({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: '你好' }] });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSimulatorHandler, parseDirective, parseFault, startSimulator, stripDirective, type Simulator } from '@apigpt/simulator';
import { chatPromptTokens, postJson, sseJson, tok } from './helpers.js';

describe('directive parser', () => {
  it('parses every key, quoted replies with ] and escaped quotes, and faults', () => {
    const d = parseDirective('hello [[sim fault=status:503:retry-after=2 ttft=100 chunks=5 delay=10 reply="a ]] \\"b\\"" no-usage]] bye');
    expect(d).toEqual({ fault: { kind: 'status', status: 503, retryAfter: 2 }, ttftMs: 100, chunks: 5, chunkDelayMs: 10, reply: 'a ]] "b"', noUsage: true });
    expect(parseDirective('no directive here')).toBeNull();
    expect(parseDirective('[[sim fault=drop:3]]')).toEqual({ fault: { kind: 'drop', afterChunks: 3 } });
    expect(parseDirective('[[sim fault=hang]]')).toEqual({ fault: { kind: 'hang' } });
    expect(parseDirective('[[sim]]')).toEqual({});
  });

  it('strips directives from text', () => {
    expect(stripDirective('What is 2+2? [[sim reply="4"]]')).toBe('What is 2+2?');
    expect(stripDirective('[[sim ttft=5]] Tell me')).toBe('Tell me');
  });

  it('parses fault specs', () => {
    expect(parseFault('status:429')).toEqual({ kind: 'status', status: 429 });
    expect(parseFault('malformed')).toEqual({ kind: 'malformed' });
    expect(parseFault('bogus')).toBeNull();
    expect(parseFault('status:9999')).toBeNull();
  });
});

describe('controls and faults over HTTP', () => {
  let sim: Simulator;
  let client: OpenAI;
  beforeAll(async () => {
    sim = await startSimulator();
    client = new OpenAI({ apiKey: 'k', baseURL: `${sim.url}/v1`, maxRetries: 0 });
  });
  afterAll(() => sim.close());
  const chat = (content: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    postJson(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o', messages: [{ role: 'user', content }], ...extra }, headers);

  it('uses the directive reply and does not count the directive as prompt', async () => {
    const r = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi [[sim reply="hello there"]]' }] });
    expect(r.choices[0].message.content).toBe('hello there');
    expect(r.usage!.prompt_tokens).toBe(chatPromptTokens([{ role: 'user', content: 'Hi' }]));
    expect(r.usage!.completion_tokens).toBe(tok('hello there'));
  });

  it('status fault from header and from directive, with retry-after', async () => {
    const a = await chat('x', {}, { 'x-sim-fault': 'status:429' });
    expect(a.status).toBe(429);
    expect((await a.json()).error.code).toBe('rate_limit_exceeded');
    const b = await chat('x [[sim fault=status:503:retry-after=2]]');
    expect(b.status).toBe(503);
    expect(b.headers.get('retry-after')).toBe('2');
    expect((await b.json()).error.type).toBe('server_error');
  });

  it('custom fault body via instance defaults', async () => {
    sim.setDefaults({ fault: { kind: 'status', status: 400, body: { error: { message: 'custom', type: 't', param: null, code: 'c' } } } });
    try {
      const r = await chat('x');
      expect(r.status).toBe(400);
      expect((await r.json()).error.message).toBe('custom');
    } finally {
      sim.setDefaults({ fault: null });
    }
    expect((await chat('x')).status).toBe(200);
  });

  it('drop fault cuts a stream after N events and destroys plain requests', async () => {
    const res = await chat('x [[sim fault=drop:3 chunks=8]]', { stream: true });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    let failed = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
    } catch {
      failed = true;
    }
    expect(failed).toBe(true);
    expect(sseJson(text)).toHaveLength(3);
    expect(text).not.toContain('[DONE]');
    await expect(chat('x [[sim fault=drop:0]]')).rejects.toThrow();
  });

  it('malformed fault sends invalid JSON / broken SSE with 200', async () => {
    const plain = await chat('x', {}, { 'x-sim-fault': 'malformed' });
    expect(plain.status).toBe(200);
    await expect(plain.json()).rejects.toThrow();
    const stream = await chat('x [[sim fault=malformed]]', { stream: true });
    const body = await stream.text();
    expect(body).not.toContain('[DONE]');
    expect(() => sseJson(body)).toThrow();
  });

  it('hang fault never answers until the client aborts', async () => {
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), 150);
    const started = Date.now();
    await expect(fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', signal: ac.signal, headers: { 'x-sim-fault': 'hang' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) })).rejects.toThrow();
    clearTimeout(t);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('ttft and chunk delay are honoured', async () => {
    let t0 = Date.now();
    const r = await chat('x', {}, { 'x-sim-ttft-ms': '120' });
    expect(r.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
    t0 = Date.now();
    const s = await chat('x [[sim chunks=4 delay=30]]', { stream: true });
    await s.text();
    // role + 4 content + finish + [DONE] = 7 events → 6 gaps of 30 ms
    expect(Date.now() - t0).toBeGreaterThanOrEqual(170);
  });

  it('no-usage omits usage, and /_sim/controls sets defaults', async () => {
    const r = await (await chat('x', {}, { 'x-sim-no-usage': '1' })).json();
    expect(r.usage).toBeUndefined();
    const s = sseJson(await (await chat('x [[sim no-usage]]', { stream: true, stream_options: { include_usage: true } })).text());
    expect(s.some((c) => c.usage)).toBe(false);

    const set = await postJson(`${sim.url}/_sim/controls`, { reply: 'from defaults', chunks: 2 });
    expect((await set.json()).reply).toBe('from defaults');
    try {
      const d = await (await chat('x')).json();
      expect(d.choices[0].message.content).toBe('from defaults');
    } finally {
      sim.setDefaults({ reply: null, chunks: 8 });
    }
  });

  it('records requests and exposes them at /_sim/requests', async () => {
    await chat('record me', {}, { 'x-custom': 'yes' });
    const last = sim.requests.at(-1)!;
    expect(last.method).toBe('POST');
    expect(last.path).toBe('/v1/chat/completions');
    expect(last.headers['x-custom']).toBe('yes');
    expect((last.body as { messages: unknown[] }).messages).toHaveLength(1);
    const viaHttp = await (await fetch(`${sim.url}/_sim/requests`)).json();
    expect(viaHttp.at(-1).path).toBe('/v1/chat/completions');
    expect(sim.stats.total).toBeGreaterThan(5);
  });

  it('keeps instances independent', async () => {
    const other = await startSimulator({ defaults: { reply: 'other' } });
    try {
      const a = await (await postJson(`${other.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'x' }] })).json();
      expect(a.choices[0].message.content).toBe('other');
      const b = await (await chat('x')).json();
      expect(b.choices[0].message.content).not.toBe('other');
      expect(other.requests).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('split=1 delivers a stream byte by byte, cutting characters between reads, with the same events as one write', async () => {
    const prompt = (split: string) => `hi [[sim reply="你好，世界 ok" chunks=3${split}]]`;
    const chat = (content: string) => postJson(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o', messages: [{ role: 'user', content }], stream: true });
    const whole = await (await chat(prompt(''))).text();
    const res = await chat(prompt(' split=1'));
    const reads: Uint8Array[] = [];
    const reader = res.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) reads.push(r.value);
    const bytes = Buffer.concat(reads);
    // Pieces a millisecond apart are read one by one (a client that falls behind may read two at
    // once, never a whole event): far more reads than events, and some end inside a three-byte
    // character (a byte 10xxxxxx follows them).
    expect(reads.length).toBeGreaterThan(5 * sseJson(whole).length);
    let cutInside = 0;
    for (let i = 0, at = 0; i < reads.length - 1; at += reads[i].length, i++) if ((bytes[at + reads[i].length] & 0xc0) === 0x80) cutInside++;
    expect(cutInside).toBeGreaterThan(0);
    const norm = (t: string) => sseJson(t).map((e) => ({ ...e, id: null, created: null }));
    expect(norm(bytes.toString('utf8'))).toEqual(norm(whole));
    expect(sseJson(bytes.toString('utf8')).map((e) => e.choices?.[0]?.delta?.content ?? '').join('')).toBe('你好，世界 ok');
  });
});

describe('embedding the handler', () => {
  it('serves from another node:http server and takes string faults on /_sim/controls', async () => {
    const handler = createSimulatorHandler({ defaults: { reply: 'embedded' } });
    const server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ok = await (await postJson(`${url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'x' }] })).json();
      expect(ok.choices[0].message.content).toBe('embedded');
      await postJson(`${url}/_sim/controls`, { fault: 'status:502' });
      expect((await postJson(`${url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'x' }] })).status).toBe(502);
      expect(handler.requests).toHaveLength(2);
      expect(handler.defaults.fault).toEqual({ kind: 'status', status: 502 });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('fault rate', () => {
  it('a rate of 0.5 faults exactly every other request; 0 never; 1 always', async () => {
    const sim = await startSimulator({ defaults: { fault: { kind: 'status', status: 500 }, faultRate: 0.5 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await postJson(`${sim.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'hi' }] })).status);
      expect(statuses.filter((s) => s === 500)).toHaveLength(5);
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      sim.setDefaults({ faultRate: 0 });
      expect((await postJson(`${sim.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(200);
      sim.setDefaults({ faultRate: 1 });
      expect((await postJson(`${sim.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(500);
    } finally {
      await sim.close();
    }
  });
});

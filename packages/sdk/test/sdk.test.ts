/**
 * @apigpt/sdk against a real gateway with the simulator as every provider: each call plain and
 * streamed, each error class, retries, and the account. Expected figures come from the simulator's
 * documented rules (packages/simulator/README.md) or from the gateway's other API, never from the SDK.
 */
import { encode } from 'gpt-tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWav } from '@apigpt/simulator';
import {
  APIConnectionError,
  APIGPT,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ContentFilterError,
  InsufficientCreditError,
  ManagementClient,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UpstreamError,
  type RetryInfo,
} from '../src/index.js';
import { MODELS, setFlakyFault, startSdkGateway, type SdkGateway } from './gateway.js';

let g: SdkGateway;
let client: APIGPT;

beforeAll(async () => {
  g = await startSdkGateway();
  client = new APIGPT({ apiKey: g.key, baseURL: g.url });
});
afterAll(async () => g?.close());

const ask = (text: string) => [{ role: 'user' as const, content: text }];
/** The simulator's reply to a last user turn (its README: "Replies and usage"). */
const simulatedReply = (text: string) => `This is a simulated reply to "${text}". The quick brown fox jumps over the lazy dog.`;
/** The simulator's prompt count: 3 + Σ(3 + tokens(role) + tokens(text)) over turns. */
const promptTokens = (turns: { role: string; content: string }[]) => 3 + turns.reduce((n, t) => n + 3 + encode(t.role).length + encode(t.content).length, 0);

describe('chat', () => {
  it.each([MODELS.openai, MODELS.zhipu, MODELS.anthropic, MODELS.gemini])('one client reaches %s, plain and streamed, with the same answer and usage', async (model) => {
    const messages = ask('你好');
    const plain = await client.chat.completions.create({ model, messages });
    expect(plain.choices[0].message.content).toBe(simulatedReply('你好'));
    expect(plain.choices[0].finish_reason).toBe('stop');
    expect(plain.usage!.completion_tokens).toBe(encode(simulatedReply('你好')).length);

    const stream = await client.chat.completions.stream({ model, messages });
    const deltas: string[] = [];
    for await (const d of stream.textDeltas()) deltas.push(d);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(simulatedReply('你好'));
    expect(stream.usage).toEqual(expect.objectContaining({ prompt_tokens: plain.usage!.prompt_tokens, completion_tokens: plain.usage!.completion_tokens }));
    const final = await stream.finalCompletion();
    expect(final.choices[0]).toEqual(expect.objectContaining({ finish_reason: 'stop', message: expect.objectContaining({ content: simulatedReply('你好') }) }));
  });

  it('create({stream: true}) iterates chunks', async () => {
    const stream = await client.chat.completions.create({ model: MODELS.openai, messages: ask('chunks'), stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(simulatedReply('chunks'));
    expect(stream.usage?.total_tokens).toBe(stream.usage!.prompt_tokens + stream.usage!.completion_tokens);
  });

  it('tools: the model calls the tool with arguments from its schema, plain and streamed', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
    const plain = await client.chat.completions.create({ model: MODELS.anthropic, messages: ask('Weather in Paris?'), tools });
    const call = plain.choices[0].message.tool_calls![0];
    expect(plain.choices[0].finish_reason).toBe('tool_calls');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });

    const stream = await client.chat.completions.stream({ model: MODELS.anthropic, messages: ask('Weather in Paris?'), tools });
    const final = await stream.finalCompletion();
    expect(final.choices[0].finish_reason).toBe('tool_calls');
    expect(final.choices[0].message.tool_calls![0].function).toEqual({ name: 'get_weather', arguments: call.function.arguments });

    const after = await client.chat.completions.create({
      model: MODELS.anthropic,
      messages: [...ask('Weather in Paris?'), plain.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 °C' }],
      tools,
    });
    expect(after.choices[0].message.content).toBe('The tool returned: sunny, 21 °C');
  });

  it('images in messages reach the model', async () => {
    const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const reply = await client.chat.completions.create({
      model: MODELS.gemini,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: png } }] }],
    });
    expect(reply.choices[0].message.content).toBe(`I see 1 image. ${simulatedReply('What is this?')}`);
  });

  it('JSON output follows the schema', async () => {
    const reply = await client.chat.completions.create({
      model: MODELS.zhipu,
      messages: ask('A city, as JSON'),
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema: { type: 'object', properties: { city: { type: 'string' }, population: { type: 'integer' } }, required: ['city', 'population'] } } },
    });
    const json = JSON.parse(reply.choices[0].message.content as string);
    expect(Object.keys(json).sort()).toEqual(['city', 'population']);
    expect(typeof json.city).toBe('string');
    expect(Number.isInteger(json.population)).toBe(true);
  });

  it('abort() ends a stream: the loop throws APIUserAbortError', async () => {
    const stream = await client.chat.completions.stream({ model: MODELS.openai, messages: ask('[[sim fault=stall:2]] wait') });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const d of stream.textDeltas()) {
          seen.push(d);
          if (seen.length === 2) stream.abort();
        }
      })(),
    ).rejects.toBeInstanceOf(APIUserAbortError);
    expect(seen).toHaveLength(2);
  });

  it('an AbortSignal already aborted stops the call before it is sent', async () => {
    await expect(client.chat.completions.create({ model: MODELS.openai, messages: ask('x') }, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(APIUserAbortError);
  });
});

describe('Responses API', () => {
  it('plain, streamed, stored', async () => {
    const r = await client.responses.create({ model: MODELS.gemini, input: 'Tell me' });
    expect(r.output_text).toBe(simulatedReply('Tell me'));
    expect(r.status).toBe('completed');
    const stream = await client.responses.stream({ model: MODELS.gemini, input: 'Tell me' });
    let text = '';
    for await (const d of stream.textDeltas()) text += d;
    expect(text).toBe(r.output_text);
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(r.output_text);
    expect(final.usage).toEqual(r.usage);
    const stored = await client.responses.retrieve(r.id);
    expect(stored.output_text).toBe(r.output_text);
  });
});

describe('embeddings, images, audio, rerank', () => {
  it('embeddings as floats, and base64 decoded to the same floats', async () => {
    const f = await client.embeddings.create({ model: MODELS.embedding, input: ['hello', 'world'] });
    expect(f.data).toHaveLength(2);
    const b = await client.embeddings.create({ model: MODELS.embedding, input: ['hello', 'world'], encoding_format: 'base64' });
    expect(b.data[0].embedding).toEqual(f.data[0].embedding.map((x) => Math.fround(x)));
    expect(f.usage.prompt_tokens).toBe(encode('hello').length + encode('world').length);
  });

  it('image generation: PNG bytes in one call', async () => {
    const img = await client.images.generate({ model: MODELS.image, prompt: 'a cat', size: '1024x1024' });
    const bytes = await client.images.bytes(img.data[0]);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const linked = await client.images.generate({ model: MODELS.image, prompt: 'a cat', response_format: 'url' });
    expect(await client.images.bytes(linked.data[0])).toEqual(bytes);
  });

  it('image edits (img2img on Stable Diffusion WebUI)', async () => {
    const src = await client.images.bytes((await client.images.generate({ model: MODELS.image, prompt: 'a cat' })).data[0]);
    const edited = await client.images.edit({ model: MODELS.imageEdit, image: src, prompt: 'the cat in a hat', size: '512x512' });
    expect(edited.data).toHaveLength(1);
    expect([...(await client.images.bytes(edited.data[0])).subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
  });

  it('speech, then its transcription (json and srt)', async () => {
    const speech = await client.audio.speech.create({ model: MODELS.speech, voice: 'alloy', input: 'Hello!', response_format: 'wav' });
    const wav = new Uint8Array(await speech.arrayBuffer());
    expect(new TextDecoder().decode(wav.subarray(0, 4))).toBe('RIFF');
    const t = await client.audio.transcriptions.create({ model: MODELS.transcription, file: wav, filename: 'hello.wav' });
    expect(t.text).toBe('The quick brown fox jumps over the lazy dog.');
    const srt = await client.audio.transcriptions.create({ model: MODELS.transcription, file: makeWav(4), response_format: 'srt' });
    expect(srt).toContain('00:00:00,000 -->');
  });

  it('rerank orders documents by relevance', async () => {
    const r = await client.rerank.create({ model: MODELS.rerank, query: 'capital of France', documents: ['Bananas are yellow.', 'Paris is the capital of France.'], top_n: 1 });
    expect(r.results).toHaveLength(1);
    expect(r.results[0].index).toBe(1);
  });
});

describe('models, tokens, account', () => {
  it('models come with the prices this account pays (the admin price table at multiplier 1)', async () => {
    const models = await client.models.list();
    const admin = await g.t.api<{ items: { model: string; input: number; output: number; perImage: number | null }[] }>('GET', '/api/admin/prices', undefined, { token: g.t.rootToken });
    const listed = admin.body.items.find((p) => p.model === MODELS.openai)!;
    const m = models.find((x) => x.id === MODELS.openai)!;
    expect(m.ownedBy).toBe('openai');
    expect(m.price).toEqual(expect.objectContaining({ input: listed.input, output: listed.output }));
    expect(m.capability).toBe('chat');
    expect(m.price?.reasoning).toBe(listed.output); // reasoning tokens are billed as output
    const image = await client.models.retrieve(MODELS.image);
    expect(image.capability).toBe('image');
    expect(image.price?.perImage).toBe(admin.body.items.find((p) => p.model === MODELS.image)!.perImage);
    await expect(client.models.retrieve('no-such-model')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('token counting counts as the provider does', async () => {
    const turns = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: '你好，世界' }];
    expect(await client.tokens.count({ model: MODELS.openai, messages: turns as never })).toBe(promptTokens(turns));
    expect(await client.tokens.count({ model: MODELS.zhipu, input: 'hello there' })).toBe(promptTokens([{ role: 'user', content: 'hello there' }]));
  });

  it('balance, usage and this key\'s calls agree with what was charged', async () => {
    const reply = await client.chat.completions.create({ model: MODELS.openai, messages: ask('one more') });
    const account = await client.account.balance();
    const calls = await client.account.calls({ limit: 1000 });
    // The answer names its call in the log.
    expect(calls.items[0].id).toBe(reply._request_id);
    expect(calls.items.length).toBeGreaterThan(0);
    expect(calls.items.every((c) => c.key_id === g.keyId)).toBe(true);
    const spent = calls.items.reduce((n, c) => n + c.cost, 0);
    expect(account.balance).toBeCloseTo(5000 - spent, 6);
    const usage = await client.account.usage({ days: 1 });
    expect(usage.days.reduce((n, d) => n + d.requests, 0)).toBe(calls.total);
  });

  it('redeem: the code\'s value lands once, even when the answer is lost and the call retried', async () => {
    const [code] = await g.codes(1, 10);
    const before = (await client.account.balance()).balance;
    // The first answer is lost on the way back (the gateway did redeem): the SDK retries with the
    // same Idempotency-Key and gets the first answer again.
    let lose = true;
    const keys: string[] = [];
    const lossy = new APIGPT({
      apiKey: g.key,
      baseURL: g.url,
      fetch: async (input, init) => {
        keys.push(new Headers(init?.headers).get('idempotency-key')!);
        const res = await fetch(input, init);
        if (lose) {
          lose = false;
          await res.text();
          throw new TypeError('socket hang up');
        }
        return res;
      },
    });
    const r = await lossy.account.redeem(code);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(r).toEqual({ amount: 10, balance: before + 10, replayed: true });
    expect((await client.account.balance()).balance).toBe(before + 10);
  });
});

describe('errors and retries', () => {
  it('AuthenticationError for a wrong key, on the relay and the account', async () => {
    const bad = new APIGPT({ apiKey: 'sk-wrong', baseURL: g.url });
    await expect(bad.chat.completions.create({ model: MODELS.openai, messages: ask('x') })).rejects.toMatchObject({ constructor: AuthenticationError, status: 401, code: 'invalid_api_key' });
    await expect(bad.account.balance()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('BadRequestError names the field', async () => {
    const err = await client.chat.completions.create({ model: MODELS.openai, messages: [{ role: 'wizard' as never, content: 'x' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.param).toBe('messages[0].role');
  });

  it('InsufficientCreditError is never retried (x-should-retry: false)', async () => {
    const retries: RetryInfo[] = [];
    const broke = new APIGPT({ apiKey: g.brokeKey, baseURL: g.url, onRetry: (i) => void retries.push(i) });
    await expect(broke.chat.completions.create({ model: MODELS.openai, messages: ask('x') })).rejects.toMatchObject({ constructor: InsufficientCreditError, status: 429, code: 'insufficient_quota' });
    expect(retries).toEqual([]);
  });

  it('RateLimitError carries retry-after; a 429 is retried after exactly that wait', async () => {
    await setFlakyFault(g.flaky, 'status:429:retry-after=1');
    const once = new APIGPT({ apiKey: g.key, baseURL: g.url, maxRetries: 0 });
    await expect(once.chat.completions.create({ model: MODELS.flaky, messages: ask('x') })).rejects.toMatchObject({ constructor: RateLimitError, status: 429, retryAfter: 1 });

    const retries: RetryInfo[] = [];
    const patient = new APIGPT({
      apiKey: g.key,
      baseURL: g.url,
      // The provider recovers while the client waits.
      onRetry: (i) => {
        retries.push(i);
        return setFlakyFault(g.flaky, null);
      },
    });
    const reply = await patient.chat.completions.create({ model: MODELS.flaky, messages: ask('again') });
    expect(reply.choices[0].message.content).toBe(simulatedReply('again'));
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ attempt: 1, delayMs: 1000 });
    expect(retries[0].error).toBeInstanceOf(RateLimitError);
  });

  it('ContentFilterError when the provider filters the content', async () => {
    await setFlakyFault(g.flaky, { kind: 'status', status: 400, body: { error: { message: 'The prompt was filtered.', type: 'invalid_request_error', param: 'prompt', code: 'content_filter' } } });
    try {
      await expect(client.chat.completions.create({ model: MODELS.flaky, messages: ask('x') })).rejects.toMatchObject({ constructor: ContentFilterError, status: 400, message: 'The prompt was filtered.' });
    } finally {
      await setFlakyFault(g.flaky, null);
    }
  });

  it('UpstreamError when the provider answers garbage', async () => {
    const once = new APIGPT({ apiKey: g.key, baseURL: g.url, maxRetries: 0 });
    await expect(once.chat.completions.create({ model: MODELS.openai, messages: ask('[[sim fault=malformed]] x') })).rejects.toMatchObject({ constructor: UpstreamError, status: 502, code: 'bad_upstream_response' });
  });

  it('APITimeoutError when no answer comes in time', async () => {
    const hasty = new APIGPT({ apiKey: g.key, baseURL: g.url, maxRetries: 0, timeout: 200 });
    await expect(hasty.chat.completions.create({ model: MODELS.openai, messages: ask('[[sim ttft=3000]] x') })).rejects.toBeInstanceOf(APITimeoutError);
  });

  it('APIConnectionError when nothing listens, after the retries', async () => {
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const retries: RetryInfo[] = [];
    const nowhere = new APIGPT({ apiKey: g.key, baseURL: `http://127.0.0.1:${port}`, maxRetries: 1, onRetry: (i) => void retries.push(i) });
    await expect(nowhere.account.balance()).rejects.toMatchObject({ constructor: APIConnectionError, status: 0 });
    expect(retries.map((r) => r.error.constructor)).toEqual([APIConnectionError]);
  });

  it('NotFoundError for an unknown model; PermissionDeniedError for an App key off its account routes', async () => {
    await expect(client.chat.completions.create({ model: 'no-such-model', messages: ask('x') })).rejects.toMatchObject({ constructor: NotFoundError, code: 'model_not_found' });
    const mgmt = new ManagementClient({ apiKey: g.key, baseURL: g.url });
    await expect(mgmt.call('GET /api/apps')).rejects.toMatchObject({ constructor: PermissionDeniedError, code: 'api_key_not_allowed' });
  });

  it('an error inside a started stream is thrown by the loop, typed', async () => {
    const stream = await client.chat.completions.stream({ model: MODELS.openai, messages: ask('[[sim fault=cut:2]] x') });
    await expect((async () => { for await (const _ of stream.textDeltas()); })()).rejects.toBeInstanceOf(UpstreamError);
  });
});

describe('management client and types', () => {
  it('the console\'s typed calls, with a session cookie', async () => {
    const mgmt = new ManagementClient({ apiKey: null, baseURL: g.url, defaultHeaders: { cookie: g.cookie } });
    const apps = await mgmt.call('GET /api/apps');
    expect(apps.items).toHaveLength(1);
    const keys = await mgmt.call('GET /api/apps/{id}/keys', { params: { id: apps.items[0].id } });
    expect(keys.items.map((k) => k.id)).toEqual([g.keyId]);
  });

  it('the generated types are the OpenAPI document the gateway serves (run `npm run generate -w @apigpt/sdk` after a schema change)', async () => {
    const { generate } = await import('../scripts/openapi-to-ts.mjs');
    const { readFileSync } = await import('node:fs');
    const doc = await (await fetch(`${g.url}/api/openapi.json`)).json();
    const committed = readFileSync(new URL('../src/generated/management-api.ts', import.meta.url), 'utf8');
    expect(generate(doc), 'packages/sdk/src/generated/management-api.ts is out of date: run `npm run build && npm run generate -w @apigpt/sdk`').toBe(committed);
  });

  it('a browser page may send the SDK\'s Idempotency-Key to the relay (CORS preflight)', async () => {
    // The gateway answers preflights only for origins some key allows (a browser key).
    const page = await g.t.newUserWithKey();
    const keys = await g.t.api<{ items: { id: string }[] }>('GET', '/api/keys', undefined, { cookie: page.cookie });
    expect((await g.t.api('PATCH', `/api/keys/${keys.body.items[0].id}`, { origins: ['https://app.example'] }, { cookie: page.cookie })).status).toBe(200);
    const r = await fetch(`${g.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, idempotency-key' } });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-headers')!.split(', ')).toContain('idempotency-key');
  });
});

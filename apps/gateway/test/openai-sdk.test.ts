import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { countTokens } from 'gpt-tokenizer';
import { DB_KINDS, startTestGateway, type TestGateway } from './harness.js';

/** The official `openai` SDK as the client, for every endpoint of the foundation, on both databases. */
describe.each(DB_KINDS)('openai SDK against the gateway (%s)', (db) => {
  let t: TestGateway;
  let client: OpenAI;
  let key: string;

  beforeAll(async () => {
    t = await startTestGateway({ db });
    key = (await t.newUserWithKey()).key;
    client = new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0 });
  });
  afterAll(() => t?.close());

  it('chat.completions.create returns a well-formed completion with honest usage', async () => {
    const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0].message.role).toBe('assistant');
    const text = res.choices[0].message.content!;
    expect(text.length).toBeGreaterThan(0);
    expect(res.usage!.completion_tokens).toBe(countTokens(text));
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
  });

  it('streams chunk by chunk and hides the usage chunk unless asked', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Stream please [[sim chunks=6]]' }] });
    let text = '';
    let chunks = 0;
    let sawUsage = false;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.usage) sawUsage = true;
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(chunks).toBeGreaterThanOrEqual(6);
    expect(text.length).toBeGreaterThan(0);
    expect(sawUsage).toBe(false);
    // ...while the gateway still asked the upstream for usage, to meter exactly.
    const upstreamBody = t.sim.requests.at(-1)!.body as { stream_options?: { include_usage?: boolean } };
    expect(upstreamBody.stream_options?.include_usage).toBe(true);
  });

  it('streams with stream_options.include_usage: one final usage chunk with empty choices', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Count me' }],
    });
    let text = '';
    const usages: OpenAI.CompletionUsage[] = [];
    let last: OpenAI.ChatCompletionChunk | undefined;
    for await (const chunk of stream) {
      last = chunk;
      if (chunk.usage) usages.push(chunk.usage);
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(usages).toHaveLength(1);
    expect(last!.choices).toEqual([]);
    expect(usages[0].completion_tokens).toBe(countTokens(text));
    await t.flushLogs();
    const logs = await t.gw.services.db.selectFrom('request_logs').selectAll().where('stream', '=', 1).orderBy('created_at', 'desc').execute();
    expect(logs[0].completion_tokens).toBe(usages[0].completion_tokens);
    expect(logs[0].ttft_ms).not.toBeNull();
  });

  it('completions.create, plain and streamed', async () => {
    const res = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Once upon a time', max_tokens: 5 });
    expect(res.object).toBe('text_completion');
    expect(res.choices[0].finish_reason).toBe('length');
    expect(res.usage!.completion_tokens).toBe(5);
    const stream = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Once upon a time', stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
  });

  it('embeddings.create in float and base64 (the SDK default) agree', async () => {
    const asFloat = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], encoding_format: 'float' });
    const asDefault = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] });
    expect(t.sim.requests.at(-1)!.body).toMatchObject({ encoding_format: 'base64' });
    expect(asFloat.data).toHaveLength(2);
    expect(asFloat.data[0].embedding.length).toBe(1536);
    for (let i = 0; i < 2; i++) {
      const a = asFloat.data[i].embedding;
      const b = asDefault.data[i].embedding;
      expect(b.length).toBe(a.length);
      for (let j = 0; j < a.length; j += 97) expect(b[j]).toBeCloseTo(a[j], 6);
    }
    expect(asFloat.usage.prompt_tokens).toBe(countTokens('alpha') + countTokens('beta'));
  });

  it('models.list shows the models this key may use', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual(['gpt-3.5-turbo-instruct', 'gpt-4o-mini', 'text-embedding-3-small']);
    const one = await client.models.retrieve('gpt-4o-mini');
    expect(one.id).toBe('gpt-4o-mini');
  });
});

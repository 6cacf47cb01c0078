import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import type { Simulator } from '@apigpt/simulator';
import type { ChannelInput } from '../../src/channels/channels.js';
import { countChatTokens, countTokens } from '../../src/formats/tokens.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';
import { setPrice } from '../billing/helpers.js';

/**
 * Baidu ERNIE (Qianfan v1) channels against the simulator's Baidu routes, through the official
 * SDKs: the API key and secret key are exchanged for an access token once and reused, an expired
 * token is replaced once and the call retried, a refused key fails over, and ERNIE's own error
 * codes and usage reach the caller and the bill.
 */
const MODEL = 'ernie-4.0-8k';
const CHAT_PATH = '/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/';
const REPLY = 'ERNIE says hello';

const open: TestGateway[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

const ernie = (sim: Simulator, name: string, more: Partial<ChannelInput> = {}): ChannelInput => ({
  provider: 'ernie',
  name,
  baseUrl: sim.url,
  secret: `ak-${name}:sk-${name}`,
  models: [MODEL, 'ernie-speed-128k'],
  ...more,
});

async function gateway(channels: (sim: Simulator) => ChannelInput[] = (sim) => [ernie(sim, 'a')]) {
  const t = await startTestGateway({ config: { healthProbeIntervalMs: 0 }, channels });
  open.push(t);
  t.sim.setDefaults({ reply: REPLY });
  const user = await t.newUserWithKey();
  const client = new OpenAI({ apiKey: user.key, baseURL: `${t.url}/v1`, maxRetries: 0 });
  return { t, user, client };
}

/** Token exchanges the simulator's Baidu OAuth endpoint has granted. */
async function exchanges(sim: Simulator): Promise<number> {
  const res = await fetch(`${sim.url}/_sim/ernie/tokens`);
  return ((await res.json()) as { exchanges: number }).exchanges;
}

const chatRequests = (sim: Simulator) => sim.requests.filter((r) => r.path.startsWith(CHAT_PATH));
const ask = (client: OpenAI, content = 'What is ERNIE?') => client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content }] });

describe('Baidu ERNIE channels', () => {
  it('answers an OpenAI chat: system prompt in `system`, the model on its endpoint, the token in the query', async () => {
    const { t, client } = await gateway();
    const res = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is ERNIE?' },
      ],
      max_tokens: 50,
      temperature: 0,
    });
    expect(res.choices[0].message.content).toBe(REPLY);
    expect(res.choices[0].finish_reason).toBe('stop');
    expect(res.model).toBe(MODEL);
    expect(res.usage).toMatchObject({ completion_tokens: countTokens(REPLY) });
    const [sent] = chatRequests(t.sim);
    expect(sent.path).toBe(`${CHAT_PATH}completions_pro`);
    expect(sent.query.access_token).toMatch(/^24\./);
    expect(sent.body).toEqual({ messages: [{ role: 'user', content: 'What is ERNIE?' }], system: 'Be brief.', max_output_tokens: 50, temperature: 0.01 });
  });

  it('streams an OpenAI chat from ERNIE’s sentence events, with ERNIE’s final usage', async () => {
    const { t, client } = await gateway();
    const stream = await client.chat.completions.create({ model: MODEL, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Tell me more' }] });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(REPLY);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: countChatTokens([{ role: 'user', content: 'Tell me more' }]), completion_tokens: countTokens(REPLY) });
    expect(chatRequests(t.sim)[0].body).toMatchObject({ stream: true });
  });

  it('answers an Anthropic Messages call: consecutive user turns joined into one, as ERNIE needs alternating roles', async () => {
    const { t, user } = await gateway();
    const claude = new Anthropic({ apiKey: user.key, baseURL: t.url, maxRetries: 0 });
    const msg = await claude.messages.create({
      model: MODEL,
      max_tokens: 100,
      system: 'Answer in English.',
      messages: [
        { role: 'user', content: 'First question.' },
        { role: 'assistant', content: 'First answer.' },
        { role: 'user', content: [{ type: 'text', text: 'Second question,' }] },
        { role: 'user', content: [{ type: 'text', text: 'asked twice.' }] },
      ],
    });
    expect(msg.content).toMatchObject([{ type: 'text', text: REPLY }]);
    expect(msg.stop_reason).toBe('end_turn');
    expect(chatRequests(t.sim)[0].body).toMatchObject({
      system: 'Answer in English.',
      messages: [
        { role: 'user', content: 'First question.' },
        { role: 'assistant', content: 'First answer.' },
        { role: 'user', content: 'Second question,\n\nasked twice.' },
      ],
    });
  });

  it('streams a Gemini generateContentStream call; a tool definition is a clear 400 in Gemini’s error shape', async () => {
    const { t, user } = await gateway();
    const genai = new GoogleGenAI({ apiKey: user.key, httpOptions: { baseUrl: t.url } });
    const stream = await genai.models.generateContentStream({ model: MODEL, contents: 'Hello from Gemini [[sim chunks=4]]', config: { systemInstruction: 'Be nice.' } });
    let text = '';
    let finish: string | undefined;
    for await (const chunk of stream) {
      text += chunk.text ?? '';
      finish = chunk.candidates?.[0]?.finishReason ?? finish;
    }
    expect(text).toBe(REPLY);
    expect(finish).toBe('STOP');
    expect(chatRequests(t.sim)[0].body).toMatchObject({ system: 'Be nice.', stream: true });

    const res = await fetch(`${t.url}/v1beta/models/${MODEL}:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': user.key },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Weather?' }] }], tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'object', properties: {} } }] }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT', message: expect.stringContaining('tool definitions are not supported') } });
    expect(chatRequests(t.sim)).toHaveLength(1); // nothing sent for the call ERNIE cannot take
  });

  it('fetches the token once for many calls, concurrent ones sharing one exchange', async () => {
    const { t, client } = await gateway();
    const first = await Promise.all(Array.from({ length: 6 }, () => ask(client)));
    const then = [];
    for (let i = 0; i < 4; i++) then.push(await ask(client));
    expect([...first, ...then].every((r) => r.choices[0].message.content === REPLY)).toBe(true);
    expect(await exchanges(t.sim)).toBe(1);
    expect(new Set(chatRequests(t.sim).map((r) => r.query.access_token)).size).toBe(1);
  });

  it('after the token expired (error 111) the call still succeeds: one new exchange, the chat retried once', async () => {
    const { t, client } = await gateway();
    await ask(client);
    expect(await exchanges(t.sim)).toBe(1);
    expect((await fetch(`${t.sim.url}/_sim/ernie/expire`, { method: 'POST' })).status).toBe(200);

    const res = await ask(client, 'Still there?');
    expect(res.choices[0].message.content).toBe(REPLY);
    expect(await exchanges(t.sim)).toBe(2);
    const chats = chatRequests(t.sim);
    expect(chats).toHaveLength(3); // the first call, the refused try, the retry
    expect(chats[1].query.access_token).toBe(chats[0].query.access_token);
    expect(chats[2].query.access_token).not.toBe(chats[1].query.access_token);
  });

  it('renews a token shortly before Baidu’s expiry, without a refused call', async () => {
    const { t, client } = await gateway();
    // Tokens issued from now on live one second.
    expect((await fetch(`${t.sim.url}/_sim/ernie/tokens`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ expiresIn: 1 }) })).status).toBe(200);
    let calls = 0;
    await eventually(
      async () => {
        await ask(client);
        calls++;
        expect(await exchanges(t.sim)).toBe(2);
      },
      { intervalMs: 50 },
    );
    // One chat request per call: every call went out with a live token.
    expect(chatRequests(t.sim)).toHaveLength(calls);
  });

  it('a channel whose keys Baidu refuses (401 invalid_client) is skipped and reported; another channel serves the call', async () => {
    const { t, client } = await gateway((sim) => [ernie(sim, 'bad', { secret: 'ak-bad:bad', priority: 10 }), ernie(sim, 'good')]);
    const res = await ask(client);
    expect(res.choices[0].message.content).toBe(REPLY);
    const channels = await t.gw.services.channels.list();
    const bad = channels.find((c) => c.name === 'bad')!.id;
    const good = channels.find((c) => c.name === 'good')!.id;
    await t.flushLogs();
    const row = await t.gw.services.db.selectFrom('request_logs').selectAll().executeTakeFirstOrThrow();
    expect(row.channel_id).toBe(good);
    expect(JSON.parse(row.attempt_log!)).toMatchObject([
      { channel: bad, status: 401, code: 'invalid_client' },
      { channel: good, status: 200 },
    ]);
    await eventually(async () => {
      const health = await t.api<{ items: { name: string; state: string }[] }>('GET', '/api/admin/channels/health', undefined, { token: t.rootToken });
      expect(health.body.items.find((c) => c.name === 'bad')!.state).toBe('open');
    });
    expect(chatRequests(t.sim).map((r) => r.query.access_token)).toHaveLength(1);
  });

  it('a channel secret that is not API_KEY:SECRET_KEY is a clear channel-configuration error', async () => {
    const { client } = await gateway((sim) => [ernie(sim, 'plain', { secret: 'just-one-key' })]);
    const err = await ask(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain('"API_KEY:SECRET_KEY"');
  });

  it('ERNIE’s 336003 (invalid parameters: an empty message) reaches the caller as a 400 with Baidu’s words', async () => {
    const { t, client } = await gateway();
    const err = await ask(client, '').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('336003');
    expect(chatRequests(t.sim)).toHaveLength(1); // the caller's mistake is not retried
  });

  it('the channel test button exchanges the keys first and pings with the smallest chat; refused keys fail the test', async () => {
    const { t } = await gateway((sim) => [ernie(sim, 'good'), ernie(sim, 'bad', { secret: 'ak-bad:bad' })]);
    const ids = Object.fromEntries((await t.gw.services.channels.list()).map((c) => [c.name, c.id]));
    const ok = await t.api('POST', `/api/admin/channels/${ids.good}/test`, {}, { token: t.rootToken });
    expect(ok.body).toMatchObject({ ok: true, status: 200, model: MODEL });
    expect(chatRequests(t.sim)[0]).toMatchObject({ path: `${CHAT_PATH}completions_pro`, body: { messages: [{ role: 'user', content: 'ping' }], max_output_tokens: 2 } });
    const refused = await t.api('POST', `/api/admin/channels/${ids.bad}/test`, {}, { token: t.rootToken });
    expect(refused.body).toMatchObject({ ok: false });
    expect(refused.body.message).toContain('Baidu token exchange failed: unknown client id');
  });

  it('charges ERNIE’s reported usage at the model’s price', async () => {
    const { t, client, user } = await gateway();
    await setPrice(t, MODEL, 2, 5); // P per 1K tokens: 2,000 µP a prompt token, 5,000 µP an output token
    const messages = [
      { role: 'system' as const, content: 'You are a concise assistant.' },
      { role: 'user' as const, content: 'Name three rivers in China.' },
    ];
    const res = await client.chat.completions.create({ model: MODEL, messages });
    // ERNIE counts the system prompt as a turn of its own.
    const prompt = countChatTokens(messages);
    const completion = countTokens(REPLY);
    expect(res.usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: completion });
    await t.flushLogs();
    const row = await t.gw.services.db.selectFrom('request_logs').selectAll().where('user_id', '=', user.userId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ prompt_tokens: prompt, completion_tokens: completion, status: 200 });
    expect(Number(row.cost)).toBe(prompt * 2_000 + completion * 5_000);
  });
});

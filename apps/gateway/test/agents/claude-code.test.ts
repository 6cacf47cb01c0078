import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTokens } from 'gpt-tokenizer';
import type { RecordedRequest } from '@apigpt/simulator';
import { startTestGateway, type TestGateway } from '../harness.js';
import { setBalance, setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';
import { SIM_KEY } from '../dialects/providers.js';
import type { ChannelInput } from '../../src/channels/channels.js';

/**
 * Claude Code through the gateway, as it talks today (request shape as documented for LLM gateways
 * at code.claude.com/docs/en/llm-gateway and Anthropic's Messages API reference): `POST
 * /v1/messages?beta=true` with `anthropic-version`, a list of `anthropic-beta` flags, system blocks
 * with the attribution line and `cache_control`, a system-role turn inside `messages`, tools with
 * `defer_loading`, adaptive thinking, `output_config`, `metadata.user_id`, `context_management` and
 * `max_tokens: 128000`. Against an Anthropic channel the request arrives as sent but for the model;
 * against an OpenAI channel it is translated and answered in Anthropic's shape.
 */

const BETAS = 'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27';
const CLAUDE = 'claude-code-default'; // the gateway's name; the Anthropic channel maps it to claude-sonnet-4-5
const VIA_OPENAI = 'claude-via-openai'; // served by an OpenAI channel (gpt-4o-mini)
const AZURE = 'gpt-4o'; // an Azure deployment named dep-chat-2024-08-06
const EMBED_ALIAS = 'my-embeddings'; // an alias of text-embedding-3-small

const TOOLS = [
  {
    name: 'Read',
    description: 'Reads a file from the local filesystem.',
    input_schema: { type: 'object', properties: { file_path: { type: 'string', description: 'The absolute path to the file to read' } }, required: ['file_path'], additionalProperties: false },
  },
  {
    name: 'WebFetch',
    description: 'Fetches content from a URL.',
    input_schema: { type: 'object', properties: { url: { type: 'string', format: 'uri' } }, required: ['url'] },
    defer_loading: true,
    cache_control: { type: 'ephemeral' },
  },
];

const SYSTEM = [
  { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.332; cc_entrypoint=cli; cch=8f2a1;' },
  { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: 'ephemeral', ttl: '1h' } },
];

/** A first turn as Claude Code sends it (key order as the CLI writes it). */
function claudeCodeRequest(model: string, stream: boolean, messages?: unknown[]) {
  return {
    model,
    messages: messages ?? [
      { role: 'user', content: [{ type: 'text', text: 'Show me the README.', cache_control: { type: 'ephemeral' } }] },
      { role: 'system', content: 'The working directory is /repo. Today is 2026-03-01.' },
      { role: 'user', content: 'Read the README file please.' },
    ],
    system: SYSTEM,
    tools: TOOLS,
    metadata: { user_id: 'user_5f1c0a6e9b2d4c8a_account_3b0c7d12-4e8f-4a4b-9d2e-1f6a7b8c9d0e_session_0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d' },
    max_tokens: 128000,
    thinking: { type: 'adaptive' },
    output_config: { effort: 'high' },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    stream,
  };
}

const HEADERS = { 'anthropic-version': '2023-06-01', 'anthropic-beta': BETAS, 'x-app': 'cli', 'content-type': 'application/json' };

interface SseEvent {
  event: string | null;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((e) => e.trim())
    .map((raw) => {
      const lines = raw.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? null;
      const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      return { event, data: data === '[DONE]' ? data : JSON.parse(data) };
    });
}

describe('Claude Code through the gateway', () => {
  let t: TestGateway;
  let key: string;
  let userId: string;

  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY },
      channels: (sim): ChannelInput[] => [
        { provider: 'anthropic', name: 'anthropic', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [CLAUDE]: 'claude-sonnet-4-5', 'claude-sonnet-4-5': 'claude-sonnet-4-5' } },
        { provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { [VIA_OPENAI]: 'gpt-4o-mini', [EMBED_ALIAS]: 'text-embedding-3-small' } },
        { provider: 'azure', name: 'azure', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [AZURE]: 'dep-chat-2024-08-06' }, settings: { apiVersion: '2024-10-21' } },
      ],
    });
    for (const m of [CLAUDE, VIA_OPENAI, AZURE, 'claude-sonnet-4-5']) await setPrice(t, m, 3, 15, { cachedInput: 0.3 });
    await setPrice(t, EMBED_ALIAS, 0.02, 0);
    const u = await t.newUserWithKey();
    key = u.key;
    userId = u.userId;
    await setBalance(t, userId, u.cookie, 100_000);
  });
  afterAll(() => t?.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = HEADERS) =>
    fetch(`${t.url}${path}`, { method: 'POST', headers: { ...headers, 'x-api-key': key }, body: JSON.stringify(body) });

  /** What the simulator received for the last call of `path`. */
  const lastTo = (path: string): RecordedRequest => t.sim.requests.filter((r) => r.path === path).at(-1)!;

  async function logRow(id: string) {
    return eventually(async () => {
      await t.flushLogs();
      const row = await t.gw.services.db.selectFrom('request_logs').selectAll().where('id', '=', id).executeTakeFirst();
      expect(row).toBeDefined();
      return row!;
    });
  }

  it('a Claude Code turn reaches an Anthropic channel with its version, every beta flag, ?beta=true and the body unchanged but for the model', async () => {
    const sent = claudeCodeRequest(CLAUDE, true);
    const res = await post('/v1/messages?beta=true', sent);
    expect(res.status).toBe(200);
    const events = parseSse(await res.text());
    expect(events.map((e) => e.event).at(-1)).toBe('message_stop');
    expect(events[0].data.message.model).toBe(CLAUDE);

    const got = lastTo('/v1/messages');
    expect(got.headers['anthropic-version']).toBe('2023-06-01');
    expect(got.headers['anthropic-beta']).toBe(BETAS);
    expect(got.query).toEqual({ beta: 'true' });
    expect(JSON.stringify(got.body)).toBe(JSON.stringify({ ...sent, model: 'claude-sonnet-4-5' }));
  });

  it('a caller that sends no anthropic-version gets the default one; no beta flag is invented', async () => {
    const res = await post('/v1/messages', { model: CLAUDE, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }, { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const got = lastTo('/v1/messages');
    expect({ version: got.headers['anthropic-version'], beta: got.headers['anthropic-beta'], query: got.query }).toEqual({ version: '2023-06-01', beta: undefined, query: {} });
  });

  it('the next turn sends thinking and redacted_thinking blocks with their signatures back; they reach the channel byte for byte and the provider takes them', async () => {
    // Anthropic's documented trigger for a redacted_thinking block, in the user's turn.
    const REDACT = 'ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253';
    const opening = [{ role: 'user', content: `${REDACT} Read the README file please.` }];
    const first = await post('/v1/messages?beta=true', claudeCodeRequest(CLAUDE, true, opening));
    expect(first.status).toBe(200);
    // The client rebuilds the assistant turn from the stream, as Claude Code does: thinking text from
    // thinking_delta, the signature from signature_delta, redacted data whole.
    const blocks: Record<string, any>[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const e of parseSse(await first.text())) {
      if (e.event === 'content_block_start') blocks[e.data.index] = { ...e.data.content_block };
      else if (e.event === 'content_block_delta') {
        const b = blocks[e.data.index];
        const d = e.data.delta;
        if (d.type === 'thinking_delta') b.thinking += d.thinking;
        else if (d.type === 'signature_delta') b.signature += d.signature;
        else if (d.type === 'input_json_delta') b.json = (b.json ?? '') + d.partial_json;
      }
    }
    const toolUse = blocks.find((b) => b.type === 'tool_use')!;
    toolUse.input = JSON.parse(toolUse.json);
    delete toolUse.json;
    expect(blocks.map((b) => b.type)).toEqual(['thinking', 'redacted_thinking', 'tool_use']);
    expect(blocks[0].signature).not.toBe('');
    const assistant = { role: 'assistant', content: blocks };
    const turn = (content: unknown[]) => [...opening, { role: 'assistant', content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '# Project\nHello.' }] }];

    const next = await post('/v1/messages?beta=true', claudeCodeRequest(CLAUDE, true, turn(blocks)));
    expect(next.status).toBe(200);
    expect(parseSse(await next.text()).at(-1)!.event).toBe('message_stop');
    const got = lastTo('/v1/messages').body as { messages: unknown[] };
    expect(JSON.stringify(got.messages[1])).toBe(JSON.stringify(assistant));

    // The provider checks them: one changed character is Anthropic's 400, passed on to the caller as it is.
    const changed = [{ ...blocks[0], thinking: `${blocks[0].thinking}.` }, blocks[1], blocks[2]];
    const refused = await post('/v1/messages?beta=true', claudeCodeRequest(CLAUDE, false, turn(changed)));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'messages.1.content.0: Invalid `signature` in `thinking` block' } });
  });

  it('the same request to an OpenAI channel: 200, a well-formed Anthropic answer, nothing Anthropic-only sent to OpenAI', async () => {
    const res = await post('/v1/messages?beta=true', claudeCodeRequest(VIA_OPENAI, false));
    expect(res.status).toBe(200);
    const msg = (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect({ type: msg.type, role: msg.role, model: msg.model, stop: msg.stop_reason, blocks: msg.content.map((b: { type: string }) => b.type) }).toEqual({
      type: 'message',
      role: 'assistant',
      model: VIA_OPENAI,
      stop: 'tool_use',
      blocks: ['tool_use'],
    });
    expect(msg.content[0]).toMatchObject({ name: 'Read', input: { file_path: expect.any(String) } });

    const got = lastTo('/v1/chat/completions');
    const body = got.body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(got.headers['anthropic-beta']).toBeUndefined();
    expect(got.query).toEqual({});
    // The system blocks (less the attribution line) and the system-role turn, as system messages, in order.
    expect(body.messages.map((m: { role: string; content: unknown }) => [m.role, m.content])).toEqual([
      ['system', "You are Claude Code, Anthropic's official CLI for Claude."],
      ['system', 'The working directory is /repo. Today is 2026-03-01.'],
      ['user', 'Show me the README.'],
      ['user', 'Read the README file please.'],
    ]);
    expect(body.tools.map((x: { function: Record<string, unknown> }) => Object.keys(x.function).sort())).toEqual([
      ['description', 'name', 'parameters'],
      ['description', 'name', 'parameters'],
    ]);
    for (const field of ['thinking', 'output_config', 'context_management', 'metadata', 'system']) expect(body[field], field).toBeUndefined();
  });

  it('streamed to an OpenAI channel: the exact Anthropic event sequence', async () => {
    const res = await post('/v1/messages?beta=true', claudeCodeRequest(VIA_OPENAI, true));
    expect(res.status).toBe(200);
    const events = parseSse(await res.text());
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('message_start');
    expect(names.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(events[0].data.message.model).toBe(VIA_OPENAI);
    expect(events.find((e) => e.event === 'content_block_start')!.data.content_block).toMatchObject({ type: 'tool_use', name: 'Read' });
    expect(events.find((e) => e.event === 'message_delta')!.data.delta.stop_reason).toBe('tool_use');
  });

  describe('prompt-cache usage: reported to the caller as Anthropic reports it, charged at its ratios', () => {
    // Prices (P per 1K) 3 input, 0.3 cached, 15 output → µP per token: input 3000, cache read 300,
    // 5-minute write 3000 × 1.25 = 3750, 1-hour write 3000 × 2 = 6000, output 15000.
    const cost = (u: { input: number; read: number; write5m: number; write1h: number; output: number }) =>
      u.input * 3000 + u.read * 300 + u.write5m * 3750 + u.write1h * 6000 + u.output * 15000;
    // The simulator's rules (packages/simulator README): a turn is 3 + tokens(role) + tokens(text),
    // 3 for the primer; a breakpoint's prefix is written the first time and read afterwards.
    const turn = (role: string, text: string) => 3 + countTokens(role) + countTokens(text);
    const system = 'You are a careful coding assistant in the cache test. '.repeat(12);
    const request = (question: string, stream: boolean) => ({
      model: 'claude-sonnet-4-5',
      max_tokens: 1000,
      stream,
      system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: `${question} [[sim reply="Here it is."]]`, cache_control: { type: 'ephemeral' } }] }],
    });

    it('first call writes the system prompt for an hour and the turn for five minutes; the next reads the system prompt (plain, then streamed)', async () => {
      const toSystem = 3 + turn('system', system);
      const output = countTokens('Here it is.');

      const first = await post('/v1/messages', request('What is in src?', false));
      expect(first.status).toBe(200);
      const a = (await first.json()) as { usage: Record<string, unknown> };
      const w5 = turn('user', 'What is in src?');
      expect(a.usage).toMatchObject({
        input_tokens: 0,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: toSystem + w5,
        cache_creation: { ephemeral_5m_input_tokens: w5, ephemeral_1h_input_tokens: toSystem },
        output_tokens: output,
      });
      const rowA = await logRow(first.headers.get('x-request-id')!);
      expect({ prompt: rowA.prompt_tokens, cached: rowA.cached_tokens, completion: rowA.completion_tokens, cost: Number(rowA.cost) }).toEqual({
        prompt: toSystem + w5,
        cached: 0,
        completion: output,
        cost: cost({ input: 0, read: 0, write5m: w5, write1h: toSystem, output }),
      });

      const second = await post('/v1/messages', request('And in test?', true));
      expect(second.status).toBe(200);
      const events = parseSse(await second.text());
      const w5b = turn('user', 'And in test?');
      expect(events[0].data.message.usage).toMatchObject({
        input_tokens: 0,
        cache_read_input_tokens: toSystem,
        cache_creation_input_tokens: w5b,
        cache_creation: { ephemeral_5m_input_tokens: w5b, ephemeral_1h_input_tokens: 0 },
      });
      const rowB = await logRow(second.headers.get('x-request-id')!);
      expect({ prompt: rowB.prompt_tokens, cached: rowB.cached_tokens, completion: rowB.completion_tokens, cost: Number(rowB.cost) }).toEqual({
        prompt: toSystem + w5b,
        cached: toSystem,
        completion: output,
        cost: cost({ input: 0, read: toSystem, write5m: w5b, write1h: 0, output }),
      });
    });
  });

  describe('every answer names the model the caller asked for', () => {
    it('an aliased Anthropic model, plain and streamed', async () => {
      const plain = await post('/v1/messages', { model: CLAUDE, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
      expect(((await plain.json()) as { model: string }).model).toBe(CLAUDE);
      const streamed = parseSse(await (await post('/v1/messages', { model: CLAUDE, max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] })).text());
      expect(streamed[0].data.message.model).toBe(CLAUDE);
    });

    const openai = (path: string, body: unknown) =>
      fetch(`${t.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

    it('an Azure deployment (dep-chat-2024-08-06) answers as gpt-4o, plain and streamed; the rest of the body is as Azure sent it', async () => {
      const plain = await openai('/v1/chat/completions', { model: AZURE, messages: [{ role: 'user', content: 'hello' }] });
      const text = await plain.text();
      expect(JSON.parse(text).model).toBe(AZURE);
      expect(text).not.toContain('dep-chat-2024-08-06');
      const streamed = parseSse(await (await openai('/v1/chat/completions', { model: AZURE, stream: true, messages: [{ role: 'user', content: 'hello' }] })).text());
      const chunks = streamed.filter((e) => e.data !== '[DONE]' && Array.isArray(e.data.choices) && e.data.choices.length > 0);
      expect(chunks.length).toBeGreaterThan(0);
      expect(new Set(chunks.map((e) => e.data.model))).toEqual(new Set([AZURE]));
    });

    it('an aliased embedding model answers with the alias', async () => {
      const res = await openai('/v1/embeddings', { model: EMBED_ALIAS, input: 'hello' });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { model: string }).model).toBe(EMBED_ALIAS);
    });
  });
});

/**
 * A recording reverse proxy, put between an agent and the gateway (what the agent sent) and between
 * the gateway and the simulator (what the provider got and answered): every request and answer is
 * kept byte for byte, so a test can compare both sides and price the usage the provider itself
 * reported (and read the text it answered) without trusting the gateway's reading of it. Streams
 * are passed on as they come.
 *
 * The usage readers follow each provider's wire format (Anthropic Messages, OpenAI Responses and
 * Chat Completions, Gemini generateContent), and the prices are the test's own table: nothing here
 * calls the gateway's code.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Exchange {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: Record<string, string>;
  /** The request's body as sent. */
  request: string;
  status: number;
  /** The answer's body as received. */
  body: string;
}

export interface Tap {
  url: string;
  /** Where requests go; set once the simulator is up. */
  target: string;
  exchanges: Exchange[];
  close(): Promise<void>;
}

export async function startTap(): Promise<Tap> {
  const exchanges: Exchange[] = [];
  const tap = { target: '' } as Tap;
  const server: Server = createServer((req, res) => {
    const to = new URL(req.url ?? '/', tap.target);
    const sent: Buffer[] = [];
    req.on('data', (b: Buffer) => sent.push(b));
    const upstream = request(to, { method: req.method, headers: { ...req.headers, host: to.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      const chunks: Buffer[] = [];
      answer.on('data', (b: Buffer) => {
        chunks.push(b);
        res.write(b);
      });
      answer.on('end', () => {
        exchanges.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: flat(req.headers), request: Buffer.concat(sent).toString('utf8'), status: answer.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        res.end();
      });
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  tap.url = `http://127.0.0.1:${port}`;
  tap.exchanges = exchanges;
  tap.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return tap;
}

function flat(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The JSON payloads of an SSE body (LF or CRLF framing; `[DONE]` skipped), or the one JSON body. */
export function payloads(body: string): Json[] {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{')) return [JSON.parse(trimmed) as Json];
  const out: Json[] = [];
  for (const block of body.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trimStart())
      .join('\n');
    if (data && data !== '[DONE]') out.push(JSON.parse(data) as Json);
  }
  return out;
}

/** Usage as a provider reports it, in one vocabulary: every prompt token is in exactly one bucket. */
export interface ProviderUsage {
  /** Prompt tokens neither read from nor written to a prompt cache. */
  input: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  /** Output tokens, reasoning included. */
  output: number;
}

export type Wire = 'anthropic' | 'responses' | 'chat' | 'gemini';

export function wireOf(url: string): Wire {
  const path = url.split('?')[0];
  if (path.endsWith('/messages')) return 'anthropic';
  if (path.endsWith('/responses')) return 'responses';
  if (path.endsWith('/chat/completions')) return 'chat';
  if (/:(stream)?generateContent$/i.test(path)) return 'gemini';
  throw new Error(`no usage reader for ${url}`);
}

/** The usage the provider reported in this answer (its final figures). */
export function usageOf(x: Exchange): ProviderUsage {
  const events = payloads(x.body);
  switch (wireOf(x.url)) {
    case 'anthropic': {
      // message_start carries the prompt, message_delta the final output (and, at Anthropic, may
      // repeat the prompt figures): later figures win. A plain answer has one usage.
      const u: Json = {};
      for (const e of events) Object.assign(u, e.usage ?? e.message?.usage ?? {});
      const w5 = u.cache_creation?.ephemeral_5m_input_tokens;
      const w1 = u.cache_creation?.ephemeral_1h_input_tokens;
      return {
        input: u.input_tokens ?? 0,
        cacheRead: u.cache_read_input_tokens ?? 0,
        cacheWrite5m: w5 ?? (w1 === undefined ? (u.cache_creation_input_tokens ?? 0) : 0),
        cacheWrite1h: w1 ?? 0,
        output: u.output_tokens ?? 0,
      };
    }
    case 'responses': {
      const done = events.find((e) => e.type === 'response.completed' || e.type === 'response.incomplete');
      const u: Json = (done ? done.response.usage : events[0].usage) ?? {};
      const cached = u.input_tokens_details?.cached_tokens ?? 0;
      return { input: u.input_tokens - cached, cacheRead: cached, cacheWrite5m: 0, cacheWrite1h: 0, output: u.output_tokens };
    }
    case 'chat': {
      const u: Json = events.filter((e) => e.usage).at(-1)?.usage ?? {};
      const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
      return { input: u.prompt_tokens - cached, cacheRead: cached, cacheWrite5m: 0, cacheWrite1h: 0, output: u.completion_tokens };
    }
    case 'gemini': {
      // Every streamed chunk has usageMetadata; only the last one is final.
      const u: Json = events.filter((e) => e.usageMetadata).at(-1)?.usageMetadata ?? {};
      const cached = u.cachedContentTokenCount ?? 0;
      return { input: u.promptTokenCount - cached, cacheRead: cached, cacheWrite5m: 0, cacheWrite1h: 0, output: (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0) };
    }
  }
}

/** The text the provider answered (reasoning and tool calls left out). */
export function textOf(x: Exchange): string {
  const events = payloads(x.body);
  switch (wireOf(x.url)) {
    case 'anthropic':
      if (events.length === 1 && Array.isArray(events[0].content)) return events[0].content.filter((b: Json) => b.type === 'text').map((b: Json) => b.text).join('');
      return events.filter((e) => e.delta?.type === 'text_delta').map((e) => e.delta.text).join('');
    case 'responses': {
      const done = events.find((e) => e.type === 'response.completed' || e.type === 'response.incomplete')?.response ?? events[0];
      return (done.output as Json[])
        .filter((i) => i.type === 'message')
        .flatMap((i) => i.content as Json[])
        .map((p) => p.text ?? '')
        .join('');
    }
    case 'chat':
      return events.map((e) => e.choices?.[0]?.delta?.content ?? e.choices?.[0]?.message?.content ?? '').join('');
    case 'gemini':
      return events
        .flatMap((e) => (e.candidates?.[0]?.content?.parts ?? []) as Json[])
        .filter((p) => typeof p.text === 'string' && !p.thought)
        .map((p) => p.text)
        .join('');
  }
}

/** The tools the provider's answer called, by the names it used. */
export function toolCallsOf(x: Exchange): string[] {
  const events = payloads(x.body);
  switch (wireOf(x.url)) {
    case 'anthropic':
      if (events.length === 1 && Array.isArray(events[0].content)) return events[0].content.filter((b: Json) => b.type === 'tool_use').map((b: Json) => b.name);
      return events.filter((e) => e.content_block?.type === 'tool_use').map((e) => e.content_block.name);
    case 'responses': {
      const done = events.find((e) => e.type === 'response.completed' || e.type === 'response.incomplete')?.response ?? events[0];
      return (done.output as Json[]).filter((i) => i.type === 'function_call' || i.type === 'custom_tool_call').map((i) => i.name);
    }
    case 'chat':
      return events.flatMap((e) => (e.choices?.[0]?.delta?.tool_calls ?? e.choices?.[0]?.message?.tool_calls ?? []) as Json[]).filter((c) => c.function?.name).map((c) => c.function.name);
    case 'gemini':
      return events.flatMap((e) => (e.candidates?.[0]?.content?.parts ?? []) as Json[]).filter((p) => p.functionCall).map((p) => p.functionCall.name);
  }
}

/**
 * The test's price table, in µP per token: 3 P per 1K input tokens, 0.3 P cached, 15 P output, and
 * prompt-cache writes at Anthropic's published ratios to input (1.25× for 5 minutes, 2× for 1 hour).
 */
export const PRICE = { input: 3, cachedInput: 0.3, output: 15 } as const;
const PER_TOKEN = { input: 3000, cacheRead: 300, cacheWrite5m: 3750, cacheWrite1h: 6000, output: 15000 } as const;

export function priceOf(u: ProviderUsage): number {
  return u.input * PER_TOKEN.input + u.cacheRead * PER_TOKEN.cacheRead + u.cacheWrite5m * PER_TOKEN.cacheWrite5m + u.cacheWrite1h * PER_TOKEN.cacheWrite1h + u.output * PER_TOKEN.output;
}

/** A call's charge as the request log records it: prompt (cache reads and writes included), cached, completion tokens and µP. */
export interface Charge {
  prompt: number;
  cached: number;
  completion: number;
  cost: number;
}

/** What each provider answer should have been charged, from its own usage and the test's prices; in a stable order. */
export function expectedCharges(exchanges: Exchange[]): Charge[] {
  return sortCharges(
    exchanges.map((x) => {
      const u = usageOf(x);
      return { prompt: u.input + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h, cached: u.cacheRead, completion: u.output, cost: priceOf(u) };
    }),
  );
}

/** Request-log rows as charges, in the same order (rows are written in the order calls end, not start). */
export function chargesOf(rows: { prompt_tokens: number; cached_tokens: number; completion_tokens: number; cost: number | string }[]): Charge[] {
  return sortCharges(rows.map((r) => ({ prompt: r.prompt_tokens, cached: r.cached_tokens, completion: r.completion_tokens, cost: Number(r.cost) })));
}

function sortCharges(list: Charge[]): Charge[] {
  return [...list].sort((a, b) => a.cost - b.cost || a.prompt - b.prompt || a.completion - b.completion);
}

/**
 * The three coding agents' channels (Anthropic for Claude Code, OpenAI for Codex CLI, Gemini for
 * Gemini CLI), each reaching the simulator through `tap`, which is pointed at `simUrl` here.
 */
export function agentChannels(tap: Tap, simUrl: string, key: string, models: { anthropic: string[]; openai: string[]; gemini: string[] }) {
  tap.target = simUrl;
  return [
    { provider: 'anthropic' as const, name: 'anthropic', baseUrl: tap.url, secret: key, models: models.anthropic },
    { provider: 'openai' as const, name: 'openai', baseUrl: `${tap.url}/v1`, secret: key, models: models.openai },
    { provider: 'gemini' as const, name: 'gemini', baseUrl: tap.url, secret: key, models: models.gemini },
  ];
}

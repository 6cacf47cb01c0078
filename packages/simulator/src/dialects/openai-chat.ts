// Chat completions in the OpenAI shape, parameterised by "flavour" because Azure, Zhipu and the
// self-hosted ChatGLM servers speak near-copies of it with small, well-known differences.
import { stripDirective } from '../controls.js';
import { generate, type Conversation, type Generation, type ToolChoice, type ToolSpec } from '../generate.js';
import type { Ctx, Outcome } from '../route.js';
import { dataEvent, dataEventCrlf, DONE } from '../sse.js';
import type { TokenCounter } from '../tokens.js';
import { splitEven } from '../tokens.js';

export interface ChatFlavor {
  idPrefix: string;
  /** Emit `object: "chat.completion[.chunk]"` (Zhipu omits it). */
  object: boolean;
  /** Where a stream reports usage: only with stream_options.include_usage (OpenAI), on the finish chunk (Zhipu), never (ChatGLM). */
  streamUsage: 'option' | 'finish-chunk' | 'never';
  /** Answer tool requests with the legacy `function_call` shape (ChatGLM3). */
  legacyFunctionsOnly?: boolean;
  /** Azure content-filter annotations. */
  azure?: boolean;
  /** sse-starlette framing: CRLF separators and a leading ping comment. */
  starlette?: boolean;
  /** Tool-call arguments in one piece rather than fragments (Zhipu). */
  wholeArguments?: boolean;
  /** Model name to report (Azure deployment); default body.model. */
  model?: string;
  /** OpenAI-only fields: system_fingerprint, refusal, annotations. */
  openaiExtras?: boolean;
  /** Extra top-level fields (Zhipu request_id). */
  extra?: (ctx: Ctx, id: string) => Record<string, unknown>;
  /** `system_fingerprint` to report without the other OpenAI extras (DeepSeek). */
  systemFingerprint?: string;
  /**
   * Reasoning models (DeepSeek): chain-of-thought text sent as `reasoning_content` beside the
   * answer, and streamed before it. Its tokens count as completion (reasoning) tokens.
   */
  reasoning?: (conv: Conversation) => string;
  /** Builds the usage object from the plain counts (DeepSeek's cache fields); default OpenAI's. */
  usage?: (ctx: Ctx, counts: { prompt: number; completion: number; reasoning: number }, gen: Generation) => Record<string, unknown>;
}

export const OPENAI_FLAVOR: ChatFlavor = { idPrefix: 'chatcmpl-', object: true, streamUsage: 'option', openaiExtras: true };

/** An OpenAI chat message as far as the simulator reads it. */
export type ChatMessage = { role?: string; content?: unknown; name?: string; tool_calls?: Array<{ function?: { name?: string; arguments?: string } }>; function_call?: { name?: string; arguments?: string } };
type Msg = ChatMessage;

/** Text of an OpenAI message content (string or parts), directive removed. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return stripDirective(content);
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const p of content) {
    if (p && typeof p === 'object' && (p as { type?: string }).type === 'text') {
      const t = (p as { text?: unknown }).text;
      if (typeof t === 'string') out += (out ? '\n' : '') + stripDirective(t);
    }
  }
  return out;
}

function rawText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('\n');
}

function imageCount(content: unknown): number {
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const p of content) if (p && typeof p === 'object' && (p as { type?: string }).type === 'image_url') n++;
  return n;
}

/** The raw text of the last user message: where the directive lives. */
export function chatDirectiveText(body: { messages?: Msg[] }): string {
  const msgs = Array.isArray(body.messages) ? body.messages : [];
  for (let i = msgs.length - 1; i >= 0; i--) if (msgs[i]?.role === 'user') return rawText(msgs[i].content);
  return '';
}

/** Images cost a flat 85 tokens each (the gpt-4o "low detail" figure). */
export const IMAGE_TOKENS = 85;

/**
 * Prompt tokens by the OpenAI cookbook rule: 3 per message + role + content (+ name + 1),
 * 3 for the reply primer, plus the serialised tool/function definitions.
 */
export function countChatPrompt(body: { messages?: Msg[]; tools?: unknown; functions?: unknown }, tokens: TokenCounter): number {
  const msgs = Array.isArray(body.messages) ? body.messages : [];
  let n = 3;
  for (const m of msgs) n += countMessage(m, tokens);
  if (Array.isArray(body.tools) && body.tools.length) n += tokens.count(JSON.stringify(body.tools));
  if (Array.isArray(body.functions) && body.functions.length) n += tokens.count(JSON.stringify(body.functions));
  return n;
}

/** One message's share of the prompt: 3 + role + content (+ name + 1, + tool-call names/arguments). */
export function countMessage(m: Msg, tokens: TokenCounter): number {
  if (!m || typeof m !== 'object') return 0;
  let n = 3 + tokens.count(String(m.role ?? '')) + tokens.count(contentText(m.content)) + imageCount(m.content) * IMAGE_TOKENS;
  if (typeof m.name === 'string') n += tokens.count(m.name) + 1;
  if (Array.isArray(m.tool_calls)) for (const c of m.tool_calls) n += tokens.count(c?.function?.name ?? '') + tokens.count(c?.function?.arguments ?? '');
  if (m.function_call) n += tokens.count(m.function_call.name ?? '') + tokens.count(m.function_call.arguments ?? '');
  return n;
}

/** Reduces an OpenAI chat request to the dialect-free conversation. */
export function parseChat(body: any): { conv: Conversation; legacy: boolean } { // eslint-disable-line @typescript-eslint/no-explicit-any
  const msgs: Msg[] = Array.isArray(body.messages) ? body.messages : [];
  const last = msgs[msgs.length - 1];
  let lastUser: Msg | undefined;
  for (let i = msgs.length - 1; i >= 0; i--) if (msgs[i]?.role === 'user') { lastUser = msgs[i]; break; }
  const toolResult = last && (last.role === 'tool' || last.role === 'function') ? contentText(last.content) : null;

  let tools: ToolSpec[] = [];
  let toolChoice: ToolChoice = 'auto';
  let legacy = false;
  if (Array.isArray(body.tools) && body.tools.length) {
    tools = body.tools
      .filter((t: any) => t && (t.type === 'function' || t.function)) // eslint-disable-line @typescript-eslint/no-explicit-any
      .map((t: any) => ({ name: String(t.function?.name ?? 'tool'), parameters: t.function?.parameters })); // eslint-disable-line @typescript-eslint/no-explicit-any
    toolChoice = parseToolChoice(body.tool_choice, (c) => c?.function?.name);
  } else if (Array.isArray(body.functions) && body.functions.length) {
    legacy = true;
    tools = body.functions.map((f: any) => ({ name: String(f?.name ?? 'function'), parameters: f?.parameters })); // eslint-disable-line @typescript-eslint/no-explicit-any
    toolChoice = parseToolChoice(body.function_call, (c) => c?.name);
  }
  const rf = body.response_format;
  const json = rf?.type === 'json_object' ? {} : rf?.type === 'json_schema' ? { schema: rf.json_schema?.schema } : null;
  const max = body.max_completion_tokens ?? body.max_tokens;
  return {
    conv: {
      lastUserText: lastUser ? contentText(lastUser.content) : '',
      imageCount: lastUser ? imageCount(lastUser.content) : 0,
      toolResult,
      tools,
      toolChoice,
      parallel: body.parallel_tool_calls !== false,
      json,
      maxTokens: typeof max === 'number' ? max : undefined,
      stop: toStopList(body.stop),
    },
    legacy,
  };
}

export function toStopList(stop: unknown): string[] {
  if (typeof stop === 'string') return [stop];
  if (Array.isArray(stop)) return stop.filter((s): s is string => typeof s === 'string');
  return [];
}

function parseToolChoice(v: any, nameOf: (c: any) => unknown): ToolChoice { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (v === 'none' || v === 'auto' || v === 'required') return v;
  const name = v && typeof v === 'object' ? nameOf(v) : undefined;
  return typeof name === 'string' ? { name } : 'auto';
}

const FILTER_OK = {
  hate: { filtered: false, severity: 'safe' },
  self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' },
  violence: { filtered: false, severity: 'safe' },
};

/** Handles a chat completion request (plain or streamed) for any OpenAI-like flavour. */
export function chatCompletion(ctx: Ctx, flavor: ChatFlavor): Outcome {
  const body = ctx.body ?? {};
  const { sim, controls } = ctx;
  const { conv, legacy: legacyRequest } = parseChat(body);
  const legacy = legacyRequest || !!flavor.legacyFunctionsOnly;
  const n = Math.min(Math.max(1, Number(body.n) || 1), 16);
  const gen = generate(conv, controls, sim.tokens, () => sim.newId('call_'));
  const reasoning = flavor.reasoning ? flavor.reasoning(conv) : '';
  const promptTokens = countChatPrompt(body, sim.tokens);
  const reasoningTokens = sim.tokens.count(reasoning) * n;
  const completionTokens = gen.outputTokens * n + reasoningTokens;
  const usage = flavor.usage
    ? flavor.usage(ctx, { prompt: promptTokens, completion: completionTokens, reasoning: reasoningTokens }, gen)
    : {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: reasoningTokens, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      };
  const id = flavor.starlette && body.stream ? '' : sim.newId(flavor.idPrefix);
  const created = Math.floor(Date.now() / 1000);
  const model = flavor.model ?? (typeof body.model === 'string' ? body.model : 'gpt-4o-mini');
  const finish = gen.finish === 'tool_calls' && legacy ? 'function_call' : gen.finish;
  const extra = flavor.extra ? flavor.extra(ctx, id) : undefined;

  if (!body.stream) {
    const message: Record<string, unknown> = { role: 'assistant', content: gen.toolCalls.length ? null : gen.text };
    if (flavor.reasoning) message.reasoning_content = reasoning;
    if (flavor.openaiExtras) Object.assign(message, { refusal: null, annotations: [] });
    if (gen.toolCalls.length) {
      if (legacy) message.function_call = { name: gen.toolCalls[0].name, arguments: gen.toolCalls[0].arguments };
      else message.tool_calls = gen.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
    }
    const choices = [];
    for (let i = 0; i < n; i++) {
      const choice: Record<string, unknown> = { index: i, message, logprobs: null, finish_reason: finish };
      if (flavor.azure) choice.content_filter_results = FILTER_OK;
      choices.push(choice);
    }
    const out: Record<string, unknown> = { id, ...(flavor.object ? { object: 'chat.completion' } : {}), created, model, ...extra };
    if (flavor.openaiExtras || flavor.systemFingerprint) out.system_fingerprint = flavor.systemFingerprint ?? 'fp_sim';
    out.choices = choices;
    if (!controls.noUsage) out.usage = usage;
    if (flavor.azure) out.prompt_filter_results = [{ prompt_index: 0, content_filter_results: FILTER_OK }];
    return { kind: 'json', body: out, headers: { 'x-request-id': id || 'req-sim' } };
  }

  // Streaming.
  const includeUsage = flavor.streamUsage === 'option' && body.stream_options?.include_usage === true;
  const frame = flavor.starlette ? dataEventCrlf : dataEvent;
  const base: Record<string, unknown> = { id, ...(flavor.object ? { object: 'chat.completion.chunk' } : {}), created, model, ...extra };
  if (flavor.openaiExtras || flavor.systemFingerprint) base.system_fingerprint = flavor.systemFingerprint ?? 'fp_sim';
  const chunk = (choices: unknown[], usageValue?: unknown): string => {
    const o: Record<string, unknown> = { ...base, choices };
    if (includeUsage) o.usage = usageValue ?? null;
    return frame(o);
  };
  const events: string[] = [];
  if (flavor.starlette) events.push(`: ping - ${new Date().toISOString()}\r\n\r\n`);
  if (flavor.azure) events.push(dataEvent({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: FILTER_OK }] }));
  const choiceIdx = Array.from({ length: n }, (_, i) => i);
  const isTools = gen.toolCalls.length > 0;
  for (const i of choiceIdx) {
    const first: Record<string, unknown> = { role: 'assistant', content: isTools || flavor.reasoning ? null : '', ...(flavor.openaiExtras ? { refusal: null } : {}) };
    if (flavor.reasoning) first.reasoning_content = '';
    events.push(chunk([{ index: i, delta: first, logprobs: null, finish_reason: null }]));
  }
  // Events from here to the finish chunks carry content (the cut and stall faults count them).
  const firstContent = events.length;
  // Reasoning models stream the chain of thought first, then the answer (content deltas carry
  // reasoning_content: null, as DeepSeek sends them).
  if (reasoning) {
    for (const p of splitEven(reasoning, controls.chunks)) {
      if (!p) continue;
      for (const i of choiceIdx) events.push(chunk([{ index: i, delta: { content: null, reasoning_content: p }, logprobs: null, finish_reason: null }]));
    }
  }
  if (isTools) {
    const pieces = flavor.wholeArguments ? 1 : Math.max(2, controls.chunks);
    for (const i of choiceIdx) pushToolEvents(events, chunk, i, gen, legacy, pieces);
  } else {
    const parts = splitEven(gen.text, controls.chunks);
    for (const p of parts) {
      if (!p) continue;
      const delta = flavor.reasoning ? { content: p, reasoning_content: null } : { content: p };
      for (const i of choiceIdx) events.push(chunk([{ index: i, delta, logprobs: null, finish_reason: null }]));
    }
  }
  const content = Array.from({ length: events.length - firstContent }, (_, k) => firstContent + k);
  for (const i of choiceIdx) {
    const c: Record<string, unknown> = { index: i, delta: {}, logprobs: null, finish_reason: finish };
    if (flavor.azure) c.content_filter_results = {};
    const isLast = i === n - 1;
    if (flavor.streamUsage === 'finish-chunk' && isLast && !controls.noUsage) events.push(frame({ ...base, choices: [c], usage }));
    else events.push(chunk([c]));
  }
  if (includeUsage && !controls.noUsage) events.push(chunk([], usage));
  events.push(flavor.starlette ? 'data: [DONE]\r\n\r\n' : DONE);
  return { kind: 'sse', events, content };
}

function pushToolEvents(events: string[], chunk: (choices: unknown[]) => string, choice: number, gen: Generation, legacy: boolean, pieces: number): void {
  const delta = (d: Record<string, unknown>) => events.push(chunk([{ index: choice, delta: d, logprobs: null, finish_reason: null }]));
  if (legacy) {
    const call = gen.toolCalls[0];
    delta({ function_call: { name: call.name, arguments: '' } });
    for (const frag of splitEven(call.arguments, pieces)) delta({ function_call: { arguments: frag } });
    return;
  }
  gen.toolCalls.forEach((call, k) => {
    delta({ tool_calls: [{ index: k, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] });
    for (const frag of splitEven(call.arguments, pieces)) delta({ tool_calls: [{ index: k, function: { arguments: frag } }] });
  });
}

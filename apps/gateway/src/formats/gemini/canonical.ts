/**
 * Gemini generateContent / embeddings ⇄ the canonical form (§4.7 of the protocol notes). Used by
 * the Gemini ingress (`/v1beta/models/{model}:...`) and by the Gemini provider adapter.
 */
import type { Usage } from '../../core/calls.js';
import type {
  CanonicalChatRequest,
  CanonicalChoice,
  CanonicalCitation,
  CanonicalEvent,
  CanonicalMessage,
  CanonicalPart,
  CanonicalRequest,
  CanonicalResponse,
  CanonicalSearch,
  CanonicalToolCall,
  EncodeContext,
  FinishReason,
  StreamDecoder,
  StreamEncoder,
  ToolChoice,
  WireFormat,
} from '../canonical/types.js';
import { argumentsObject, arr, mintId, num, obj, str, usageFrom } from '../canonical/util.js';
import { badUpstream } from '../openai/canonical.js';
import { thinkingBudget } from '../canonical/reasoning.js';
import { GOOGLE_SEARCH_TOOL, groundingMetadataOut, groundingOf, groundsSearch, otherTools, webSearchFrom } from './grounding.js';

type Json = Record<string, unknown>;

export const geminiFormat: WireFormat = {
  name: 'Gemini',
  translates: ['chat', 'embedding'],
  parseRequest: (operation, body, model, stream) => (operation === 'embedding' ? parseEmbeddingRequest(body, model) : parseRequest(body, model, stream)),
  renderResponse,
  encoder: (ctx) => new GeminiEncoder(ctx),
  renderRequest,
  parseResponse,
  decoder: () => new GeminiDecoder(),
  searches: (req) => groundsSearch(req.tools.length),
};

/** Google accepts snake_case as well as camelCase on input. */
function pick(o: Json | undefined, camel: string, snake: string): unknown {
  return o ? (o[camel] ?? o[snake]) : undefined;
}

// ---- ingress: Gemini request → canonical ----

export function parseRequest(body: Json, model: string, stream: boolean): CanonicalChatRequest {
  const sys = pick(body, 'systemInstruction', 'system_instruction');
  const system = typeof sys === 'string' ? [sys] : sys ? [partsOf(sys).map((p) => str(p.text) ?? '').join('')] : [];
  const messages: CanonicalMessage[] = [];
  // Gemini names function results by function name (ids are optional): each answers the oldest
  // unanswered call of that name.
  const pending: CanonicalToolCall[] = [];
  const contents = Array.isArray(body.contents) ? body.contents : body.contents ? [body.contents] : [];
  for (const raw of contents) {
    const c = obj(raw) ?? {};
    const parts = partsOf(c);
    if (c.role === 'model') {
      const content: CanonicalPart[] = [];
      const toolCalls: CanonicalToolCall[] = [];
      for (const p of parts) {
        const fc = obj(pick(p, 'functionCall', 'function_call'));
        if (fc) {
          const call = { id: str(fc.id) ?? mintId('call_'), name: str(fc.name) ?? '', arguments: JSON.stringify(fc.args ?? {}) };
          toolCalls.push(call);
          pending.push(call);
        } else if (typeof p.text === 'string' && p.thought !== true) content.push({ type: 'text', text: p.text });
      }
      messages.push({ role: 'assistant', content, toolCalls });
      continue;
    }
    const content: CanonicalPart[] = [];
    let results = 0;
    for (const p of parts) {
      const fr = obj(pick(p, 'functionResponse', 'function_response'));
      if (fr) {
        results++;
        const name = str(fr.name) ?? '';
        const at = fr.id ? pending.findIndex((x) => x.id === fr.id) : pending.findIndex((x) => x.name === name);
        const call = at >= 0 ? pending.splice(at, 1)[0] : undefined;
        messages.push({ role: 'tool', toolCallId: str(fr.id) ?? call?.id ?? mintId('call_'), name, content: JSON.stringify(fr.response ?? {}) });
        continue;
      }
      if (typeof p.text === 'string') content.push({ type: 'text', text: p.text });
      const inline = obj(pick(p, 'inlineData', 'inline_data'));
      if (inline) content.push({ type: 'image', source: { kind: 'base64', mediaType: str(pick(inline, 'mimeType', 'mime_type')) ?? 'image/png', data: str(inline.data) ?? '' } });
      const file = obj(pick(p, 'fileData', 'file_data'));
      if (file) content.push({ type: 'image', source: { kind: 'url', url: str(pick(file, 'fileUri', 'file_uri')) ?? '' } });
    }
    if (content.length || results === 0) messages.push({ role: 'user', content });
  }
  const gc = obj(pick(body, 'generationConfig', 'generation_config'));
  const tools = arr(body.tools).flatMap((t) =>
    arr(pick(obj(t), 'functionDeclarations', 'function_declarations')).map((raw) => {
      const f = obj(raw) ?? {};
      return { name: str(f.name) ?? '', description: str(f.description), parameters: obj(f.parameters) ?? obj(pick(f, 'parametersJsonSchema', 'parameters_json_schema')) ?? { type: 'object', properties: {} } };
    }),
  );
  // Google Search maps to the provider's own web search where there is one; other built-in tools
  // (code execution, URL context) are left out and named to the caller.
  let webSearch: CanonicalChatRequest['webSearch'];
  const dropped: string[] = [];
  for (const t of arr(body.tools).map((x) => obj(x) ?? {})) {
    webSearch ??= webSearchFrom(t) ?? undefined;
    dropped.push(...otherTools(t));
  }
  const fcc = obj(pick(obj(pick(body, 'toolConfig', 'tool_config')), 'functionCallingConfig', 'function_calling_config'));
  const mode = str(fcc?.mode)?.toUpperCase();
  const allowed = arr(pick(fcc, 'allowedFunctionNames', 'allowed_function_names'));
  let toolChoice: ToolChoice | undefined;
  if (mode === 'AUTO') toolChoice = 'auto';
  else if (mode === 'NONE') toolChoice = 'none';
  else if (mode === 'ANY') toolChoice = allowed.length === 1 && typeof allowed[0] === 'string' ? { name: allowed[0] } : 'required';
  const mime = pick(gc, 'responseMimeType', 'response_mime_type');
  const schema = obj(pick(gc, 'responseJsonSchema', 'response_json_schema')) ?? obj(pick(gc, 'responseSchema', 'response_schema'));
  const stop = pick(gc, 'stopSequences', 'stop_sequences');
  return {
    kind: 'chat',
    model,
    system: system.filter(Boolean),
    messages,
    stream,
    maxTokens: num(pick(gc, 'maxOutputTokens', 'max_output_tokens')),
    temperature: num(gc?.temperature),
    topP: num(pick(gc, 'topP', 'top_p')),
    topK: num(pick(gc, 'topK', 'top_k')),
    stop: Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string') : undefined,
    n: num(pick(gc, 'candidateCount', 'candidate_count')),
    seed: num(gc?.seed),
    presencePenalty: num(pick(gc, 'presencePenalty', 'presence_penalty')),
    frequencyPenalty: num(pick(gc, 'frequencyPenalty', 'frequency_penalty')),
    tools,
    toolChoice,
    responseFormat: mime === 'application/json' ? (schema ? { type: 'json_schema', name: 'response', schema } : { type: 'json_object' }) : undefined,
    hideReasoning: pick(obj(pick(gc, 'thinkingConfig', 'thinking_config')), 'includeThoughts', 'include_thoughts') === false || undefined,
    ...(webSearch ? { webSearch } : {}),
    ...(dropped.length ? { droppedTools: [...new Set(dropped)] } : {}),
  };
}

function partsOf(c: unknown): Json[] {
  return arr(obj(c)?.parts).map((p) => obj(p) ?? {});
}

function parseEmbeddingRequest(body: Json, model: string): CanonicalRequest {
  const single = !Array.isArray(body.requests);
  const reqs = single ? [body] : arr(body.requests).map((r) => obj(r) ?? {});
  const inputs = reqs.map((r) => partsOf(r.content).map((p) => str(p.text) ?? '').join('\n'));
  const dims = num(pick(reqs[0], 'outputDimensionality', 'output_dimensionality'));
  return { kind: 'embedding', model, inputs, dimensions: dims, single };
}

// ---- ingress: canonical answer → Gemini response ----

const FINISH_OUT: Record<FinishReason, string> = { stop: 'STOP', tool_calls: 'STOP', length: 'MAX_TOKENS', content_filter: 'SAFETY' };

/** Gemini counts thinking apart from the answer (`thoughtsTokenCount`); the canonical completion includes it. */
export function usageOut(u: Usage): Json {
  const thoughts = Math.min(u.reasoningTokens ?? 0, u.completionTokens);
  const out: Json = { promptTokenCount: u.promptTokens, candidatesTokenCount: u.completionTokens - thoughts, totalTokenCount: u.promptTokens + u.completionTokens };
  if (u.cachedTokens) out.cachedContentTokenCount = u.cachedTokens;
  if (thoughts) out.thoughtsTokenCount = thoughts;
  return out;
}

function renderResponse(res: CanonicalResponse, ctx: EncodeContext): unknown {
  if (res.kind === 'embedding') {
    const single = ctx.request.kind === 'embedding' && ctx.request.single;
    return single ? { embedding: { values: res.vectors[0] ?? [] } } : { embeddings: res.vectors.map((values) => ({ values })) };
  }
  return {
    candidates: res.choices.map((c) => {
      // Searches another provider ran (Anthropic's web search) as Gemini's grounding of the answer.
      const grounding = groundingMetadataOut(c.searches ?? [], c.citations ?? [], c.text);
      return { content: { role: 'model', parts: partsOut(hidesReasoning(ctx) ? { ...c, reasoning: undefined } : c) }, finishReason: FINISH_OUT[c.finish], ...(grounding ? { groundingMetadata: grounding } : {}), index: c.index };
    }),
    usageMetadata: usageOut(res.usage ?? usageFrom(0, 0)),
    modelVersion: ctx.model,
    responseId: res.id,
  };
}

/** Reasoning (another provider's, e.g. DeepSeek's `reasoning_content`) leads as a `thought: true` part, as Gemini's thought summaries do. */
function partsOut(c: Pick<CanonicalChoice, 'text' | 'toolCalls' | 'reasoning'>): Json[] {
  const parts: Json[] = [];
  if (c.reasoning) parts.push({ text: c.reasoning, thought: true });
  if (c.text || !c.toolCalls.length) parts.push({ text: c.text });
  for (const t of c.toolCalls) parts.push({ functionCall: { id: t.id, name: t.name, args: argumentsObject(t.arguments) } });
  return parts;
}

/**
 * Canonical events → Gemini chunks. Text goes out as it comes. A function call travels whole in
 * Gemini (no argument fragments), so its fragments are gathered until the call is complete; the
 * finish reason waits for `end` so that the last chunk carries the final usage, as Gemini's does.
 */
class GeminiEncoder implements StreamEncoder {
  private readonly id = mintId('');
  private readonly calls = new Map<number, Map<number, CanonicalToolCall>>();
  private readonly finishes = new Map<number, FinishReason>();
  /** Per choice: its text so far, and the searches and citations to ground it with (sent with the last chunk, as Gemini does). */
  private readonly texts = new Map<number, string>();
  private readonly searches = new Map<number, CanonicalSearch[]>();
  private readonly citations = new Map<number, CanonicalCitation[]>();

  constructor(private readonly ctx: EncodeContext) {}

  encode(ev: CanonicalEvent, usage: () => Usage): string {
    switch (ev.type) {
      case 'search':
        this.searches.set(ev.choice, [...(this.searches.get(ev.choice) ?? []), ev.search]);
        return '';
      case 'citation':
        this.citations.set(ev.choice, [...(this.citations.get(ev.choice) ?? []), ev.citation]);
        return '';
      case 'text':
        this.texts.set(ev.choice, (this.texts.get(ev.choice) ?? '') + ev.text);
        return this.chunk([{ content: { role: 'model', parts: [{ text: ev.text }] }, index: ev.choice }]);
      case 'reasoning':
        return hidesReasoning(this.ctx) ? '' : this.chunk([{ content: { role: 'model', parts: [{ text: ev.text, thought: true }] }, index: ev.choice }]);
      case 'tool_call': {
        const byIndex = this.calls.get(ev.choice) ?? new Map<number, CanonicalToolCall>();
        this.calls.set(ev.choice, byIndex);
        const call = byIndex.get(ev.index) ?? { id: ev.id ?? mintId('call_'), name: ev.name ?? '', arguments: '' };
        call.arguments += ev.args;
        byIndex.set(ev.index, call);
        return '';
      }
      case 'finish':
        this.finishes.set(ev.choice, ev.finish);
        return this.flushCalls(ev.choice);
      case 'error':
        return `data: ${JSON.stringify({ error: { code: ev.status, message: ev.message, status: ev.status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT' } })}\n\n`;
      case 'end': {
        let out = '';
        for (const choice of this.calls.keys()) out += this.flushCalls(choice);
        const choices = this.finishes.size ? [...this.finishes] : [[0, 'stop'] as [number, FinishReason]];
        const candidates = choices.map(([index, f]) => {
          const grounding = groundingMetadataOut(this.searches.get(index) ?? [], this.citations.get(index) ?? [], this.texts.get(index) ?? '');
          return { content: { role: 'model', parts: [{ text: '' }] }, finishReason: FINISH_OUT[f], ...(grounding ? { groundingMetadata: grounding } : {}), index };
        });
        return out + `data: ${JSON.stringify({ candidates, usageMetadata: usageOut(usage()), modelVersion: this.ctx.model, responseId: this.id })}\n\n`;
      }
      default:
        return '';
    }
  }

  private flushCalls(choice: number): string {
    const byIndex = this.calls.get(choice);
    if (!byIndex?.size) return '';
    this.calls.delete(choice);
    const toolCalls = [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
    return this.chunk([{ content: { role: 'model', parts: partsOut({ text: '', toolCalls }) }, index: choice }]);
  }

  private chunk(candidates: Json[]): string {
    return `data: ${JSON.stringify({ candidates, modelVersion: this.ctx.model, responseId: this.id })}\n\n`;
  }
}

function hidesReasoning(ctx: EncodeContext): boolean {
  return ctx.request.kind === 'chat' && ctx.request.hideReasoning === true;
}

// ---- provider side: canonical → Gemini request ----

function renderRequest(req: CanonicalRequest, upstreamModel: string): Json {
  if (req.kind === 'embedding') {
    // Always the batch method: one round trip for any number of inputs.
    return {
      requests: req.inputs.map((text) => ({
        model: `models/${upstreamModel}`,
        content: { parts: [{ text }] },
        ...(req.dimensions !== undefined ? { outputDimensionality: req.dimensions } : {}),
      })),
    };
  }
  const out: Json = { contents: renderContents(req) };
  if (req.system.length) out.systemInstruction = { parts: [{ text: req.system.join('\n\n') }] };
  const gc: Json = {};
  if (req.maxTokens !== undefined) gc.maxOutputTokens = req.maxTokens;
  if (req.temperature !== undefined) gc.temperature = req.temperature;
  if (req.topP !== undefined) gc.topP = req.topP;
  if (req.topK !== undefined) gc.topK = req.topK;
  if (req.stop?.length) gc.stopSequences = req.stop;
  if (req.n !== undefined) gc.candidateCount = req.n;
  if (req.seed !== undefined) gc.seed = req.seed;
  if (req.presencePenalty !== undefined) gc.presencePenalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) gc.frequencyPenalty = req.frequencyPenalty;
  if (req.responseFormat) {
    gc.responseMimeType = 'application/json';
    if (req.responseFormat.type === 'json_schema') gc.responseJsonSchema = req.responseFormat.schema;
  }
  const budget = thinkingBudget(req.reasoningEffort);
  // Gemini's thinking control (https://ai.google.dev/gemini-api/docs/thinking): a budget in tokens
  // (0 = off, where the model allows it), and thoughts shown only when asked for.
  if (budget !== undefined || req.showReasoning) gc.thinkingConfig = { ...(budget !== undefined ? { thinkingBudget: budget } : {}), ...(req.showReasoning && budget !== 0 ? { includeThoughts: true } : {}) };
  if (Object.keys(gc).length) out.generationConfig = gc;
  // The translator keeps a web search only where groundsSearch() allows it (no function tools).
  if (req.webSearch) out.tools = [GOOGLE_SEARCH_TOOL];
  if (req.tools.length) {
    // parametersJsonSchema takes full JSON Schema; `parameters` only an OpenAPI subset (§4.2).
    out.tools = [{ functionDeclarations: req.tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), parametersJsonSchema: t.parameters })) }];
    const c = req.toolChoice;
    if (c) {
      const mode = c === 'auto' ? 'AUTO' : c === 'none' ? 'NONE' : 'ANY';
      out.toolConfig = { functionCallingConfig: { mode, ...(typeof c === 'object' ? { allowedFunctionNames: [c.name] } : {}) } };
    }
  }
  return out;
}

function renderContents(req: CanonicalChatRequest): Json[] {
  const names = new Map<string, string>();
  const out: { role: string; parts: Json[] }[] = [];
  const push = (role: string, parts: Json[]) => {
    const last = out[out.length - 1];
    if (last && last.role === role) last.parts.push(...parts);
    else out.push({ role, parts: [...parts] });
  };
  for (const m of req.messages) {
    if (m.role === 'user') push('user', m.content.map(partOut));
    else if (m.role === 'assistant') {
      const parts = m.content.filter((p) => p.type !== 'text' || p.text).map(partOut);
      for (const t of m.toolCalls) {
        names.set(t.id, t.name);
        parts.push({ functionCall: { id: t.id, name: t.name, args: argumentsObject(t.arguments) } });
      }
      push('model', parts);
    } else {
      // functionResponse.response must be an object: JSON objects go as they are, anything else wrapped.
      const parsed = argumentsObject(m.content);
      const response = m.content.trim().startsWith('{') && Object.keys(parsed).length ? parsed : { result: m.content };
      push('user', [{ functionResponse: { id: m.toolCallId, name: m.name ?? names.get(m.toolCallId) ?? '', response } }]);
    }
  }
  return out.filter((c) => c.parts.length > 0);
}

function partOut(p: CanonicalPart): Json {
  if (p.type === 'text') return { text: p.text };
  if (p.source.kind === 'base64') return { inlineData: { mimeType: p.source.mediaType, data: p.source.data } };
  return { fileData: { mimeType: mimeFromUrl(p.source.url), fileUri: p.source.url } };
}

function mimeFromUrl(url: string): string {
  const ext = /\.(png|jpe?g|gif|webp)(?:\?|$)/i.exec(url)?.[1]?.toLowerCase();
  return ext === 'png' ? 'image/png' : ext === 'gif' ? 'image/gif' : ext === 'webp' ? 'image/webp' : 'image/jpeg';
}

// ---- provider side: Gemini answer → canonical ----

export function finishIn(raw: unknown, hasCalls: boolean): FinishReason {
  if (raw === 'MAX_TOKENS') return 'length';
  if (typeof raw === 'string' && /SAFETY|RECITATION|BLOCKLIST|PROHIBITED|SPII|LANGUAGE/.test(raw)) return 'content_filter';
  return hasCalls ? 'tool_calls' : 'stop';
}

/** Gemini counts tool-use prompt and thinking separately; OpenAI's meaning includes them (§4.7). */
export function usageIn(u: unknown): Usage | null {
  const o = obj(u);
  if (!o || typeof o.promptTokenCount !== 'number') return null;
  const thoughts = num(o.thoughtsTokenCount);
  return usageFrom(o.promptTokenCount + (num(o.toolUsePromptTokenCount) ?? 0), (num(o.candidatesTokenCount) ?? 0) + (thoughts ?? 0), num(o.cachedContentTokenCount) ?? 0, thoughts);
}

function parseResponse(body: unknown, req: CanonicalRequest): CanonicalResponse {
  const b = obj(body);
  if (!b) throw badUpstream();
  if (req.kind === 'embedding') {
    const list = Array.isArray(b.embeddings) ? b.embeddings : b.embedding ? [b.embedding] : null;
    if (!list) throw badUpstream();
    return { kind: 'embedding', model: req.model, vectors: list.map((e) => arr(obj(e)?.values) as number[]), usage: null };
  }
  const candidates = arr(b.candidates);
  const choices: CanonicalChoice[] = candidates.map((raw, i) => {
    const c = obj(raw) ?? {};
    let text = '';
    let reasoning = '';
    const toolCalls: CanonicalToolCall[] = [];
    for (const p of partsOf(c.content)) {
      const fc = obj(p.functionCall);
      if (fc) toolCalls.push({ id: str(fc.id) ?? mintId('call_'), name: str(fc.name) ?? '', arguments: JSON.stringify(fc.args ?? {}) });
      else if (typeof p.text === 'string' && p.thought === true) reasoning += p.text;
      else if (typeof p.text === 'string') text += p.text;
    }
    const grounded = groundingOf(c.groundingMetadata, text);
    return {
      index: num(c.index) ?? i,
      text,
      toolCalls,
      finish: finishIn(c.finishReason, toolCalls.length > 0),
      ...(reasoning ? { reasoning } : {}),
      ...(grounded ? { searches: [grounded.search], ...(grounded.citations.length ? { citations: grounded.citations } : {}) } : {}),
    };
  });
  // A blocked prompt comes back without candidates: an empty, filtered answer.
  if (!choices.length) {
    if (!obj(b.promptFeedback)?.blockReason) throw badUpstream();
    choices.push({ index: 0, text: '', toolCalls: [], finish: 'content_filter' });
  }
  return { kind: 'chat', id: str(b.responseId) ?? mintId(''), model: str(b.modelVersion) ?? req.model, created: Math.floor(Date.now() / 1000), choices, usage: withSearches(usageIn(b.usageMetadata), searchCount(choices)) };
}

/**
 * Gemini chunks → canonical events. Gemini has no end marker: a stream whose last chunk carried a
 * finish reason ended properly; one without was cut (§11).
 */
class GeminiDecoder implements StreamDecoder {
  private started = false;
  private finished = false;
  private readonly callCount = new Map<number, number>();
  /** Per choice: the answer's text so far (grounding points into it), and its grounding once read. */
  private readonly texts = new Map<number, string>();
  private readonly grounding = new Map<number, unknown>();
  private searches = 0;

  decode(ev: { event: string | null; data: string }): CanonicalEvent[] {
    let d: Json;
    try {
      d = JSON.parse(ev.data) as Json;
    } catch {
      return [{ type: 'error', message: 'The provider sent a malformed stream event.', status: 502 }];
    }
    const err = obj(d.error);
    if (err) return [{ type: 'error', message: str(err.message) ?? 'The provider reported an error.', status: num(err.code) ?? 502 }];
    const out: CanonicalEvent[] = [];
    if (!this.started) {
      this.started = true;
      out.push({ type: 'start', id: str(d.responseId), model: str(d.modelVersion) });
    }
    for (const [i, raw] of arr(d.candidates).entries()) {
      const c = obj(raw) ?? {};
      const choice = num(c.index) ?? i;
      for (const p of partsOf(c.content)) {
        const fc = obj(p.functionCall);
        if (fc) {
          const index = this.callCount.get(choice) ?? 0;
          this.callCount.set(choice, index + 1);
          out.push({ type: 'tool_call', choice, index, id: str(fc.id) ?? mintId('call_'), name: str(fc.name) ?? '', args: JSON.stringify(fc.args ?? {}) });
        } else if (typeof p.text === 'string' && p.text) {
          out.push({ type: p.thought === true ? 'reasoning' : 'text', choice, text: p.text });
          if (p.thought !== true) this.texts.set(choice, (this.texts.get(choice) ?? '') + p.text);
        }
      }
      if (c.groundingMetadata) this.grounding.set(choice, c.groundingMetadata);
      // The grounding (Gemini sends it with the last chunk) goes out before the finish closes the text.
      if (c.finishReason) out.push(...this.grounded(choice));
      if (c.finishReason) {
        this.finished = true;
        out.push({ type: 'finish', choice, finish: finishIn(c.finishReason, (this.callCount.get(choice) ?? 0) > 0) });
      }
    }
    if (!arr(d.candidates).length && obj(d.promptFeedback)?.blockReason) {
      this.finished = true;
      out.push({ type: 'finish', choice: 0, finish: 'content_filter' });
    }
    const usage = withSearches(usageIn(d.usageMetadata), this.searches);
    if (usage) out.push({ type: 'usage', usage });
    return out;
  }

  finish(): CanonicalEvent[] {
    return this.finished ? [{ type: 'end' }] : [];
  }

  /** The search and citations of a choice's grounding, once. */
  private grounded(choice: number): CanonicalEvent[] {
    const g = groundingOf(this.grounding.get(choice), this.texts.get(choice) ?? '');
    this.grounding.delete(choice);
    if (!g) return [];
    this.searches += g.search.queries.length;
    // The citations first, while the text they point into is still open; the search item follows it.
    return [...g.citations.map((citation) => ({ type: 'citation' as const, choice, citation })), { type: 'search', choice, search: g.search }];
  }
}

/** Each query Google Search ran counts as one search (the unit Gemini's grounding is priced by). */
function searchCount(choices: CanonicalChoice[]): number {
  return choices.reduce((n, c) => n + (c.searches ?? []).reduce((m, s) => m + s.queries.length, 0), 0);
}

function withSearches(usage: Usage | null, searches: number): Usage | null {
  return usage && searches ? { ...usage, searches } : usage;
}

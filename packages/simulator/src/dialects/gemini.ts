// Google Gemini (§4): generateContent, streamGenerateContent (CRLF-framed SSE with alt=sse, a
// JSON array without it), embedContent, batchEmbedContents, countTokens and the model list.
import { stripDirective } from '../controls.js';
import { embedVector, vectorArray } from '../embed.js';
import { generate, type Conversation, type ToolChoice, type ToolSpec } from '../generate.js';
import { header } from '../http.js';
import type { Ctx, Dialect, Outcome, Route } from '../route.js';
import { dataEventCrlf } from '../sse.js';
import type { TokenCounter } from '../tokens.js';
import { splitEven } from '../tokens.js';
import { IMAGE_TOKENS } from './openai-chat.js';
import { asksToSearch, citedSplit, runSearch, type SimulatedSearch } from '../search.js';
import { sign, verify } from '../signatures.js';

/** Gemini 2.5 and later think, and sign their turns with `thoughtSignature` (ai.google.dev/gemini-api/docs/thought-signatures). */
const thinks = (model: string): boolean => /^gemini-(2\.5|[3-9])/.test(model);
/** Gemini 3 and later refuse a current-turn function call sent back without its signature. */
const requiresSignatures = (model: string): boolean => /^gemini-[3-9]/.test(model);

/** What a part's signature covers: a function call's name and arguments; nothing but its origin for text. */
const signed = (p: Part): string => {
  const fc = pick(p, 'functionCall', 'function_call');
  return fc ? JSON.stringify({ name: fc.name ?? '', args: fc.args ?? {} }) : '';
};

/**
 * The model turns sent back: every `thoughtSignature` must be one this model issued for that part,
 * unchanged; on Gemini 3, the first function call of each model turn of the current turn (after
 * the user's last own words) must carry its signature.
 */
function verifySignatures(contents: Content[], model: string, sim: object): Outcome | null {
  let current = 0;
  contents.forEach((c, i) => {
    if ((c.role ?? 'user') === 'user' && partsOf(c).some((p) => !pick(p, 'functionResponse', 'function_response'))) current = i + 1;
  });
  for (let i = 0; i < contents.length; i++) {
    if (contents[i].role !== 'model') continue;
    const parts = partsOf(contents[i]);
    for (const p of parts) {
      const sig = pick(p, 'thoughtSignature', 'thought_signature');
      if (sig !== undefined && !verify(sim, 'gemini', signed(p), sig)) return geminiError(400, 'Corrupted thought signature.');
    }
    const firstCall = parts.findIndex((p) => pick(p, 'functionCall', 'function_call'));
    if (i >= current && requiresSignatures(model) && firstCall >= 0 && pick(parts[firstCall], 'thoughtSignature', 'thought_signature') === undefined) {
      const name = pick(parts[firstCall], 'functionCall', 'function_call').name;
      return geminiError(400, `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${name}\` , position ${i + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`);
    }
  }
  return null;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function geminiError(status: number, message: string, reason?: string): Outcome {
  const err: Record<string, unknown> = { code: status, message, status: STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION') };
  if (reason) err.details = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } }];
  else if (status === 429) err.details = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' }];
  return { kind: 'json', status, body: { error: err } };
}

export const geminiDialect: Dialect = {
  name: 'gemini',
  authorize(ctx, apiKey) {
    const key = header(ctx.req, 'x-goog-api-key') ?? ctx.query.key;
    if (key === apiKey) return null;
    if (!key) {
      return geminiError(403, 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.');
    }
    // Google answers a wrong key with 400, not 401 (§4.6, §11).
    return geminiError(400, 'API key not valid. Please pass a valid API key.', 'API_KEY_INVALID');
  },
  error: (status, message, code) => geminiError(status, message, code),
  modelNotFound: (model) => geminiError(404, `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`),
};

/** Gemini accepts snake_case on input as well as camelCase. */
function pick(o: any, camel: string, snake: string): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!o || typeof o !== 'object') return undefined;
  return o[camel] ?? o[snake];
}

type Part = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Content = { role?: string; parts?: Part[] };

function partsOf(c: unknown): Part[] {
  const parts = (c as Content | undefined)?.parts;
  return Array.isArray(parts) ? parts.filter((p) => p && typeof p === 'object') : [];
}

function partsText(parts: Part[]): string {
  const out: string[] = [];
  for (const p of parts) {
    if (typeof p.text === 'string') out.push(stripDirective(p.text));
    const fc = pick(p, 'functionCall', 'function_call');
    if (fc) out.push(`${fc.name ?? ''}${JSON.stringify(fc.args ?? {})}`);
    const fr = pick(p, 'functionResponse', 'function_response');
    if (fr) out.push(`${fr.name ?? ''}${JSON.stringify(fr.response ?? {})}`);
  }
  return out.join('\n');
}

const isImage = (p: Part): boolean => {
  const d = pick(p, 'inlineData', 'inline_data') ?? pick(p, 'fileData', 'file_data');
  const mime = d ? pick(d, 'mimeType', 'mime_type') : undefined;
  return !!d && (typeof mime !== 'string' || mime.startsWith('image/'));
};

function contentsOf(body: any): Content[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const c = body?.contents;
  if (Array.isArray(c)) return c;
  if (c && typeof c === 'object') return [c]; // a single Content is accepted too
  return [];
}

export function geminiDirectiveText(body: unknown): string {
  const contents = contentsOf(body);
  for (let i = contents.length - 1; i >= 0; i--) {
    if ((contents[i].role ?? 'user') !== 'user') continue;
    return partsOf(contents[i])
      .map((p) => (typeof p.text === 'string' ? p.text : ''))
      .join('\n');
  }
  return '';
}

/** Same rule as the other dialects: 3 + role + text per turn, system as a turn, 3 for the primer. */
export function countGeminiPrompt(body: any, tokens: TokenCounter): number { // eslint-disable-line @typescript-eslint/no-explicit-any
  let n = 3;
  const sys = pick(body, 'systemInstruction', 'system_instruction');
  if (sys) n += 3 + tokens.count('system') + tokens.count(typeof sys === 'string' ? stripDirective(sys) : partsText(partsOf(sys)));
  for (const c of contentsOf(body)) {
    const parts = partsOf(c);
    n += 3 + tokens.count(c.role ?? 'user') + tokens.count(partsText(parts)) + parts.filter(isImage).length * IMAGE_TOKENS;
  }
  if (Array.isArray(body?.tools) && body.tools.length) n += tokens.count(JSON.stringify(body.tools));
  return n;
}

function parseConversation(body: any): { conv: Conversation; n: number } { // eslint-disable-line @typescript-eslint/no-explicit-any
  const contents = contentsOf(body);
  let lastUser: Part[] = [];
  for (let i = contents.length - 1; i >= 0; i--) if ((contents[i].role ?? 'user') === 'user') { lastUser = partsOf(contents[i]); break; }
  const last = contents[contents.length - 1];
  const responses = last && (last.role ?? 'user') === 'user' ? partsOf(last).map((p) => pick(p, 'functionResponse', 'function_response')).filter(Boolean) : [];
  const tools: ToolSpec[] = [];
  for (const t of Array.isArray(body.tools) ? body.tools : []) {
    for (const f of pick(t, 'functionDeclarations', 'function_declarations') ?? []) {
      if (f && typeof f.name === 'string') tools.push({ name: f.name, parameters: f.parameters ?? pick(f, 'parametersJsonSchema', 'parameters_json_schema') });
    }
  }
  const fcc = pick(pick(body, 'toolConfig', 'tool_config'), 'functionCallingConfig', 'function_calling_config');
  const mode = typeof fcc?.mode === 'string' ? fcc.mode.toUpperCase() : 'AUTO';
  const allowed = pick(fcc, 'allowedFunctionNames', 'allowed_function_names');
  let toolChoice: ToolChoice = 'auto';
  if (mode === 'NONE') toolChoice = 'none';
  else if (mode === 'ANY') toolChoice = Array.isArray(allowed) && allowed.length === 1 ? { name: String(allowed[0]) } : 'required';
  const gc = pick(body, 'generationConfig', 'generation_config') ?? {};
  const mime = pick(gc, 'responseMimeType', 'response_mime_type');
  const schema = pick(gc, 'responseJsonSchema', 'response_json_schema') ?? pick(gc, 'responseSchema', 'response_schema');
  const max = pick(gc, 'maxOutputTokens', 'max_output_tokens');
  const stop = pick(gc, 'stopSequences', 'stop_sequences');
  const count = Number(pick(gc, 'candidateCount', 'candidate_count')) || 1;
  return {
    conv: {
      lastUserText: lastUser.filter((p) => typeof p.text === 'string').map((p) => stripDirective(p.text)).join('\n'),
      imageCount: lastUser.filter(isImage).length,
      toolResult: responses.length ? responses.map((r) => JSON.stringify(r.response ?? {})).join('\n') : null,
      tools,
      toolChoice,
      parallel: true,
      json: mime === 'application/json' ? { schema } : null,
      maxTokens: typeof max === 'number' ? max : undefined,
      stop: Array.isArray(stop) ? stop.filter((s: unknown) => typeof s === 'string') : [],
    },
    n: Math.min(Math.max(1, count), 8),
  };
}

function generateContent(ctx: Ctx, stream: boolean): Outcome {
  const body = ctx.body;
  if (!body || typeof body !== 'object' || contentsOf(body).length === 0) return geminiError(400, '* GenerateContentRequest.contents: contents is not specified');
  const { sim, controls } = ctx;
  const model = decodeURIComponent(ctx.params.model);
  const refused = verifySignatures(contentsOf(body), model, sim);
  if (refused) return refused;
  const { conv, n } = parseConversation(body);
  // Google Search grounding: offered and asked for by the user (see search.ts). Gemini 2.x does not
  // take it together with function declarations.
  const searchOffered = (Array.isArray(body.tools) ? body.tools : []).some((t: Part) => t && (pick(t, 'googleSearch', 'google_search') !== undefined || pick(t, 'googleSearchRetrieval', 'google_search_retrieval') !== undefined));
  if (searchOffered && conv.tools.length && model.startsWith('gemini-2')) return geminiError(400, 'Tool use with function calling is unsupported');
  const search: SimulatedSearch | null = searchOffered && conv.toolResult === null && asksToSearch(conv.lastUserText) ? runSearch(conv.lastUserText) : null;
  const gen = generate(conv, controls, sim.tokens, () => sim.newId('fc_'));
  const promptTokens = countGeminiPrompt(body, sim.tokens);
  const outTokens = gen.outputTokens * n;
  const usageMetadata = {
    promptTokenCount: promptTokens,
    candidatesTokenCount: outTokens,
    totalTokenCount: promptTokens + outTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: promptTokens }],
  };
  const finishReason = gen.finish === 'length' ? 'MAX_TOKENS' : 'STOP';
  const responseId = sim.newId('r');
  // A thinking model signs its first function call (parallel calls: only the first carries it, as
  // Gemini does), or the last part of a text answer.
  const callParts: Part[] = gen.toolCalls.map((c) => ({ functionCall: { name: c.name, args: JSON.parse(c.arguments) } }));
  if (thinks(model) && callParts.length) callParts[0].thoughtSignature = sign(sim, 'gemini', signed(callParts[0]));
  const textSignature = thinks(model) ? { thoughtSignature: sign(sim, 'gemini', '') } : {};
  const grounding = search ? groundingMetadata(search, gen.text, sim.newId('g')) : null;
  // The grounding comes with the last chunk (the whole answer's), as Gemini sends it.
  const candidates = (parts: Part[], finish: boolean) =>
    Array.from({ length: n }, (_, index) => ({ content: { parts, role: 'model' }, ...(finish ? { finishReason, ...(grounding ? { groundingMetadata: grounding } : {}) } : {}), index }));
  // As Gemini does, every streamed chunk carries usageMetadata; before the last one it holds only
  // the prompt (no candidatesTokenCount), the last one the final figures (§4.4).
  const runningUsage = { promptTokenCount: promptTokens, totalTokenCount: promptTokens, promptTokensDetails: usageMetadata.promptTokensDetails };
  const response = (parts: Part[], finish: boolean): Record<string, unknown> => {
    const r: Record<string, unknown> = { candidates: candidates(parts, finish) };
    if (!controls.noUsage) {
      if (finish) r.usageMetadata = usageMetadata;
      else if (stream) r.usageMetadata = runningUsage;
    }
    r.modelVersion = model;
    r.responseId = responseId;
    return r;
  };
  if (!stream) return { kind: 'json', body: response(callParts.length ? callParts : [{ text: gen.text, ...textSignature }], true) };

  // A functionCall arrives whole in one chunk; text arrives as appended deltas.
  const chunks: Array<Record<string, unknown>> = [];
  if (callParts.length) chunks.push(response(callParts, true));
  else {
    const pieces = splitEven(gen.text, controls.chunks);
    pieces.forEach((piece, i) => chunks.push(response([{ text: piece, ...(i === pieces.length - 1 ? textSignature : {}) }], i === pieces.length - 1)));
  }
  if (ctx.query.alt !== 'sse') return { kind: 'json', body: chunks };
  return { kind: 'sse', events: chunks.map(dataEventCrlf) };
}

/**
 * Google Search grounding of an answer: the query, the pages as Google's redirect links titled by
 * their domain, and the cited sentence backed by both pages (offsets in UTF-8 bytes of the text).
 */
function groundingMetadata(search: SimulatedSearch, text: string, id: string): Record<string, unknown> {
  const { before, cited } = citedSplit(text);
  const start = Buffer.byteLength(before, 'utf8');
  return {
    webSearchQueries: [search.query],
    searchEntryPoint: { renderedContent: `<div class="sim-search">${search.query.replace(/[<>&"]/g, '')}</div>` },
    groundingChunks: search.pages.map((p, i) => ({ web: { uri: `https://vertexaisearch.cloud.google.com/grounding-api-redirect/${id}-${i + 1}`, title: new URL(p.url).hostname } })),
    groundingSupports: [{ segment: { ...(start ? { startIndex: start } : {}), endIndex: start + Buffer.byteLength(cited, 'utf8'), text: cited }, groundingChunkIndices: [0, 1], confidenceScores: [0.92, 0.81] }],
  };
}

function embedDims(model: string, requested: unknown): number {
  if (typeof requested === 'number' && requested >= 1) return Math.floor(requested);
  return model.startsWith('gemini-embedding') ? 3072 : 768;
}

function embedOne(req: any, model: string): { values: number[] } | null { // eslint-disable-line @typescript-eslint/no-explicit-any
  const text = partsOf(req?.content)
    .map((p) => (typeof p.text === 'string' ? stripDirective(p.text) : ''))
    .join('\n');
  if (!text) return null;
  return { values: vectorArray(embedVector(text, embedDims(model, pick(req, 'outputDimensionality', 'output_dimensionality')))) };
}

function embedContent(ctx: Ctx): Outcome {
  const e = embedOne(ctx.body, decodeURIComponent(ctx.params.model));
  if (!e) return geminiError(400, '* EmbedContentRequest.content: contents is not specified');
  return { kind: 'json', body: { embedding: e } };
}

function batchEmbed(ctx: Ctx): Outcome {
  const reqs = ctx.body?.requests;
  if (!Array.isArray(reqs) || reqs.length === 0) return geminiError(400, '* BatchEmbedContentsRequest.requests: requests is not specified');
  const model = decodeURIComponent(ctx.params.model);
  const embeddings = [];
  for (const r of reqs) {
    const m = typeof r?.model === 'string' ? r.model.replace(/^models\//, '') : model;
    const e = embedOne(r, m);
    if (!e) return geminiError(400, '* BatchEmbedContentsRequest.requests[].content: contents is not specified');
    embeddings.push(e);
  }
  return { kind: 'json', body: { embeddings } };
}

function countTokens(ctx: Ctx): Outcome {
  const body = ctx.body ?? {};
  const inner = pick(body, 'generateContentRequest', 'generate_content_request') ?? body;
  const total = countGeminiPrompt(inner, ctx.sim.tokens);
  return { kind: 'json', body: { totalTokens: total, promptTokensDetails: [{ modality: 'TEXT', tokenCount: total }] } };
}

const GEMINI_MODELS = ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-embedding-001'];

function modelInfo(id: string): Record<string, unknown> {
  const embedding = id.includes('embedding');
  return {
    name: `models/${id}`,
    version: '001',
    displayName: id,
    description: `Simulated ${id}`,
    inputTokenLimit: embedding ? 2048 : 1048576,
    outputTokenLimit: embedding ? 1 : 65536,
    supportedGenerationMethods: embedding ? ['embedContent', 'batchEmbedContents', 'countTokens'] : ['generateContent', 'countTokens', 'streamGenerateContent'],
  };
}

const pathModel = (ctx: Ctx): string => decodeURIComponent(ctx.params.model);
const OPS = /^\/v1(?:beta|alpha)?\/models\/(?<model>[^/:]+):(?<op>[A-Za-z]+)$/;

export const geminiRoutes: Route[] = [
  {
    method: 'POST',
    pattern: OPS,
    dialect: geminiDialect,
    directiveText: geminiDirectiveText,
    model: pathModel,
    handle(ctx) {
      switch (ctx.params.op) {
        case 'generateContent':
          return generateContent(ctx, false);
        case 'streamGenerateContent':
          return generateContent(ctx, true);
        case 'embedContent':
          return embedContent(ctx);
        case 'batchEmbedContents':
          return batchEmbed(ctx);
        case 'countTokens':
          return countTokens(ctx);
        default:
          return geminiError(404, `Method ${ctx.params.op} not found.`);
      }
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1(?:beta|alpha)?\/models\/?$/,
    dialect: geminiDialect,
    handle: (ctx) => ({ kind: 'json', body: { models: (ctx.sim.options.models ?? GEMINI_MODELS).map(modelInfo) } }),
  },
  {
    method: 'GET',
    pattern: /^\/v1(?:beta|alpha)\/models\/(?<model>[^/:]+)$/,
    dialect: geminiDialect,
    model: pathModel,
    handle: (ctx) => ({ kind: 'json', body: modelInfo(pathModel(ctx)) }),
  },
];

// OpenAI's Responses API (POST /v1/responses; platform.openai.com/docs/api-reference/responses),
// plain and streamed, also at Azure's /openai/v1/responses and /openai/responses?api-version=.
// - input: a string or items (messages with input_text / input_image / output_text parts,
//   function_call, function_call_output, custom_tool_call, custom_tool_call_output; reasoning and
//   other items are read past); `instructions`.
// - tools: function and custom (free-form) tools, also inside `namespace` groups (called back with
//   their `namespace`), in `tools` or in `additional_tools` input items (how Codex offers its tools
//   to its newer models); built-in tools are accepted; `web_search` searches when the user asks to
//   (search.ts): a web_search_call item, and the reply's last sentence cited (url_citation).
// - text.format json_schema / json_object, tool_choice, parallel_tool_calls, max_output_tokens
//   (reasoning included: truncation → status "incomplete", reason max_output_tokens).
// - reasoning models (o1/o3/o4…, gpt-5…): a reasoning item first, its summary (the DeepSeek
//   reasoner's deterministic text) only when `reasoning.summary` is set, `encrypted_content` with
//   include ["reasoning.encrypted_content"]; its tokens are output (reasoning) tokens.
// - usage: input = 3 + Σ(3 + tokens(role) + tokens(text)) over turns (instructions a system turn,
//   a function_call an assistant turn of name + arguments, a function_call_output a tool turn, the
//   custom tool items alike with their input and output) + 85 per image + tokens of the serialised
//   tools (`tools`, and each `additional_tools` item's list); output = reply (or call names +
//   arguments or input) + reasoning; cached 0.
import { stripDirective } from '../controls.js';
import { generate, type Conversation, type ToolChoice, type ToolSpec } from '../generate.js';
import type { Ctx, Outcome, Route } from '../route.js';
import { json } from '../route.js';
import { namedEvent } from '../sse.js';
import { splitEven } from '../tokens.js';
import { azureDialect } from './azure.js';
import { reasoningText } from './deepseek.js';
import { IMAGE_TOKENS } from './openai-chat.js';
import { openaiDialect, openaiError } from './openai.js';
import { asksToSearch, citedSplit, runSearch } from '../search.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Models that reason before answering (OpenAI's o-series and the gpt-5 family and later). */
export const isResponsesReasoner = (model: unknown): boolean => typeof model === 'string' && /^(o\d|gpt-[5-9])/.test(model);

/** Input items as a list (a bare string is one user message). */
function items(body: Json): Json[] {
  if (typeof body.input === 'string') return [{ type: 'message', role: 'user', content: body.input }];
  return Array.isArray(body.input) ? body.input.filter((i: unknown) => i && typeof i === 'object') : [];
}

const isMessage = (i: Json) => i.type === 'message' || (i.type === undefined && typeof i.role === 'string');

function rawText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (p && typeof p.text === 'string' ? p.text : '')).join('\n');
}

function images(content: unknown): number {
  return Array.isArray(content) ? content.filter((p) => p?.type === 'input_image').length : 0;
}

function outputText(output: unknown): string {
  return typeof output === 'string' ? output : rawText(output);
}

/** The raw text of the last user message: where the directive lives. */
export function responsesDirectiveText(body: Json): string {
  const list = items(body);
  for (let i = list.length - 1; i >= 0; i--) if (isMessage(list[i]) && list[i].role === 'user') return rawText(list[i].content);
  return '';
}

/** The tool lists offered: `tools`, then those of `additional_tools` input items. */
function toolLists(body: Json): unknown[][] {
  const lists: unknown[][] = [];
  if (Array.isArray(body.tools) && body.tools.length) lists.push(body.tools);
  for (const i of items(body)) if (i.type === 'additional_tools' && Array.isArray(i.tools) && i.tools.length) lists.push(i.tools);
  return lists;
}

/** Function and custom tools, namespace groups flattened (each remembers its namespace). */
function clientTools(body: Json): (ToolSpec & { namespace?: string })[] {
  const out: (ToolSpec & { namespace?: string })[] = [];
  const add = (t: Json, namespace?: string) => {
    const ns = namespace !== undefined ? { namespace } : {};
    if (t?.type === 'function') out.push({ name: String(t.name ?? 'tool'), parameters: t.parameters, ...ns });
    else if (t?.type === 'custom') out.push({ name: String(t.name ?? 'tool'), custom: true, ...ns });
  };
  for (const list of toolLists(body))
    for (const t of list as Json[]) {
      if (t?.type === 'namespace' && Array.isArray(t.tools)) for (const f of t.tools) add(f, String(t.name ?? ''));
      else add(t);
    }
  return out;
}

function toolChoice(v: unknown): ToolChoice {
  if (v === 'none' || v === 'auto' || v === 'required') return v;
  const o = v as Json | undefined;
  if (o?.type === 'function' && typeof o.name === 'string') return { name: o.name };
  return 'auto';
}

function conversation(body: Json, maxTokens: number | undefined): Conversation {
  const list = items(body);
  let lastUser: Json | undefined;
  for (let i = list.length - 1; i >= 0; i--) if (isMessage(list[i]) && list[i].role === 'user') { lastUser = list[i]; break; }
  const last = list[list.length - 1];
  const format = body.text?.format;
  return {
    lastUserText: lastUser ? stripDirective(rawText(lastUser.content)) : '',
    imageCount: lastUser ? images(lastUser.content) : 0,
    toolResult: last?.type === 'function_call_output' || last?.type === 'custom_tool_call_output' ? outputText(last.output) : null,
    tools: clientTools(body),
    toolChoice: toolChoice(body.tool_choice),
    parallel: body.parallel_tool_calls !== false,
    json: format?.type === 'json_object' ? {} : format?.type === 'json_schema' ? { schema: format.schema } : null,
    maxTokens,
    stop: [],
  };
}

/** Input tokens by the rule in the header comment. */
export function countResponsesInput(body: Json, count: (s: string) => number): number {
  const turn = (role: string, text: string) => 3 + count(role) + count(stripDirective(text));
  let n = 3;
  if (typeof body.instructions === 'string' && body.instructions) n += turn('system', body.instructions);
  for (const i of items(body)) {
    if (isMessage(i)) n += turn(String(i.role), rawText(i.content)) + images(i.content) * IMAGE_TOKENS;
    else if (i.type === 'function_call') n += turn('assistant', `${i.name ?? ''}${i.arguments ?? ''}`);
    else if (i.type === 'function_call_output') n += turn('tool', outputText(i.output));
    else if (i.type === 'custom_tool_call') n += turn('assistant', `${i.name ?? ''}${i.input ?? ''}`);
    else if (i.type === 'custom_tool_call_output') n += turn('tool', outputText(i.output));
  }
  for (const list of toolLists(body)) n += count(JSON.stringify(list));
  return n;
}

function validate(ctx: Ctx): Outcome | null {
  const b = ctx.body;
  if (!b || typeof b !== 'object') return openaiError(400, 'Request body must be a JSON object.');
  if (typeof b.model !== 'string') return openaiError(400, "Missing required parameter: 'model'.", 'missing_required_parameter', 'model');
  if (b.input !== undefined && typeof b.input !== 'string' && !Array.isArray(b.input)) return openaiError(400, "Invalid type for 'input': expected a string or an array.", 'invalid_type', 'input');
  if (b.max_output_tokens != null && !(Number.isInteger(b.max_output_tokens) && b.max_output_tokens >= 16))
    return openaiError(400, "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16.", 'integer_below_min_value', 'max_output_tokens');
  if (typeof b.previous_response_id === 'string') return openaiError(400, `Previous response with id '${b.previous_response_id}' not found.`, 'previous_response_not_found', 'previous_response_id');
  return null;
}

/** Handles POST /v1/responses (and Azure's paths) for a model name to report. */
export function createResponse(ctx: Ctx): Outcome {
  const invalid = validate(ctx);
  if (invalid) return invalid;
  const body = ctx.body as Json;
  const { sim, controls } = ctx;
  const model: string = body.model;
  const reasoner = isResponsesReasoner(model);
  const max: number | undefined = typeof body.max_output_tokens === 'number' ? body.max_output_tokens : undefined;
  const probe = conversation(body, undefined);
  const thought = reasoner ? reasoningText(probe) : '';
  const reasoningTokens = sim.tokens.count(thought);
  // max_output_tokens bounds reasoning and answer together: the answer gets what reasoning left.
  const conv = conversation(body, max === undefined ? undefined : Math.max(0, max - reasoningTokens));
  // The built-in web search: offered and asked for (search.ts); functions are then not called.
  const searchTool = toolLists(body).flat().find((t) => typeof (t as Json)?.type === 'string' && (t as Json).type.startsWith('web_search')) as Json | undefined;
  const search = searchTool && asksToSearch(conv.lastUserText) ? runSearch(conv.lastUserText, searchTool.filters?.allowed_domains) : null;
  if (search) conv.tools = [];
  const gen = generate(conv, controls, sim.tokens, () => sim.newId('call_'));
  const offered = new Map(conv.tools.map((t) => [t.name, t as ToolSpec & { namespace?: string }]));
  const wantSummary = reasoner && typeof body.reasoning?.summary === 'string';
  const encrypted = reasoner && Array.isArray(body.include) && body.include.includes('reasoning.encrypted_content');

  const output: Json[] = [];
  if (reasoner) {
    const item: Json = { id: sim.newId('rs_'), type: 'reasoning', summary: wantSummary ? [{ type: 'summary_text', text: thought }] : [] };
    if (encrypted) item.encrypted_content = Buffer.from(`sim-reasoning:${thought}`).toString('base64');
    output.push(item);
  }
  if (search) {
    const sources = Array.isArray(body.include) && body.include.includes('web_search_call.action.sources');
    output.push({ id: sim.newId('ws_'), type: 'web_search_call', status: 'completed', action: { type: 'search', query: search.query, queries: [search.query], ...(sources ? { sources: search.pages.map((p) => ({ type: 'url', url: p.url })) } : {}) } });
  }
  if (gen.toolCalls.length === 0) {
    const cited = search ? citedSplit(gen.text) : null;
    const annotations = cited ? [{ type: 'url_citation', start_index: cited.before.length, end_index: gen.text.length, url: search!.pages[0].url, title: search!.pages[0].title }] : [];
    output.push({ id: sim.newId('msg_'), type: 'message', status: gen.finish === 'length' ? 'incomplete' : 'completed', role: 'assistant', content: [{ type: 'output_text', text: gen.text, annotations, logprobs: [] }] });
  }
  for (const c of gen.toolCalls) {
    const tool = offered.get(c.name);
    const ns = tool?.namespace ? { namespace: tool.namespace } : {};
    if (tool?.custom) output.push({ id: sim.newId('ctc_'), type: 'custom_tool_call', status: 'completed', call_id: c.id, name: c.name, input: c.arguments, ...ns });
    else output.push({ id: sim.newId('fc_'), type: 'function_call', status: 'completed', arguments: c.arguments, call_id: c.id, name: c.name, ...ns });
  }
  const input = countResponsesInput(body, (s) => sim.tokens.count(s));
  const outputTokens = gen.outputTokens + reasoningTokens;
  const usage = {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: reasoningTokens },
    total_tokens: input + outputTokens,
  };
  const incomplete = gen.finish === 'length';
  const createdAt = Math.floor(Date.now() / 1000);
  const response = (status: string, out: Json[], extra: Json = {}): Json => ({
    id: responseId,
    object: 'response',
    created_at: createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: max ?? null,
    model,
    output: out,
    parallel_tool_calls: body.parallel_tool_calls !== false,
    previous_response_id: null,
    reasoning: { effort: body.reasoning?.effort ?? (reasoner ? 'medium' : null), summary: body.reasoning?.summary ?? null },
    store: body.store !== false,
    temperature: body.temperature ?? 1,
    text: { format: body.text?.format ?? { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? 'disabled',
    ...(typeof body.user === 'string' ? { user: body.user } : {}),
    metadata: body.metadata ?? {},
    ...extra,
  });
  const responseId = sim.newId('resp_');
  const final = response(incomplete ? 'incomplete' : 'completed', output, {
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    ...(controls.noUsage ? {} : { usage }),
    ...(incomplete ? {} : { completed_at: createdAt }),
  });
  if (!body.stream) return json(final, 200, { 'x-request-id': sim.newId('req_') });

  // Streaming: the grammar of platform.openai.com/docs/api-reference/responses-streaming.
  const events: string[] = [];
  /** Indexes of the delta events (for the cut and stall faults). */
  const content: number[] = [];
  let seq = 0;
  const emit = (type: string, data: Json) => {
    if (type.endsWith('.delta')) content.push(events.length);
    events.push(namedEvent(type, { type, sequence_number: seq++, ...data }));
  };
  const pending = response('in_progress', []);
  emit('response.created', { response: pending });
  emit('response.in_progress', { response: pending });
  output.forEach((item, index) => {
    if (item.type === 'reasoning') {
      emit('response.output_item.added', { output_index: index, item: { ...item, summary: [] } });
      if (wantSummary) {
        emit('response.reasoning_summary_part.added', { item_id: item.id, output_index: index, summary_index: 0, part: { type: 'summary_text', text: '' } });
        for (const p of splitEven(thought, controls.chunks)) if (p) emit('response.reasoning_summary_text.delta', { item_id: item.id, output_index: index, summary_index: 0, delta: p });
        emit('response.reasoning_summary_text.done', { item_id: item.id, output_index: index, summary_index: 0, text: thought });
        emit('response.reasoning_summary_part.done', { item_id: item.id, output_index: index, summary_index: 0, part: { type: 'summary_text', text: thought } });
      }
    } else if (item.type === 'message') {
      const text: string = item.content[0].text;
      emit('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', content: [] } });
      emit('response.content_part.added', { item_id: item.id, output_index: index, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
      for (const p of splitEven(text, controls.chunks)) if (p) emit('response.output_text.delta', { item_id: item.id, output_index: index, content_index: 0, delta: p, logprobs: [] });
      item.content[0].annotations.forEach((annotation: Json, i: number) => emit('response.output_text.annotation.added', { item_id: item.id, output_index: index, content_index: 0, annotation_index: i, annotation }));
      emit('response.output_text.done', { item_id: item.id, output_index: index, content_index: 0, text, logprobs: [] });
      emit('response.content_part.done', { item_id: item.id, output_index: index, content_index: 0, part: item.content[0] });
    } else if (item.type === 'web_search_call') {
      emit('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', action: { type: 'search' } } });
      for (const step of ['in_progress', 'searching', 'completed']) emit(`response.web_search_call.${step}`, { output_index: index, item_id: item.id });
    } else if (item.type === 'custom_tool_call') {
      emit('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', input: '' } });
      for (const p of splitEven(item.input, Math.max(2, controls.chunks))) if (p) emit('response.custom_tool_call_input.delta', { item_id: item.id, output_index: index, delta: p });
      emit('response.custom_tool_call_input.done', { item_id: item.id, output_index: index, input: item.input });
    } else {
      emit('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', arguments: '' } });
      for (const p of splitEven(item.arguments, Math.max(2, controls.chunks))) if (p) emit('response.function_call_arguments.delta', { item_id: item.id, output_index: index, delta: p });
      emit('response.function_call_arguments.done', { item_id: item.id, output_index: index, name: item.name, arguments: item.arguments });
    }
    emit('response.output_item.done', { output_index: index, item });
  });
  emit(incomplete ? 'response.incomplete' : 'response.completed', { response: final });
  return { kind: 'sse', events, content };
}

const bodyModel = (ctx: Ctx): string | undefined => (typeof ctx.body?.model === 'string' ? ctx.body.model : undefined);
const RESOURCE_NOT_FOUND: Outcome = { kind: 'json', status: 404, body: { error: { code: '404', message: 'Resource not found' } } };

/**
 * POST /v1/responses/input_tokens: `{object: "response.input_tokens", input_tokens}` by the same rule as
 * a response's input tokens; `previous_response_id` → 400 `previous_response_not_found` (nothing is stored).
 */
export function countInputTokens(ctx: Ctx): Outcome {
  const b = ctx.body;
  if (!b || typeof b !== 'object') return openaiError(400, 'Request body must be a JSON object.');
  if (b.input !== undefined && typeof b.input !== 'string' && !Array.isArray(b.input)) return openaiError(400, "Invalid type for 'input': expected a string or an array.", 'invalid_type', 'input');
  if (typeof b.previous_response_id === 'string') return openaiError(400, `Previous response with id '${b.previous_response_id}' not found.`, 'previous_response_not_found', 'previous_response_id');
  return json({ object: 'response.input_tokens', input_tokens: countResponsesInput(b, (s) => ctx.sim.tokens.count(s)) });
}

export const responsesRoutes: Route[] = [
  { method: 'POST', pattern: /^\/v1\/responses\/input_tokens$/, dialect: openaiDialect, model: bodyModel, handle: countInputTokens },
  { method: 'POST', pattern: /^\/v1\/responses\/?$/, dialect: openaiDialect, directiveText: responsesDirectiveText, model: bodyModel, handle: createResponse },
  // Azure: the v1 API, and the dated one (no deployment in the path; the deployment is the body's model).
  { method: 'POST', pattern: /^\/openai\/v1\/responses$/, dialect: azureDialect, directiveText: responsesDirectiveText, model: bodyModel, handle: createResponse },
  {
    method: 'POST',
    pattern: /^\/openai\/responses$/,
    dialect: azureDialect,
    directiveText: responsesDirectiveText,
    model: bodyModel,
    handle: (ctx) => (ctx.query['api-version'] ? createResponse(ctx) : RESOURCE_NOT_FOUND),
  },
];

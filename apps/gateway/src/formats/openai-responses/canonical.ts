/**
 * OpenAI's Responses API ⇄ the canonical form, for Responses callers whose model is served by a
 * chat provider (chat-completions servers, Anthropic, Gemini, Zhipu, ...). OpenAI and Azure channels
 * speak this dialect natively and get the caller's body as it is.
 *
 * Wire reference: https://platform.openai.com/docs/api-reference/responses (create, the Response
 * object, streaming events).
 */
import type { Usage } from '../../core/calls.js';
import { GatewayError } from '../../core/errors.js';
import type {
  CanonicalChatRequest,
  CanonicalChoice,
  CanonicalCitation,
  CanonicalEvent,
  CanonicalMessage,
  CanonicalPart,
  CanonicalResponse,
  CanonicalTool,
  CanonicalToolCall,
  EncodeContext,
  SignedReasoning,
  FinishReason,
  ResponseFormat,
  StreamEncoder,
  ToolChoice,
  WireFormat,
} from '../canonical/types.js';
import { arr, mintId, num, obj, parseDataUrl, str, unsupported } from '../canonical/util.js';
import { urlCitation } from '../canonical/web-search.js';
import { wantsSources, webSearchCallEvents, webSearchCallItem, webSearchFrom } from './web-search.js';
import { openReasoning, sealReasoning } from './signed-reasoning.js';

type Json = Record<string, unknown>;

/** The dialect id of the Responses API (`POST /v1/responses`). */
export const RESPONSES_DIALECT = 'openai-responses';

/** Tools inside a `namespace` group travel to translated providers as `<namespace>__<name>`. */
const NAMESPACE_SEPARATOR = '__';

/**
 * What the Responses answer echoes of its request (instructions, tools, metadata, ...) and how
 * flattened tool names map back to their namespace: kept beside the canonical request, which has
 * no room for either.
 */
interface RequestEcho {
  body: Json;
  namespaced: Map<string, { namespace: string; name: string }>;
  /** Client-side tools that are not functions, offered as functions and called back as their own items. */
  clientTools: Map<string, 'custom' | 'local_shell'>;
}

/** A `local_shell` tool (Codex) offered to a translated provider as a function of this name. */
const LOCAL_SHELL = 'local_shell';
const echoes = new WeakMap<CanonicalChatRequest, RequestEcho>();

export const responsesFormat: WireFormat = {
  name: 'OpenAI Responses',
  translates: ['chat'],
  parseRequest: (operation, body, model, stream) => {
    if (operation !== 'chat') throw unsupported('The Responses API serves model responses only.');
    return parseRequest(body, model, stream);
  },
  renderResponse,
  encoder: (ctx) => new ResponsesEncoder(ctx),
  // The gateway never sends Responses bodies to a provider by translation: providers that speak
  // this dialect get the caller's own body (pass-through).
  renderRequest: () => {
    throw unsupported('The Responses API is only passed through to providers that serve it.');
  },
  parseResponse: () => {
    throw unsupported('The Responses API is only passed through to providers that serve it.');
  },
  decoder: () => {
    throw unsupported('The Responses API is only passed through to providers that serve it.');
  },
};

// ---- request → canonical ----

export function parseRequest(body: Json, model: string, stream: boolean): CanonicalChatRequest {
  const system: string[] = [];
  if (typeof body.instructions === 'string' && body.instructions) system.push(body.instructions);
  const messages: CanonicalMessage[] = [];
  const namespaced = new Map<string, { namespace: string; name: string }>();
  const clientTools = new Map<string, 'custom' | 'local_shell'>();
  const input = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : arr(body.input);
  input.forEach((raw, i) => {
    const item = obj(raw) ?? {};
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message': {
        const role = item.role;
        const where = `input[${i}].content`;
        if (role === 'system' || role === 'developer') system.push(textOfParts(parseParts(item.content, where)));
        else if (role === 'user') messages.push({ role: 'user', content: parseParts(item.content, where) });
        else if (role === 'assistant') {
          const content = parseParts(item.content, where);
          const last = messages[messages.length - 1];
          // Text after calls of the same turn stays one assistant turn only when nothing came between.
          if (last?.role === 'assistant' && last.toolCalls.length === 0) last.content.push(...content);
          else messages.push({ role: 'assistant', content, toolCalls: [] });
        } else throw unsupported(`Invalid value for 'input[${i}].role': must be one of "user", "assistant", "system", "developer".`, `input[${i}].role`);
        break;
      }
      case 'function_call': {
        const ns = str(item.namespace);
        const name = str(item.name) ?? '';
        const call: CanonicalToolCall = { id: str(item.call_id) ?? str(item.id) ?? mintId('call_'), name: ns ? ns + NAMESPACE_SEPARATOR + name : name, arguments: str(item.arguments) ?? '' };
        const last = messages[messages.length - 1];
        // Consecutive calls (and the text just before them) are one assistant turn.
        if (last?.role === 'assistant') last.toolCalls.push(call);
        else messages.push({ role: 'assistant', content: [], toolCalls: [call] });
        break;
      }
      case 'function_call_output':
      case 'custom_tool_call_output':
      case 'local_shell_call_output':
        messages.push({ role: 'tool', toolCallId: str(item.call_id) ?? str(item.id) ?? '', content: outputText(item.output) });
        break;
      // Calls of client-side tools offered as functions (below) go back as the function calls they were.
      case 'custom_tool_call':
      case 'local_shell_call': {
        const action = obj(item.action) ?? {};
        const { type: _t, ...args } = action;
        const ns = str(item.namespace);
        const name = str(item.name) ?? '';
        const call: CanonicalToolCall =
          type === 'custom_tool_call'
            ? { id: str(item.call_id) ?? mintId('call_'), name: ns ? ns + NAMESPACE_SEPARATOR + name : name, arguments: JSON.stringify({ input: str(item.input) ?? '' }) }
            : { id: str(item.call_id) ?? str(item.id) ?? mintId('call_'), name: LOCAL_SHELL, arguments: JSON.stringify(args) };
        const last = messages[messages.length - 1];
        if (last?.role === 'assistant') last.toolCalls.push(call);
        else messages.push({ role: 'assistant', content: [], toolCalls: [call] });
        break;
      }
      // Reasoning items are the provider's own opaque state (encrypted content, summaries): another
      // provider cannot take them back, so they are left out of translated calls — but for the
      // signed reasoning the gateway itself put in `encrypted_content`, which goes back to its
      // provider with the assistant turn it belongs to (it leads that turn). Built-in tool history
      // (web_search_call, ...) cannot be replayed.
      case 'reasoning': {
        const signed = openReasoning(item.encrypted_content);
        if (!signed) break;
        const last = messages[messages.length - 1];
        if (last?.role === 'assistant') {
          if (last.signedReasoning) last.signedReasoning.blocks.push(...signed.blocks);
          else last.signedReasoning = signed;
        } else messages.push({ role: 'assistant', content: [], toolCalls: [], signedReasoning: signed });
        break;
      }
      // A reference still here is one the gateway does not hold (routes.ts sends those it holds as
      // their items): unknown, expired, or another account's. Left out, the turn it names would be
      // lost without a word; OpenAI refuses an unknown item, and so does the translated call.
      case 'item_reference':
        throw new GatewayError('invalid_request', `Item with id '${str(item.id) ?? ''}' not found.`, { param: 'input', code: 'invalid_value' });
      default:
        break;
    }
  });

  // A reasoning item with nothing after it in its turn is no turn of its own.
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === 'assistant' && !m.content.length && !m.toolCalls.length) messages.splice(i, 1);
  }
  const tools: CanonicalTool[] = [];
  const dropped: string[] = [];
  let webSearch: CanonicalChatRequest['webSearch'];
  // Tools come in `tools` and, from Codex with its newer models, in `additional_tools` input items
  // (a developer-role list of tools added to the conversation): both are offered alike.
  const offered = [...arr(body.tools)];
  for (const raw of input) if (obj(raw)?.type === 'additional_tools') offered.push(...arr(obj(raw)?.tools));
  for (const raw of offered) {
    const t = obj(raw) ?? {};
    if (t.type === 'function') tools.push(toolFrom(t));
    else if (t.type === 'custom') {
      const tool = customTool(t);
      clientTools.set(tool.name, 'custom');
      tools.push(tool);
    } else if (t.type === 'local_shell') {
      clientTools.set(LOCAL_SHELL, 'local_shell');
      tools.push(LOCAL_SHELL_TOOL);
    } else if (t.type === 'namespace') {
      const ns = str(t.name) ?? '';
      for (const inner of arr(t.tools)) {
        const f = obj(inner) ?? {};
        if (f.type !== 'function' && f.type !== 'custom') {
          dropped.push(str(f.type) ?? 'unknown');
          continue;
        }
        const tool = f.type === 'custom' ? customTool(f) : toolFrom(f);
        const flat = ns + NAMESPACE_SEPARATOR + tool.name;
        namespaced.set(flat, { namespace: ns, name: tool.name });
        if (f.type === 'custom') clientTools.set(flat, 'custom');
        tools.push({ ...tool, name: flat, description: [str(t.description), tool.description].filter(Boolean).join(' — ') || undefined });
      }
    } else {
      // The built-in web search runs where the provider searches itself (see the translator).
      const search = webSearchFrom(t, body);
      if (search) webSearch ??= search;
      else dropped.push(str(t.type) ?? 'unknown');
    }
  }

  const text = obj(body.text);
  const req: CanonicalChatRequest = {
    kind: 'chat',
    model,
    system,
    messages,
    stream,
    maxTokens: num(body.max_output_tokens),
    temperature: num(body.temperature),
    topP: num(body.top_p),
    tools,
    toolChoice: tools.length ? parseToolChoice(body.tool_choice) : undefined,
    parallelToolCalls: typeof body.parallel_tool_calls === 'boolean' ? body.parallel_tool_calls : undefined,
    responseFormat: parseFormat(obj(text?.format)),
    user: str(body.safety_identifier) ?? str(body.user),
    reasoningEffort: str(obj(body.reasoning)?.effort),
    showReasoning: (typeof obj(body.reasoning)?.summary === 'string' && obj(body.reasoning)?.summary !== 'none') || undefined,
  };
  if (dropped.length) req.droppedTools = [...new Set(dropped)];
  if (webSearch) req.webSearch = webSearch;
  echoes.set(req, { body, namespaced, clientTools });
  return req;
}

/**
 * A custom tool (free-form input, optionally constrained by a grammar: Codex's `apply_patch`) as a
 * function of one string argument, `input`; the grammar goes in the description for the model to
 * follow, since no other provider constrains output by one.
 */
function customTool(t: Json): CanonicalTool {
  const format = obj(t.format);
  const grammar = format?.type === 'grammar' && typeof format.definition === 'string' ? `\n\nThe input must follow this ${str(format.syntax) ?? ''} grammar:\n${format.definition}` : '';
  return {
    name: str(t.name) ?? '',
    description: `${str(t.description) ?? ''}\n\nPass the tool's free-form input as the string argument \`input\`.${grammar}`.trim(),
    parameters: { type: 'object', properties: { input: { type: 'string', description: 'The free-form input of the tool.' } }, required: ['input'], additionalProperties: false },
  };
}

/** Codex's `local_shell` tool as a function whose arguments are the `exec` action of a `local_shell_call`. */
const LOCAL_SHELL_TOOL: CanonicalTool = {
  name: LOCAL_SHELL,
  description: "Runs a command on the user's machine and returns its output. `command` is the program and its arguments, one per item (e.g. [\"bash\", \"-lc\", \"ls\"]).",
  parameters: {
    type: 'object',
    properties: {
      command: { type: 'array', items: { type: 'string' } },
      workdir: { type: 'string', description: 'Directory to run the command in.' },
      timeout_ms: { type: 'integer', description: 'Time limit in milliseconds.' },
    },
    required: ['command'],
  },
};

function toolFrom(t: Json): CanonicalTool {
  return { name: str(t.name) ?? '', description: str(t.description), parameters: obj(t.parameters) ?? { type: 'object', properties: {} } };
}

function parseToolChoice(v: unknown): ToolChoice | undefined {
  if (v === 'auto' || v === 'none' || v === 'required') return v;
  const o = obj(v);
  if (o?.type === 'function' && typeof o.name === 'string') return { name: o.name };
  if (o?.type === 'allowed_tools') return o.mode === 'required' ? 'required' : 'auto';
  // A built-in tool that is not offered to a translated provider: the model chooses among the rest.
  return o ? 'auto' : undefined;
}

/** `text.format` is flat in the Responses API: `{type:"json_schema", name, schema, strict}`. */
function parseFormat(f: Json | undefined): ResponseFormat | undefined {
  if (f?.type === 'json_object') return { type: 'json_object' };
  if (f?.type === 'json_schema') return { type: 'json_schema', name: str(f.name) ?? 'response', schema: obj(f.schema) ?? { type: 'object' }, strict: f.strict === true || undefined };
  return undefined;
}

function parseParts(content: unknown, where: string): CanonicalPart[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  const parts: CanonicalPart[] = [];
  arr(content).forEach((raw, j) => {
    const p = obj(raw) ?? {};
    if ((p.type === 'input_text' || p.type === 'output_text' || p.type === 'text') && typeof p.text === 'string') parts.push({ type: 'text', text: p.text });
    else if (p.type === 'refusal' && typeof p.refusal === 'string') parts.push({ type: 'text', text: p.refusal });
    else if (p.type === 'input_image') {
      const url = str(p.image_url) ?? str(obj(p.image_url)?.url);
      if (!url) throw unsupported('Images given by file_id can only be sent to OpenAI and Azure channels; send the image as a URL or a data URL for this model.', `${where}[${j}]`);
      const data = parseDataUrl(url);
      parts.push({ type: 'image', source: data ? { kind: 'base64', ...data } : { kind: 'url', url } });
    } else if (p.type === 'input_file') throw unsupported('File inputs can only be sent to OpenAI and Azure channels; this model is served by another provider.', `${where}[${j}]`);
  });
  return parts;
}

function textOfParts(parts: CanonicalPart[]): string {
  return parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

/** A function call's output: a string, or a list of input parts (their text is kept). */
function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  return arr(output)
    .map((p) => str(obj(p)?.text) ?? '')
    .join('');
}

// ---- canonical answer → Response object ----

/** Usage in the Responses shape: input includes cached, output includes reasoning. */
export function usageOut(u: Usage): Json {
  return {
    input_tokens: u.promptTokens,
    input_tokens_details: { cached_tokens: u.cachedTokens },
    output_tokens: u.completionTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
    total_tokens: u.promptTokens + u.completionTokens,
  };
}

function statusOf(finish: FinishReason): { status: 'completed' | 'incomplete'; incomplete_details: Json | null } {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** The Response object around `output`, echoing the request as OpenAI does. */
function responseObject(ctx: EncodeContext, id: string, createdAt: number, status: string, output: Json[], extra: Json): Json {
  const req = ctx.request.kind === 'chat' ? ctx.request : undefined;
  const echo = req ? echoes.get(req) : undefined;
  const b = echo?.body ?? {};
  const text = obj(b.text);
  const reasoning = obj(b.reasoning);
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: b.instructions ?? null,
    max_output_tokens: num(b.max_output_tokens) ?? null,
    model: ctx.model,
    output,
    parallel_tool_calls: b.parallel_tool_calls !== false,
    previous_response_id: null,
    reasoning: { effort: str(reasoning?.effort) ?? null, summary: str(reasoning?.summary) ?? null },
    store: b.store !== false,
    temperature: num(b.temperature) ?? 1,
    text: { format: obj(text?.format) ?? { type: 'text' } },
    tool_choice: b.tool_choice ?? 'auto',
    tools: arr(b.tools),
    top_p: num(b.top_p) ?? 1,
    truncation: str(b.truncation) ?? 'disabled',
    usage: null,
    user: str(b.user) ?? null,
    metadata: obj(b.metadata) ?? {},
    ...extra,
  };
}

/** Item id prefixes of the call items (OpenAI's `fc_`, `ctc_`, and one for shell calls). */
const CALL_ID_PREFIX = { function: 'fc_', custom: 'ctc_', local_shell: 'lsh_' } as const;

/** What kind of item a call of this tool is: a function call, or the item of a client-side tool offered as a function. */
function callKind(ctx: EncodeContext, name: string): 'function' | 'custom' | 'local_shell' {
  const req = ctx.request.kind === 'chat' ? ctx.request : undefined;
  return (req ? echoes.get(req)?.clientTools.get(name) : undefined) ?? 'function';
}

function functionCallItem(ctx: EncodeContext, id: string, call: { id: string; name: string; arguments: string }, status: string): Json {
  const kind = callKind(ctx, call.name);
  const req = ctx.request.kind === 'chat' ? ctx.request : undefined;
  const ns = req ? echoes.get(req)?.namespaced.get(call.name) : undefined;
  if (kind === 'custom') {
    const input = str(argsOf(call.arguments).input) ?? (status === 'in_progress' ? '' : call.arguments);
    return { id, type: 'custom_tool_call', status, call_id: call.id, name: ns ? ns.name : call.name, input, ...(ns ? { namespace: ns.namespace } : {}) };
  }
  if (kind === 'local_shell') return { id, type: 'local_shell_call', status, call_id: call.id, action: { type: 'exec', command: [], ...argsOf(call.arguments) } };
  return { id, type: 'function_call', status, arguments: call.arguments, call_id: call.id, name: ns ? ns.name : call.name, ...(ns ? { namespace: ns.namespace } : {}) };
}

/** A call's arguments as an object ({} while they are incomplete or not JSON). */
function argsOf(args: string): Json {
  try {
    return obj(JSON.parse(args)) ?? {};
  } catch {
    return {};
  }
}

function messageItem(id: string, text: string, status: string, annotations: Json[] = []): Json {
  return { id, type: 'message', status, role: 'assistant', content: [{ type: 'output_text', text, annotations, logprobs: [] }] };
}

/** Whether the caller asked for the pages of each web search (`include`). */
function sourcesWanted(ctx: EncodeContext): boolean {
  const req = ctx.request.kind === 'chat' ? ctx.request : undefined;
  const body = req ? echoes.get(req)?.body : undefined;
  return body ? wantsSources(body) : false;
}

function reasoningItem(id: string, text: string, signed?: SignedReasoning): Json {
  const item: Json = { id, type: 'reasoning', summary: text ? [{ type: 'summary_text', text }] : [] };
  if (signed?.blocks.length) item.encrypted_content = sealReasoning(signed);
  return item;
}

function renderResponse(res: CanonicalResponse, ctx: EncodeContext): unknown {
  if (res.kind !== 'chat') throw unsupported('The Responses API serves model responses only.');
  const c: CanonicalChoice = res.choices[0];
  const output: Json[] = [];
  if (c.reasoning || c.signedReasoning) output.push(reasoningItem(mintId('rs_'), c.reasoning ?? '', c.signedReasoning));
  for (const s of c.searches ?? []) output.push(webSearchCallItem(mintId('ws_'), s, sourcesWanted(ctx)));
  if (c.text || !c.toolCalls.length) output.push(messageItem(mintId('msg_'), c.text, 'completed', (c.citations ?? []).map((a) => urlCitation(a))));
  for (const t of c.toolCalls) output.push(functionCallItem(ctx, mintId(CALL_ID_PREFIX[callKind(ctx, t.name)]), t, 'completed'));
  const { status, incomplete_details } = statusOf(c.finish);
  // The id is the gateway's own, as in streams: it names the stored response, and the provider's id
  // (a chat completion's, a message's) need not be unique across channels and servers.
  return responseObject(ctx, mintId('resp_'), res.created, status, output, {
    incomplete_details,
    usage: res.usage ? usageOut(res.usage) : null,
    ...(status === 'completed' ? { completed_at: Math.floor(Date.now() / 1000) } : {}),
  });
}

// ---- canonical stream → Responses events ----

/** The item being streamed: its place in `output`, and what it has accumulated. */
interface OpenItem {
  kind: 'message' | 'reasoning' | 'function_call';
  id: string;
  index: number;
  text: string;
  /** A message's place in the choice's whole text (citations are given in it), and its annotations. */
  textStart?: number;
  annotations?: Json[];
  call?: { id: string; name: string; arguments: string; toolIndex: number };
  /** A reasoning item's signed blocks, as the provider finished them. */
  signed?: SignedReasoning;
}

/**
 * Canonical events → the Responses event grammar: `response.created` and `response.in_progress`,
 * then per output item `response.output_item.added`, its parts and deltas, and
 * `response.output_item.done` with the complete item, and one terminal event
 * (`response.completed`, `response.incomplete` or `response.failed`) carrying the whole Response
 * with usage. Every event has an `event:` line equal to its `type` and a `sequence_number` counted
 * from 0. Only the first choice exists in this API.
 */
class ResponsesEncoder implements StreamEncoder {
  private seq = 0;
  private started = false;
  private ended = false;
  private readonly id = mintId('resp_');
  private readonly createdAt = Math.floor(Date.now() / 1000);
  private readonly output: Json[] = [];
  private open: OpenItem | null = null;
  private finish: FinishReason = 'stop';
  /** Characters of answer text so far, across message items. */
  private textSoFar = 0;

  constructor(private readonly ctx: EncodeContext) {}

  encode(ev: CanonicalEvent, usage: () => Usage): string {
    if (this.ended) return '';
    if ((ev.type === 'text' || ev.type === 'reasoning' || ev.type === 'signed_reasoning' || ev.type === 'tool_call' || ev.type === 'finish' || ev.type === 'search' || ev.type === 'citation') && ev.choice !== 0) return '';
    let out = this.start();
    switch (ev.type) {
      case 'signed_reasoning': {
        // The block's text (if any) came as reasoning deltas into the open item; redacted thinking has none.
        if (this.open?.kind !== 'reasoning') out += this.close() + this.openItem('reasoning');
        const o = this.open!;
        if (o.signed) o.signed.blocks.push(ev.block);
        else o.signed = { provider: ev.provider, blocks: [ev.block] };
        return out;
      }
      case 'reasoning':
        if (this.open?.kind !== 'reasoning') out += this.close() + this.openItem('reasoning');
        this.open!.text += ev.text;
        return out + this.event('response.reasoning_summary_text.delta', { item_id: this.open!.id, output_index: this.open!.index, summary_index: 0, delta: ev.text });
      case 'text':
        if (this.open?.kind !== 'message') out += this.close() + this.openItem('message');
        this.open!.text += ev.text;
        this.textSoFar += ev.text.length;
        return out + this.event('response.output_text.delta', { item_id: this.open!.id, output_index: this.open!.index, content_index: 0, delta: ev.text, logprobs: [] });
      case 'search': {
        // A search between stretches of text is an item of its own: the text before it is one message, the text after another.
        const index = this.output.length;
        const item = webSearchCallItem(mintId('ws_'), ev.search, sourcesWanted(this.ctx));
        out += this.close();
        this.output.push(item);
        return out + webSearchCallEvents((type, data) => this.event(type, data), index, item);
      }
      case 'citation':
        return out + this.annotate(ev.citation);
      case 'tool_call': {
        const isOpen = this.open?.kind === 'function_call' && this.open.call!.toolIndex === ev.index;
        if (!isOpen) {
          if (ev.id === undefined && ev.name === undefined) {
            // A late fragment of a call already closed: it still belongs in the final item.
            const done = this.output.find((o) => (o as { __toolIndex?: number }).__toolIndex === ev.index) as (Json & { __call: NonNullable<OpenItem['call']> }) | undefined;
            if (done) {
              done.__call.arguments += ev.args;
              Object.assign(done, functionCallItem(this.ctx, String(done.id), done.__call, 'completed'));
            }
            return out;
          }
          out += this.close() + this.openItem('function_call', { id: ev.id ?? mintId('call_'), name: ev.name ?? '', arguments: '', toolIndex: ev.index });
        }
        if (ev.args) {
          this.open!.call!.arguments += ev.args;
          // A custom or shell call's input is known whole only at its end (its JSON wrapper comes
          // off then): it is sent there, not in pieces.
          if (callKind(this.ctx, this.open!.call!.name) === 'function')
            out += this.event('response.function_call_arguments.delta', { item_id: this.open!.id, output_index: this.open!.index, delta: ev.args });
        }
        return out;
      }
      case 'finish':
        this.finish = ev.finish;
        return out + this.close();
      case 'usage':
        return out;
      case 'error':
        return out + this.fail(failureCode(ev.status), ev.message);
      case 'end': {
        out += this.close();
        this.ended = true;
        const { status, incomplete_details } = statusOf(this.finish);
        const response = responseObject(this.ctx, this.id, this.createdAt, status, this.output.map(clean), {
          incomplete_details,
          usage: usageOut(usage()),
          ...(status === 'completed' ? { completed_at: Math.floor(Date.now() / 1000) } : {}),
        });
        return out + this.event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
      }
      default:
        return out;
    }
  }

  /** A failure after the first byte: `response.failed`, the one terminal event. */
  failure(err: { message: string; status: number }): string {
    if (this.ended) return '';
    return this.start() + this.close() + this.fail(failureCode(err.status), err.message);
  }

  private fail(code: string, message: string): string {
    this.ended = true;
    const response = responseObject(this.ctx, this.id, this.createdAt, 'failed', this.output.map(clean), { error: { code, message } });
    return this.event('response.failed', { response });
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    const response = responseObject(this.ctx, this.id, this.createdAt, 'in_progress', [], {});
    return this.event('response.created', { response }) + this.event('response.in_progress', { response });
  }

  /** A citation of the open message's text: announced now, and kept in the message's part. */
  private annotate(c: CanonicalCitation): string {
    const o = this.open;
    if (o?.kind !== 'message' || c.start < o.textStart!) return '';
    const annotation = urlCitation(c, o.textStart);
    o.annotations!.push(annotation);
    return this.event('response.output_text.annotation.added', { item_id: o.id, output_index: o.index, content_index: 0, annotation_index: o.annotations!.length - 1, annotation });
  }

  private openItem(kind: OpenItem['kind'], call?: OpenItem['call']): string {
    const index = this.output.length;
    const id = mintId(kind === 'message' ? 'msg_' : kind === 'reasoning' ? 'rs_' : CALL_ID_PREFIX[callKind(this.ctx, call!.name)]);
    this.open = { kind, id, index, text: '', call, ...(kind === 'message' ? { textStart: this.textSoFar, annotations: [] } : {}) };
    let item: Json;
    if (kind === 'message') item = { id, type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    else if (kind === 'reasoning') item = { id, type: 'reasoning', summary: [] };
    else item = functionCallItem(this.ctx, id, call!, 'in_progress');
    this.output.push(item);
    let out = this.event('response.output_item.added', { output_index: index, item });
    if (kind === 'message')
      out += this.event('response.content_part.added', { item_id: id, output_index: index, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
    else if (kind === 'reasoning') out += this.event('response.reasoning_summary_part.added', { item_id: id, output_index: index, summary_index: 0, part: { type: 'summary_text', text: '' } });
    return out;
  }

  private close(): string {
    const o = this.open;
    if (!o) return '';
    this.open = null;
    let out = '';
    let item: Json;
    if (o.kind === 'message') {
      const part = { type: 'output_text', text: o.text, annotations: o.annotations ?? [], logprobs: [] };
      out += this.event('response.output_text.done', { item_id: o.id, output_index: o.index, content_index: 0, text: o.text, logprobs: [] });
      out += this.event('response.content_part.done', { item_id: o.id, output_index: o.index, content_index: 0, part });
      item = messageItem(o.id, o.text, 'completed', o.annotations);
    } else if (o.kind === 'reasoning') {
      out += this.event('response.reasoning_summary_text.done', { item_id: o.id, output_index: o.index, summary_index: 0, text: o.text });
      out += this.event('response.reasoning_summary_part.done', { item_id: o.id, output_index: o.index, summary_index: 0, part: { type: 'summary_text', text: o.text } });
      item = reasoningItem(o.id, o.text, o.signed);
    } else {
      const call = o.call!;
      const done = functionCallItem(this.ctx, o.id, call, 'completed');
      if (done.type === 'function_call') out += this.event('response.function_call_arguments.done', { item_id: o.id, output_index: o.index, name: done.name, arguments: call.arguments });
      else if (done.type === 'custom_tool_call') {
        out += this.event('response.custom_tool_call_input.delta', { item_id: o.id, output_index: o.index, delta: done.input });
        out += this.event('response.custom_tool_call_input.done', { item_id: o.id, output_index: o.index, input: done.input });
      }
      item = done;
      this.output[o.index] = { ...done, __toolIndex: call.toolIndex, __call: call };
      return out + this.event('response.output_item.done', { output_index: o.index, item: done });
    }
    this.output[o.index] = item;
    return out + this.event('response.output_item.done', { output_index: o.index, item });
  }

  private event(type: string, data: Json): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.seq++, ...data })}\n\n`;
  }
}

/** An output item without the encoder's own bookkeeping. */
function clean(item: Json): Json {
  if (!('__toolIndex' in item)) return item;
  const { __toolIndex: _, __call: _c, ...rest } = item;
  return rest;
}

/** The Response error codes clients act on (Codex retries `server_error`, waits on `rate_limit_exceeded`). */
export function failureCode(status: number): string {
  return status === 429 ? 'rate_limit_exceeded' : 'server_error';
}

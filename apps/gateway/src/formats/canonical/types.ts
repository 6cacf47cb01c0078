/**
 * The one internal form every dialect translates through. Each client dialect parses its request
 * into it and renders its answer out of it; each provider format renders it into its wire body and
 * parses the provider's answer back. Modelled on OpenAI's chat shape, with room for what the others
 * carry (a separate system prompt, image sources, tool results as their own turn, stop sequences).
 */
import type { Usage } from '../../core/calls.js';

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export type CanonicalPart =
  | { type: 'text'; text: string }
  | { type: 'image'; source: { kind: 'base64'; mediaType: string; data: string } | { kind: 'url'; url: string } };

export interface CanonicalToolCall {
  id: string;
  name: string;
  /** JSON text, as OpenAI carries it; formats that want an object parse it (model output may be invalid). */
  arguments: string;
}

/**
 * Reasoning a provider signed: proof that only it can check, which must go back to it unchanged in
 * later turns of a tool loop (Anthropic's `thinking` blocks with their `signature` and its
 * `redacted_thinking` blocks, as the provider sent them). Opaque to every other provider, which
 * never gets it.
 */
export interface SignedReasoning {
  provider: 'anthropic';
  blocks: Record<string, unknown>[];
}

export type CanonicalMessage =
  | { role: 'user'; content: CanonicalPart[] }
  | { role: 'assistant'; content: CanonicalPart[]; toolCalls: CanonicalToolCall[]; signedReasoning?: SignedReasoning }
  | { role: 'tool'; toolCallId: string; name?: string; content: string; isError?: boolean };

export interface CanonicalTool {
  name: string;
  description?: string;
  /** JSON schema of the arguments. */
  parameters: Record<string, unknown>;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/**
 * The caller asked the model to search the web (the Responses API's `web_search` tool, Chat's
 * `web_search_options`, Anthropic's `web_search_…` server tool, Gemini's `googleSearch`). Providers
 * that search themselves run it (Anthropic's web search tool, Gemini's Google Search grounding);
 * for the others it is left out and `tool` is named in the `x-apigpt-dropped-tools` header.
 */
export interface WebSearchRequest {
  /** The caller's own name for it (`web_search`, `web_search_options`, `googleSearch`, ...). */
  tool: string;
  /** Most searches the model may run for this call. */
  maxUses?: number;
  allowedDomains?: string[];
  blockedDomains?: string[];
  userLocation?: { city?: string; region?: string; country?: string; timezone?: string };
}

/** A web search the provider ran for the answer: what it looked for and the pages it found. */
export interface CanonicalSearch {
  id: string;
  queries: string[];
  sources: { url: string; title?: string }[];
  /** The provider reports the search failed (Anthropic's `web_search_tool_result_error`). */
  failed?: boolean;
}

/** A stretch of the answer's text backed by a web page, in characters of the choice's whole text (end exclusive). */
export interface CanonicalCitation {
  url: string;
  title?: string;
  start: number;
  end: number;
}

export type ResponseFormat = { type: 'json_object' } | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean };

export interface CanonicalChatRequest {
  kind: 'chat';
  model: string;
  /** System/developer instructions, in order. */
  system: string[];
  messages: CanonicalMessage[];
  stream: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  n?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  tools: CanonicalTool[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  user?: string;
  /** The caller used OpenAI's older `functions` / `function_call` shape and expects it back. */
  legacyFunctions?: boolean;
  /**
   * The caller explicitly turned the model's reasoning off in its own dialect (Anthropic
   * `thinking: {type: "disabled"}`, Gemini `thinkingConfig.includeThoughts: false`): reasoning the
   * provider shows anyway is left out of the answer (it is still metered).
   */
  hideReasoning?: boolean;
  /**
   * How much the model should reason, on OpenAI's scale (`none`, `minimal`, `low`, `medium`, `high`,
   * `xhigh`): the Responses API's `reasoning.effort`, Chat's `reasoning_effort`. Each provider's
   * format maps it to its own control (Chat's `reasoning_effort`, Anthropic's thinking budget,
   * Gemini's thinkingConfig) or leaves it out.
   */
  reasoningEffort?: string;
  /** The caller asked to be shown the model's reasoning (the Responses API's `reasoning.summary`). */
  showReasoning?: boolean;
  /**
   * Built-in tools of the caller's dialect (the Responses API's `web_search`, ...) that a
   * translated provider cannot run: left out of the call and named to the caller in the
   * `x-apigpt-dropped-tools` answer header.
   */
  droppedTools?: string[];
  /** The caller asked the model to search the web (see WebSearchRequest). */
  webSearch?: WebSearchRequest;
}

export interface CanonicalEmbeddingRequest {
  kind: 'embedding';
  model: string;
  inputs: string[];
  dimensions?: number;
  /** How the caller wants vectors back (OpenAI's `encoding_format`). */
  encoding?: 'float' | 'base64';
  /** The caller sent one input and expects one vector back, not a list (Gemini's `embedContent`). */
  single?: boolean;
}

export type CanonicalRequest = CanonicalChatRequest | CanonicalEmbeddingRequest;

export interface CanonicalChoice {
  index: number;
  text: string;
  toolCalls: CanonicalToolCall[];
  finish: FinishReason;
  /** The stop string that ended the text, when the provider says which. */
  stopSequence?: string | null;
  /**
   * The model's visible reasoning, when it shows it (DeepSeek `reasoning_content`, Anthropic
   * `thinking` blocks, Gemini `thought` parts). Rendered in each caller's own reasoning form.
   */
  reasoning?: string;
  /** The provider's signed record of that reasoning, for the caller to send back (see SignedReasoning). */
  signedReasoning?: SignedReasoning;
  /** Web searches the provider ran for this answer, in order. */
  searches?: CanonicalSearch[];
  /** Parts of `text` backed by the pages found. */
  citations?: CanonicalCitation[];
}

export interface CanonicalChatResponse {
  kind: 'chat';
  id: string;
  model: string;
  created: number;
  choices: CanonicalChoice[];
  usage: Usage | null;
}

export interface CanonicalEmbeddingResponse {
  kind: 'embedding';
  model: string;
  vectors: number[][];
  usage: Usage | null;
}

export type CanonicalResponse = CanonicalChatResponse | CanonicalEmbeddingResponse;

/**
 * One step of a streamed answer. Decoders turn provider events into these as they arrive; encoders
 * turn them into the caller's events at once, so translation never holds back content.
 */
export type CanonicalEvent =
  | { type: 'start'; id?: string; model?: string }
  | { type: 'text'; choice: number; text: string }
  /** A piece of the model's visible reasoning; providers send it before the answer's text. */
  | { type: 'reasoning'; choice: number; text: string }
  /** One signed reasoning block, whole, once the provider has finished it (after its `reasoning` text). */
  | { type: 'signed_reasoning'; choice: number; provider: SignedReasoning['provider']; block: Record<string, unknown> }
  /** A tool call fragment: `id` and `name` come with the first fragment of call `index`. */
  | { type: 'tool_call'; choice: number; index: number; id?: string; name?: string; args: string }
  | { type: 'finish'; choice: number; finish: FinishReason; stopSequence?: string | null }
  /** A web search the provider ran, whole (its results came back), between the text around it. */
  | { type: 'search'; choice: number; search: CanonicalSearch }
  /** A stretch of the text already sent that a page backs (offsets in the choice's whole text). */
  | { type: 'citation'; choice: number; citation: CanonicalCitation }
  /**
   * The provider's latest usage report (cumulative: it replaces earlier ones, never adds). One that
   * comes after every choice's `finish` is final; earlier ones are early or running figures, so
   * decoders emit a terminal chunk's `finish` before its `usage`.
   */
  | { type: 'usage'; usage: Usage }
  | { type: 'error'; message: string; status: number }
  /** The provider's proper end of stream. */
  | { type: 'end' };

/** What an encoder knows about the call beyond the events. */
export interface EncodeContext {
  /** The model name the caller asked for (echoed back, not the provider's). */
  model: string;
  clientWantsUsage: boolean;
  request: CanonicalRequest;
}

export interface StreamDecoder {
  /** One provider SSE event (already split and parsed) → canonical events. */
  decode(event: { event: string | null; data: string }): CanonicalEvent[];
  /** End of the provider's body: events owed at EOF (Gemini has no end marker of its own). */
  finish(): CanonicalEvent[];
}

export interface StreamEncoder {
  /** `usage` is the best usage known at this point (reported, or counted so far). */
  encode(event: CanonicalEvent, usage: () => Usage): string;
  /**
   * A failure after the first byte (the provider's stream broke off), in the caller's own stream
   * grammar, for dialects whose events are numbered or must end with a terminal event (the
   * Responses API). Without it the caller's dialect renders the failure statelessly.
   */
  failure?(err: { message: string; status: number; code: string | null }): string;
}

/**
 * One wire format (OpenAI, Anthropic, Gemini, and the OpenAI-like variants). Ingress dialects use
 * the parse-request / render-response / encoder half; provider adapters use the render-request /
 * parse-response / decoder half.
 */
export interface WireFormat {
  name: string;
  /** Operations this format can translate. */
  translates: readonly ('chat' | 'embedding')[];
  parseRequest(operation: 'chat' | 'embedding', body: Record<string, unknown>, model: string, stream: boolean): CanonicalRequest;
  renderResponse(res: CanonicalResponse, ctx: EncodeContext): unknown;
  encoder(ctx: EncodeContext): StreamEncoder;
  renderRequest(req: CanonicalRequest, upstreamModel: string): Record<string, unknown>;
  parseResponse(body: unknown, req: CanonicalRequest): CanonicalResponse;
  decoder(req: CanonicalRequest): StreamDecoder;
  /**
   * Whether the provider runs the caller's web search for this request itself (renderRequest then
   * offers it its own search tool). Absent: it cannot, and the search is left out and named.
   */
  searches?(req: CanonicalChatRequest, upstreamModel: string): boolean;
}

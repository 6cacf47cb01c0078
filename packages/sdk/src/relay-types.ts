/**
 * The relay's request and answer shapes (OpenAI's wire format, which the gateway speaks for every
 * provider). Only the fields a caller reads or sets are spelled out; the rest pass through.
 */

/** Answers carry the gateway's id for the call (`x-request-id`), to quote when asking about it. */
export interface RequestIdentified {
  readonly _request_id?: string | null;
}

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface TextPart {
  type: 'text';
  text: string;
}
export interface ImagePart {
  type: 'image_url';
  /** An https URL or a `data:image/png;base64,…` URL. */
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}
export type ContentPart = TextPart | ImagePart;

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: Role;
  content: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  /** DeepSeek reasoner's thinking, as it relays it. */
  reasoning_content?: string;
}

export interface FunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean; description?: string } };

export interface ChatCompletionCreateParams {
  model: string;
  messages: ChatMessage[];
  tools?: FunctionTool[];
  tool_choice?: 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
  parallel_tool_calls?: boolean;
  response_format?: ResponseFormat;
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[];
  n?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  seed?: number;
  user?: string;
  logprobs?: boolean;
  top_logprobs?: number;
  reasoning_effort?: 'minimal' | 'low' | 'medium' | 'high';
  /** The SDK always asks for usage on streams (`include_usage`). */
  stream_options?: { include_usage?: boolean };
  /** Provider extras the gateway passes where the provider has them. */
  extra?: Record<string, unknown>;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface ChatCompletion extends RequestIdentified {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: { index: number; message: ChatMessage & { role: 'assistant' }; finish_reason: FinishReason | null }[];
  usage?: Usage;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: { index: number; delta: { role?: string; content?: string | null; reasoning_content?: string | null; tool_calls?: ToolCallDelta[] }; finish_reason: FinishReason | null }[];
  usage?: Usage | null;
}

// Responses API

export type ResponseInputContent =
  | { type: 'input_text'; text: string }
  | { type: 'input_image'; image_url?: string; detail?: 'auto' | 'low' | 'high' }
  | { type: 'output_text'; text: string };

export type ResponseInputItem =
  | { type?: 'message'; role: 'system' | 'developer' | 'user' | 'assistant'; content: string | ResponseInputContent[] }
  | { type: 'function_call'; call_id: string; name: string; arguments: string }
  | { type: 'function_call_output'; call_id: string; output: string };

export interface ResponseCreateParams {
  model: string;
  input: string | ResponseInputItem[];
  instructions?: string;
  tools?: ({ type: 'function'; name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean } | Record<string, unknown>)[];
  tool_choice?: unknown;
  text?: { format: { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean } };
  max_output_tokens?: number;
  temperature?: number;
  top_p?: number;
  store?: boolean;
  previous_response_id?: string;
  metadata?: Record<string, string>;
  parallel_tool_calls?: boolean;
  include?: string[];
  reasoning?: { effort?: 'minimal' | 'low' | 'medium' | 'high'; summary?: 'auto' | 'concise' | 'detailed' };
  user?: string;
  prompt_cache_key?: string;
}

export interface ResponseOutputItem {
  type: 'message' | 'function_call' | 'reasoning' | string;
  id?: string;
  role?: 'assistant';
  status?: string;
  content?: { type: 'output_text' | string; text?: string }[];
  call_id?: string;
  name?: string;
  arguments?: string;
  summary?: { type: string; text: string }[];
}

export interface ResponseUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  input_tokens_details?: { cached_tokens?: number };
  output_tokens_details?: { reasoning_tokens?: number };
}

export interface ResponseObject extends RequestIdentified {
  id: string;
  object: 'response';
  created_at: number;
  model: string;
  status: 'completed' | 'incomplete' | 'failed' | 'in_progress' | string;
  output: ResponseOutputItem[];
  incomplete_details?: { reason: string } | null;
  error?: { code: string; message: string } | null;
  usage?: ResponseUsage;
  previous_response_id?: string | null;
  /** The text of every message output, joined (the SDK fills it in). */
  output_text: string;
}

export interface ResponseStreamEvent {
  type: string;
  sequence_number?: number;
  delta?: string;
  response?: ResponseObject;
  item?: ResponseOutputItem;
  [k: string]: unknown;
}

// Embeddings

export interface EmbeddingCreateParams {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}

export interface EmbeddingResponse extends RequestIdentified {
  object: 'list';
  model: string;
  data: { object: 'embedding'; index: number; embedding: number[] }[];
  usage: { prompt_tokens: number; total_tokens: number };
}

// Images

export interface ImageGenerateParams {
  model?: string;
  prompt: string;
  n?: number;
  size?: string;
  quality?: string;
  style?: string;
  /** `b64_json` (the default here: the bytes come with the answer) or `url` (a signed link on the gateway). */
  response_format?: 'url' | 'b64_json';
  user?: string;
  /** Provider extras where the provider has them: negative_prompt, steps, sampler, seed, cfg_scale. */
  extra?: Record<string, unknown>;
}

export interface ImageData {
  url?: string;
  b64_json?: string;
  revised_prompt?: string;
}

export interface ImagesResponse extends RequestIdentified {
  created: number;
  data: ImageData[];
}

/** Bytes to upload: a Blob or File (browsers, Node 20), or raw bytes with a file name. */
export type Uploadable = Blob | Uint8Array | ArrayBuffer;

export interface ImageEditParams {
  image: Uploadable;
  prompt: string;
  mask?: Uploadable;
  model?: string;
  n?: number;
  size?: string;
  response_format?: 'url' | 'b64_json';
}

// Audio

export interface SpeechCreateParams {
  model: string;
  input: string;
  voice: string;
  response_format?: 'mp3' | 'opus' | 'aac' | 'flac' | 'wav' | 'pcm';
  speed?: number;
  instructions?: string;
}

export interface TranscriptionCreateParams {
  file: Uploadable;
  /** The upload's name; its extension tells the provider the format. Default `audio.wav`. */
  filename?: string;
  model: string;
  language?: string;
  prompt?: string;
  response_format?: 'json' | 'text' | 'srt' | 'vtt' | 'verbose_json';
  temperature?: number;
  timestamp_granularities?: ('word' | 'segment')[];
}

export interface Transcription {
  text: string;
  language?: string;
  duration?: number;
  segments?: { id: number; start: number; end: number; text: string }[];
  words?: { word: string; start: number; end: number }[];
  usage?: { type: 'duration'; seconds: number } | { type: 'tokens'; input_tokens: number; output_tokens: number; total_tokens: number };
}

// Rerank

export interface RerankParams {
  model: string;
  query: string;
  documents: (string | { text: string })[];
  top_n?: number;
  return_documents?: boolean;
  max_tokens_per_doc?: number;
}

export interface RerankResult {
  index: number;
  relevance_score: number;
  document?: { text: string } | string;
}

export interface RerankResponse extends RequestIdentified {
  id?: string;
  model?: string;
  results: RerankResult[];
  meta?: { billed_units?: { search_units?: number }; tokens?: { input_tokens?: number } };
  usage?: { total_tokens?: number; prompt_tokens?: number };
}

// Token counting

export interface TokenCountParams {
  model: string;
  /** Chat messages, as chat.completions takes them. */
  messages?: ChatMessage[];
  /** Or a Responses API input. */
  input?: string | ResponseInputItem[];
  instructions?: string;
  tools?: FunctionTool[];
}

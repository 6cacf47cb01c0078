import { errorFromResponse } from '../../api/client';
import { usage } from '../../api/endpoints';
import type { RequestLog } from '../../api/types';
import { sseData } from '../../lib/sse';

/**
 * The playgrounds call the relay like any client, but with the login cookie instead of a key; the
 * custom header tells the gateway to bill the user's "Playground" app (and cannot be sent
 * cross-site without a preflight the gateway refuses).
 */
const PLAYGROUND_HEADERS = { 'content-type': 'application/json', 'x-apigpt-playground': '1' };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatParams {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
}

export interface StreamResult {
  requestId: string | null;
  usage: Usage | null;
  finishReason: string | null;
}

/** Streams one chat completion, calling onDelta with each piece of text as it arrives. */
export async function streamChat(
  body: { model: string; messages: ChatMessage[] } & ChatParams,
  onDelta: (text: string) => void,
  signal: AbortSignal,
): Promise<StreamResult> {
  const res = await fetch('/v1/chat/completions', {
    method: 'POST',
    credentials: 'same-origin',
    headers: PLAYGROUND_HEADERS,
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
    signal,
  });
  if (!res.ok || !res.body) throw await errorFromResponse(res);
  const result: StreamResult = { requestId: res.headers.get('x-request-id'), usage: null, finishReason: null };
  for await (const data of sseData(res.body)) {
    if (data === '[DONE]') break;
    const chunk = JSON.parse(data) as {
      error?: { message?: string };
      choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
      usage?: Usage | null;
    };
    // After the first byte a failure arrives as an error event inside the stream.
    if (chunk.error) throw new Error(chunk.error.message ?? 'The stream ended with an error.');
    for (const c of chunk.choices ?? []) {
      if (c.delta?.content) onDelta(c.delta.content);
      if (c.finish_reason) result.finishReason = c.finish_reason;
    }
    if (chunk.usage) result.usage = chunk.usage;
  }
  return result;
}

export interface ImageResult {
  images: { url?: string; b64_json?: string; revised_prompt?: string }[];
  requestId: string | null;
}

export interface ImageRequest {
  model?: string;
  prompt: string;
  size: string;
  n: number;
  /** Stable Diffusion-style extras; providers that have no such setting ignore them. */
  negative_prompt?: string;
  steps?: number;
}

/**
 * One `/v1/images/generations` call. Asks for `url`: the gateway stores the images and answers with
 * signed links to itself (`/files/images/...`), which keeps big base64 strings out of the page. A
 * provider that only makes base64 still answers with `b64_json`; both are handled.
 */
export async function generateImages(req: ImageRequest, signal: AbortSignal): Promise<ImageResult> {
  const extra: Record<string, unknown> = {};
  if (req.negative_prompt) extra.negative_prompt = req.negative_prompt;
  if (req.steps) extra.steps = req.steps;
  const body = { model: req.model, prompt: req.prompt, size: req.size, n: req.n, response_format: 'url', ...(Object.keys(extra).length ? { extra } : {}) };
  const res = await fetch('/v1/images/generations', {
    method: 'POST',
    credentials: 'same-origin',
    headers: PLAYGROUND_HEADERS,
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw await errorFromResponse(res);
  const json = (await res.json()) as { data?: ImageResult['images'] };
  return { images: json.data ?? [], requestId: res.headers.get('x-request-id') };
}

/**
 * The cost of one request, read back from the request log (the log is the gateway's record of what
 * was charged). Null when the log has no cost column yet or the entry is not found.
 */
export async function costOf(requestId: string | null): Promise<number | null> {
  if (!requestId) return null;
  // The log is written moments after the answer (batched), so a missing row is asked for again.
  for (let attempt = 0; attempt < 6; attempt++) {
    try {
      const page = await usage.logs({ limit: 20 });
      const row: RequestLog | undefined = page.items.find((l) => l.id === requestId);
      if (row) return typeof row.cost === 'number' ? row.cost : null;
    } catch {
      return null;
    }
    await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
  }
  return null;
}

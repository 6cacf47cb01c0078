import { APIUserAbortError, Chat, Images, Transport } from '@apigpt/sdk';
import { asApiError } from '../../api/client';
import { usage } from '../../api/endpoints';
import type { RequestLog } from '../../api/types';

/**
 * The playgrounds call the relay through the SDK like any client, but with the login cookie instead
 * of a key; the custom header tells the gateway to bill the user's "Playground" app (and cannot be
 * sent cross-site without a CORS preflight, which the gateway does not grant).
 */
const transport = new Transport({ apiKey: null, baseURL: '', maxRetries: 0, credentials: 'same-origin', defaultHeaders: { 'x-apigpt-playground': '1' } });
const chat = new Chat(transport);
const images = new Images(transport);

/** The pages tell "stopped by the user" by the name AbortError, as fetch names it. */
function playgroundError(err: unknown): unknown {
  return err instanceof APIUserAbortError ? new DOMException('The call was stopped.', 'AbortError') : asApiError(err);
}

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
  /** The model the answer names (an alias may resolve to a dated version). */
  model: string | null;
}

/** Streams one chat completion, calling onDelta with each piece of text as it arrives. */
export async function streamChat(
  body: { model: string; messages: ChatMessage[] } & ChatParams,
  onDelta: (text: string) => void,
  signal: AbortSignal,
): Promise<StreamResult> {
  try {
    const stream = await chat.completions.stream(body, { signal });
    for await (const text of stream.textDeltas()) onDelta(text);
    const final = await stream.finalCompletion();
    return { requestId: stream.requestId, usage: stream.usage, finishReason: final.choices[0]?.finish_reason ?? null, model: final.model || null };
  } catch (err) {
    throw playgroundError(err);
  }
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
  try {
    const res = await images.generate({ model: req.model, prompt: req.prompt, size: req.size, n: req.n, response_format: 'url', ...(Object.keys(extra).length ? { extra } : {}) }, { signal });
    return { images: res.data ?? [], requestId: res._request_id ?? null };
  } catch (err) {
    throw playgroundError(err);
  }
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

import type { HttpRequest, RequestOptions, Transport } from '../core/transport.js';
import type { Uploadable } from '../relay-types.js';

/**
 * Opens a streamed call with its own AbortController (so `stream.abort()` works), tied to the
 * caller's signal when one was given.
 */
export async function openStream(transport: Transport, req: HttpRequest, options: RequestOptions = {}): Promise<{ response: Response; controller: AbortController }> {
  const controller = new AbortController();
  const outer = options.signal;
  if (outer) {
    if (outer.aborted) controller.abort();
    else outer.addEventListener('abort', () => controller.abort(), { once: true });
  }
  const response = await transport.raw(req, { ...options, signal: controller.signal });
  return { response, controller };
}

/** Bytes as a Blob for a multipart form. */
export function toBlob(u: Uploadable, type = 'application/octet-stream'): Blob {
  if (u instanceof Blob) return u;
  const bytes = u instanceof ArrayBuffer ? new Uint8Array(u) : u;
  return new Blob([bytes as BlobPart], { type });
}

/** A multipart form from plain fields: arrays become repeated `name[]` fields, as OpenAI's API reads them. */
export function formOf(fields: Record<string, unknown>): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v) form.append(`${k}[]`, String(x));
    else form.append(k, String(v));
  }
  return form;
}

// SSE framing. Events are pre-rendered strings so the sender can write them without any
// per-chunk work beyond the socket write.

/** `data: <json>` event, LF framing (OpenAI, Zhipu). */
export function dataEvent(obj: unknown): string {
  return `data: ${JSON.stringify(obj)}\n\n`;
}

/** `data: <json>` event, CRLF framing (Gemini, sse-starlette servers). */
export function dataEventCrlf(obj: unknown): string {
  return `data: ${JSON.stringify(obj)}\r\n\r\n`;
}

/** Named event whose JSON carries the same `type` (Anthropic). */
export function namedEvent(name: string, obj: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(obj)}\n\n`;
}

export const DONE = 'data: [DONE]\n\n';

export const SSE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

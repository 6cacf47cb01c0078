/** One server-sent event: its `event:` name (the Responses API names them) and its data lines joined. */
export interface ServerSentEvent {
  event: string | null;
  data: string;
}

/**
 * Reads a text/event-stream body event by event. Events split across network chunks, CRLF line
 * endings and characters split across chunks (Chinese text) are handled; multi-line data fields are
 * joined with newlines, as the spec says; comments (`: keep-alive`) are skipped.
 */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let event: string | null = null;
  let data: string[] = [];
  let sawData = false;
  const flush = (): ServerSentEvent | null => {
    const out = sawData ? { event, data: data.join('\n') } : null;
    event = null;
    data = [];
    sawData = false;
    return out;
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (line === '') {
          const e = flush();
          if (e) yield e;
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''));
          sawData = true;
        } else if (line.startsWith('event:')) {
          event = line.slice(6).trim();
        }
      }
    }
    buf += decoder.decode();
    if (buf.startsWith('data:')) {
      data.push(buf.slice(5).replace(/^ /, ''));
      sawData = true;
    }
    const last = flush();
    if (last) yield last;
  } finally {
    // Leaving early (break, an error, abort) cancels the body, so the gateway sees the caller go.
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

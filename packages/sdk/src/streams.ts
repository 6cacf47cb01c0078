import { readEvents, type ServerSentEvent } from './core/sse.js';
import { APIConnectionError, APIError, APIUserAbortError, streamError } from './core/errors.js';
import type { ChatCompletion, ChatCompletionChunk, ChatMessage, FinishReason, ResponseObject, ResponseStreamEvent, ToolCall, Usage } from './relay-types.js';

/**
 * A streamed answer as an async iterator of parsed events. Iterate it once; leaving the loop early
 * (or `abort()`) closes the connection, and the gateway cancels the provider's call at once.
 */
export class Stream<T> implements AsyncIterable<T> {
  private consumed = false;

  constructor(
    protected readonly http: Response,
    protected readonly controller: AbortController,
  ) {}

  /** The gateway's id for the call (`x-request-id`). */
  get requestId(): string | null {
    return this.http.headers.get('x-request-id');
  }

  abort(): void {
    this.controller.abort();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.consumed) throw new Error('A stream can be read once.');
    this.consumed = true;
    if (!this.http.body) return;
    try {
      for await (const sse of readEvents(this.http.body)) {
        // Events already buffered are not handed out after abort(): the caller said stop.
        if (this.controller.signal.aborted) throw new APIUserAbortError('The stream was aborted.');
        const item = this.parse(sse);
        if (item === DONE) return;
        if (item !== SKIP) yield item as T;
      }
    } catch (err) {
      if (err instanceof APIError) throw err;
      if (this.controller.signal.aborted) throw new APIUserAbortError('The stream was aborted.', { cause: err });
      throw new APIConnectionError(`The stream broke off: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
  }

  protected parse(sse: ServerSentEvent): T | typeof DONE | typeof SKIP {
    if (sse.data === '[DONE]') return DONE;
    const json = JSON.parse(sse.data) as T & { error?: unknown };
    // After the first byte a failure arrives in the stream itself, as an `{error: …}` event.
    if (json && typeof json === 'object' && json.error) throw streamError(json as { error: never }, this.http.headers);
    return json;
  }
}

const DONE = Symbol('done');
const SKIP = Symbol('skip');

/**
 * A streamed chat completion: iterate its chunks, or `textDeltas()` for the text alone; the whole
 * answer (text, tool calls, finish reason) and the final usage are there once it ends.
 */
export class ChatStream extends Stream<ChatCompletionChunk> {
  private readonly acc = { id: '', model: '', created: 0, text: '', reasoning: '', finish: null as FinishReason | null, tools: [] as ToolCall[] };
  /** The usage the gateway reported at the end (the SDK always asks for it). */
  usage: Usage | null = null;

  override async *[Symbol.asyncIterator](): AsyncIterator<ChatCompletionChunk> {
    const it = super[Symbol.asyncIterator]();
    for (;;) {
      const { value, done } = await it.next();
      if (done) {
        this.ended = true;
        return;
      }
      this.absorb(value);
      yield value;
    }
  }

  /** The text as it arrives, piece by piece. */
  async *textDeltas(): AsyncGenerator<string> {
    for await (const chunk of this) {
      const text = chunk.choices?.[0]?.delta?.content;
      if (text) yield text;
    }
  }

  /** Reads the stream to its end (if not read yet) and returns the whole answer as a ChatCompletion. */
  async finalCompletion(): Promise<ChatCompletion> {
    if (!this.ended) for await (const _ of this);
    const message: ChatMessage & { role: 'assistant' } = { role: 'assistant', content: this.acc.text };
    if (this.acc.reasoning) message.reasoning_content = this.acc.reasoning;
    if (this.acc.tools.length) message.tool_calls = this.acc.tools;
    return {
      id: this.acc.id,
      object: 'chat.completion',
      created: this.acc.created,
      model: this.acc.model,
      choices: [{ index: 0, message, finish_reason: this.acc.finish }],
      ...(this.usage ? { usage: this.usage } : {}),
    };
  }

  /** The text received so far (all of it once the stream ended). */
  get text(): string {
    return this.acc.text;
  }

  private ended = false;

  private absorb(chunk: ChatCompletionChunk): void {
    this.acc.id ||= chunk.id;
    this.acc.model ||= chunk.model;
    this.acc.created ||= chunk.created;
    if (chunk.usage) this.usage = chunk.usage;
    const c = chunk.choices?.find((x) => x.index === 0);
    if (!c) return;
    if (c.delta?.content) this.acc.text += c.delta.content;
    if (c.delta?.reasoning_content) this.acc.reasoning += c.delta.reasoning_content;
    for (const t of c.delta?.tool_calls ?? []) {
      const call = (this.acc.tools[t.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (t.id) call.id = t.id;
      if (t.function?.name) call.function.name += t.function.name;
      if (t.function?.arguments) call.function.arguments += t.function.arguments;
    }
    if (c.finish_reason) this.acc.finish = c.finish_reason;
  }
}

/** A streamed Responses API answer: its events, `textDeltas()`, and the final Response once it ends. */
export class ResponseStream extends Stream<ResponseStreamEvent> {
  /** The Response of the terminal event (`response.completed`, `.incomplete` or `.failed`). */
  response: ResponseObject | null = null;

  override async *[Symbol.asyncIterator](): AsyncIterator<ResponseStreamEvent> {
    const it = super[Symbol.asyncIterator]();
    for (;;) {
      const { value, done } = await it.next();
      if (done) return;
      if (value.response && /^response\.(completed|incomplete|failed)$/.test(value.type)) this.response = withOutputText(value.response);
      yield value;
    }
  }

  async *textDeltas(): AsyncGenerator<string> {
    for await (const e of this) if (e.type === 'response.output_text.delta' && typeof e.delta === 'string') yield e.delta;
  }

  /** Reads the stream to its end (if not read yet) and returns the final Response. */
  async finalResponse(): Promise<ResponseObject> {
    if (!this.response) for await (const _ of this);
    if (!this.response) throw new Error('The stream ended without a final response.');
    return this.response;
  }

  protected override parse(sse: ServerSentEvent) {
    if (sse.data === '[DONE]') return DONE;
    const json = JSON.parse(sse.data) as ResponseStreamEvent;
    // `error` events carry the failure at the top level ({type, code, message}); older ones nest it.
    if (json.type === 'error') throw streamError({ error: (json.error as object | undefined) ?? (json as never) }, this.http.headers);
    return json;
  }
}

/** Fills `output_text`: the text of every message item, in order, as OpenAI's SDK offers it. */
export function withOutputText(r: Omit<ResponseObject, 'output_text'> & { output_text?: string }): ResponseObject {
  const text = (r.output ?? [])
    .filter((o) => o.type === 'message')
    .flatMap((o) => o.content ?? [])
    .filter((c) => c.type === 'output_text' && typeof c.text === 'string')
    .map((c) => c.text)
    .join('');
  // Set on the object itself, which keeps its `_request_id`.
  return Object.assign(r, { output_text: text }) as ResponseObject;
}

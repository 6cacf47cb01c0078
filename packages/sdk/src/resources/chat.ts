import type { RequestOptions, Transport } from '../core/transport.js';
import type { ChatCompletion, ChatCompletionCreateParams } from '../relay-types.js';
import { ChatStream } from '../streams.js';
import { openStream } from './shared.js';

/** `POST /v1/chat/completions`: any chat model of any provider behind the gateway. */
export class ChatCompletions {
  constructor(private readonly transport: Transport) {}

  create(params: ChatCompletionCreateParams & { stream: true }, options?: RequestOptions): Promise<ChatStream>;
  create(params: ChatCompletionCreateParams & { stream?: false }, options?: RequestOptions): Promise<ChatCompletion>;
  async create(params: ChatCompletionCreateParams & { stream?: boolean }, options?: RequestOptions): Promise<ChatCompletion | ChatStream> {
    if (params.stream) return this.stream(params, options);
    const { data } = await this.transport.json<ChatCompletion>({ method: 'POST', path: '/v1/chat/completions', body: params }, options);
    return data;
  }

  /** A streamed completion; the final usage is always asked for (`stream.usage` once it ends). */
  async stream(params: ChatCompletionCreateParams, options?: RequestOptions): Promise<ChatStream> {
    const streamOptions = { ...params.stream_options, include_usage: true };
    const body = { ...params, stream: true, stream_options: streamOptions };
    const { response, controller } = await openStream(this.transport, { method: 'POST', path: '/v1/chat/completions', body }, options);
    return new ChatStream(response, controller);
  }
}

export class Chat {
  readonly completions: ChatCompletions;
  constructor(transport: Transport) {
    this.completions = new ChatCompletions(transport);
  }
}

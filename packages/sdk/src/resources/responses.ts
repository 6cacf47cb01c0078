import type { RequestOptions, Transport } from '../core/transport.js';
import type { ResponseCreateParams, ResponseObject } from '../relay-types.js';
import { ResponseStream, withOutputText } from '../streams.js';
import { openStream } from './shared.js';

/** OpenAI's Responses API (`/v1/responses`) on every chat model, with stored responses. */
export class Responses {
  constructor(private readonly transport: Transport) {}

  create(params: ResponseCreateParams & { stream: true }, options?: RequestOptions): Promise<ResponseStream>;
  create(params: ResponseCreateParams & { stream?: false }, options?: RequestOptions): Promise<ResponseObject>;
  async create(params: ResponseCreateParams & { stream?: boolean }, options?: RequestOptions): Promise<ResponseObject | ResponseStream> {
    if (params.stream) return this.stream(params, options);
    const { data } = await this.transport.json<ResponseObject>({ method: 'POST', path: '/v1/responses', body: params }, options);
    return withOutputText(data);
  }

  async stream(params: ResponseCreateParams, options?: RequestOptions): Promise<ResponseStream> {
    const { response, controller } = await openStream(this.transport, { method: 'POST', path: '/v1/responses', body: { ...params, stream: true } }, options);
    return new ResponseStream(response, controller);
  }

  /** A stored response (`store` is on by default). */
  async retrieve(id: string, options?: RequestOptions): Promise<ResponseObject> {
    const { data } = await this.transport.json<ResponseObject>({ method: 'GET', path: `/v1/responses/${encodeURIComponent(id)}` }, options);
    return withOutputText(data);
  }

  async delete(id: string, options?: RequestOptions): Promise<{ id: string; object: string; deleted: boolean }> {
    const { data } = await this.transport.json<{ id: string; object: string; deleted: boolean }>({ method: 'DELETE', path: `/v1/responses/${encodeURIComponent(id)}` }, options);
    return data;
  }
}

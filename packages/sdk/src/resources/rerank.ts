import type { RequestOptions, Transport } from '../core/transport.js';
import type { RerankParams, RerankResponse } from '../relay-types.js';

/** `POST /v1/rerank` (Cohere / Jina shape): documents ordered by relevance to the query. */
export class Rerank {
  constructor(private readonly transport: Transport) {}

  async create(params: RerankParams, options?: RequestOptions): Promise<RerankResponse> {
    const { data } = await this.transport.json<RerankResponse>({ method: 'POST', path: '/v1/rerank', body: params }, options);
    return data;
  }
}

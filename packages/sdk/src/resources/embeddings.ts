import type { RequestOptions, Transport } from '../core/transport.js';
import type { EmbeddingCreateParams, EmbeddingResponse } from '../relay-types.js';

/** `POST /v1/embeddings`. */
export class Embeddings {
  constructor(private readonly transport: Transport) {}

  async create(params: EmbeddingCreateParams, options?: RequestOptions): Promise<EmbeddingResponse> {
    const { data } = await this.transport.json<EmbeddingResponse & { data: { embedding: number[] | string }[] }>({ method: 'POST', path: '/v1/embeddings', body: params }, options);
    // base64 vectors (little-endian float32) are decoded: a caller asks for base64 to save bandwidth, not to parse it.
    for (const d of data.data) if (typeof d.embedding === 'string') d.embedding = decodeFloat32(d.embedding);
    return data as EmbeddingResponse;
  }
}

function decodeFloat32(b64: string): number[] {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const view = new DataView(bytes.buffer);
  const out: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) out.push(view.getFloat32(i, true));
  return out;
}

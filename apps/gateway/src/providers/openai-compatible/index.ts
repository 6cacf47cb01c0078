import type { Provider as ProviderAdapter } from '../types.js';
import { authHeaders, openaiAdapter } from '../openai/index.js';

/**
 * Any server that speaks OpenAI's REST shape (Ollama, vLLM, LM Studio, DeepSeek, Qwen, Moonshot...):
 * same wire format, a base URL per channel, and a key only when the server wants one. Rerank too,
 * at `{base}/rerank` in the Cohere / Jina shape, as self-hosted servers serve it (TEI, vLLM,
 * Xinference) and SiliconFlow (https://docs.siliconflow.cn/cn/api-reference/rerank/create-rerank).
 */
export const openaiCompatibleAdapter: ProviderAdapter = {
  ...openaiAdapter,
  kind: 'openai-compatible',
  label: 'OpenAI-compatible',
  // Each such server has its own address: OpenAI's must not be offered for it.
  defaultBaseUrl: undefined,
  // No Responses API, so no token count (OpenAI's is part of it); rerank instead.
  operations: [...openaiAdapter.operations.filter((o) => o !== 'count_tokens'), 'rerank'],
  // Few compatible servers have the Responses API: its callers are translated to chat completions.
  nativeDialects: [],
  needsSecret: false,
  buildRequest: (call, channel, creds) =>
    call.operation === 'rerank'
      ? { method: 'POST', url: channel.baseUrl + '/rerank', headers: { 'content-type': 'application/json', ...authHeaders(channel) }, body: JSON.stringify(call.body) }
      : openaiAdapter.buildRequest(call, channel, creds),
};

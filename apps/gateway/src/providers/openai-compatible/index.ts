import type { Provider as ProviderAdapter } from '../types.js';
import { openaiAdapter } from '../openai/index.js';

/**
 * Any server that speaks OpenAI's REST shape (Ollama, vLLM, LM Studio, DeepSeek, Qwen, Moonshot...):
 * same wire format, a base URL per channel, and a key only when the server wants one.
 */
export const openaiCompatibleAdapter: ProviderAdapter = {
  ...openaiAdapter,
  kind: 'openai-compatible',
  label: 'OpenAI-compatible',
  needsSecret: false,
};

import type { Provider as ProviderAdapter } from './types.js';
import { openaiAdapter } from './openai/index.js';
import { openaiCompatibleAdapter } from './openai-compatible/index.js';
import { azureAdapter } from './azure/index.js';
import { anthropicAdapter } from './anthropic/index.js';
import { geminiAdapter } from './gemini/index.js';
import { zhipuAdapter } from './zhipu/index.js';
import { chatglmAdapter } from './chatglm/index.js';
import { sdWebuiAdapter } from './sd-webui/index.js';
import { stabilityAdapter } from './stability/index.js';

/** Adding a provider: a folder beside this file and one line here. */
const ADAPTERS: ProviderAdapter[] = [openaiAdapter, openaiCompatibleAdapter, azureAdapter, anthropicAdapter, geminiAdapter, zhipuAdapter, chatglmAdapter, sdWebuiAdapter, stabilityAdapter];

const BY_KIND = new Map(ADAPTERS.map((a) => [a.kind, a]));

export const PROVIDER_KINDS = ADAPTERS.map((a) => a.kind);

export function isProviderKind(kind: unknown): kind is string {
  return typeof kind === 'string' && BY_KIND.has(kind);
}

export function adapterFor(kind: string): ProviderAdapter | undefined {
  return BY_KIND.get(kind);
}

export function listAdapters(): readonly ProviderAdapter[] {
  return ADAPTERS;
}

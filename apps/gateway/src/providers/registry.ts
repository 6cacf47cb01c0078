import type { Provider } from './types.js';
import { openaiAdapter } from './openai/index.js';
import { openaiCompatibleAdapter } from './openai-compatible/index.js';
import { azureAdapter } from './azure/index.js';
import { anthropicAdapter } from './anthropic/index.js';
import { geminiAdapter } from './gemini/index.js';
import { zhipuAdapter } from './zhipu/index.js';
import { chatglmAdapter } from './chatglm/index.js';
import { sdWebuiAdapter } from './sd-webui/index.js';
import { stabilityAdapter } from './stability/index.js';
import { deepseekAdapter } from './deepseek/index.js';
import { cohereProvider } from './cohere/index.js';
import { jinaProvider } from './jina/index.js';
import { ernieAdapter } from './ernie/index.js';

/** Every provider, for every operation. Adding one: a folder beside this file and one line here. */
const PROVIDERS: Provider[] = [openaiAdapter, openaiCompatibleAdapter, azureAdapter, anthropicAdapter, geminiAdapter, zhipuAdapter, chatglmAdapter, sdWebuiAdapter, stabilityAdapter, deepseekAdapter, cohereProvider, jinaProvider, ernieAdapter];

const BY_KIND = new Map(PROVIDERS.map((a) => [a.kind, a]));

export const PROVIDER_KINDS = PROVIDERS.map((a) => a.kind);

export function isProviderKind(kind: unknown): kind is string {
  return typeof kind === 'string' && BY_KIND.has(kind);
}

export function providerFor(kind: string): Provider | undefined {
  return BY_KIND.get(kind);
}

/** @deprecated name kept for callers outside the relay; same as providerFor. */
export const adapterFor = providerFor;

export function listProviders(): readonly Provider[] {
  return PROVIDERS;
}

export const listAdapters = listProviders;

/**
 * Every provider kind as a channel on the simulator: one table the matrix, the SDK suites and
 * the error suite share. Each channel serves one gateway model (`m-<name>`) mapped to a provider
 * model name, so a test picks a provider by the model it asks for.
 */
import type { Simulator } from '@apigpt/simulator';
import type { ChannelInput } from '../../src/channels/channels.js';
import { LogOnlyPolicy } from '../../src/relay/policy.js';
import type { RequestLogWriter } from '../../src/relay/request-log.js';

/** The simulator checks this key on every route, in each provider's own header. */
export const SIM_KEY = 'simid.simsecret';

export interface ProviderCase {
  name: string;
  channel: (sim: Simulator, model: string) => ChannelInput;
  /** Where the system prompt landed in the provider's request (proves it was translated, not dropped). */
  systemOf: (body: any) => string; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Whether the provider has n>1 / candidateCount. */
  multiChoice: boolean;
  embeddings: boolean;
}

const openaiSystem = (b: any) => (b.messages ?? []).filter((m: any) => m.role === 'system').map((m: any) => m.content).join('\n'); // eslint-disable-line @typescript-eslint/no-explicit-any

export const PROVIDERS: ProviderCase[] = [
  {
    name: 'openai',
    channel: (sim, model) => ({ provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { [model]: 'gpt-4o-mini' } }),
    systemOf: openaiSystem,
    multiChoice: true,
    embeddings: true,
  },
  {
    name: 'azure',
    channel: (sim, model) => ({ provider: 'azure', name: 'azure', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [model]: 'my-gpt4o-deployment' }, settings: { apiVersion: '2024-10-21' } }),
    systemOf: openaiSystem,
    multiChoice: true,
    embeddings: true,
  },
  {
    name: 'azure-v1',
    channel: (sim, model) => ({ provider: 'azure', name: 'azure-v1', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [model]: 'my-v1-deployment' }, settings: { azureApi: 'v1' } }),
    systemOf: openaiSystem,
    multiChoice: true,
    embeddings: true,
  },
  {
    name: 'anthropic',
    channel: (sim, model) => ({ provider: 'anthropic', name: 'anthropic', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [model]: 'claude-sonnet-4-5' } }),
    systemOf: (b) => (typeof b.system === 'string' ? b.system : ''),
    multiChoice: false,
    embeddings: false,
  },
  {
    name: 'gemini',
    channel: (sim, model) => ({ provider: 'gemini', name: 'gemini', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [model]: 'gemini-2.5-flash' } }),
    systemOf: (b) => (b.systemInstruction?.parts ?? []).map((p: { text: string }) => p.text).join(''),
    multiChoice: true,
    embeddings: true,
  },
  {
    name: 'zhipu',
    channel: (sim, model) => ({ provider: 'zhipu', name: 'zhipu', baseUrl: `${sim.url}/api/paas/v4`, secret: SIM_KEY, modelMap: { [model]: 'glm-4-plus' } }),
    systemOf: openaiSystem,
    multiChoice: false,
    embeddings: true,
  },
  {
    name: 'zhipu-jwt',
    channel: (sim, model) => ({ provider: 'zhipu', name: 'zhipu-jwt', baseUrl: `${sim.url}/api/paas/v4`, secret: SIM_KEY, modelMap: { [model]: 'glm-4v-plus' }, settings: { zhipuAuth: 'jwt' } }),
    systemOf: openaiSystem,
    multiChoice: false,
    embeddings: true,
  },
  {
    name: 'chatglm',
    channel: (sim, model) => ({ provider: 'chatglm', name: 'chatglm', baseUrl: `${sim.url}/chatglm/v1`, secret: null, modelMap: { [model]: 'chatglm3-6b' } }),
    systemOf: openaiSystem,
    multiChoice: false,
    embeddings: true,
  },
  {
    name: 'openai-compatible',
    channel: (sim, model) => ({ provider: 'openai-compatible', name: 'compatible', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { [model]: 'qwen2.5-7b-instruct' } }),
    systemOf: openaiSystem,
    multiChoice: true,
    embeddings: true,
  },
];

export const modelFor = (p: ProviderCase) => `m-${p.name}`;

export function allChannels(sim: Simulator): ChannelInput[] {
  return PROVIDERS.map((p) => p.channel(sim, modelFor(p)));
}

/** These suites test translation, not billing: calls are admitted and only logged. */
export const NO_BILLING = { policy: (_s: unknown, w: RequestLogWriter) => new LogOnlyPolicy(w) };

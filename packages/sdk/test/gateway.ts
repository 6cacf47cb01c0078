/**
 * The gateway the SDK suites (TypeScript, Python, the README's and the console's samples) run
 * against: a real gateway on a real SQLite file, with one channel per kind of provider on the
 * simulator, and a second simulator behind `FLAKY_MODEL` whose faults a test switches on and off
 * (POST /_sim/controls) to see the SDKs retry a provider's 429.
 */
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { startTestGateway, type TestGateway } from '../../../apps/gateway/test/harness.js';
import type { ChannelInput } from '../../../apps/gateway/src/channels/channels.js';

export const SIM_KEY = 'sk-sim-sdk';
export const WEBUI_AUTH = 'webui:sdk-pass';
export const SDXL = 'sd_xl_base_1.0.safetensors [31e35c80fc]';
export const FLAKY_MODEL = 'gpt-4o-mini-flaky';

/** Models of each modality, by the provider that serves them. */
export const MODELS = {
  openai: 'gpt-4o-mini',
  zhipu: 'glm-4',
  anthropic: 'claude-sonnet-4-5',
  gemini: 'gemini-2.5-flash',
  embedding: 'text-embedding-3-small',
  image: 'dall-e-3',
  imageEdit: 'stable-diffusion-xl',
  speech: 'tts-1',
  transcription: 'whisper-1',
  rerank: 'rerank-v3.5',
  flaky: FLAKY_MODEL,
} as const;

/** Prices (P) the default table lacks: glm-4 is a name of our own here, the flaky model too. */
const EXTRA_PRICES: Record<string, { input: number; output: number }> = { 'glm-4': { input: 0.1, output: 0.1 }, [FLAKY_MODEL]: { input: 0.15, output: 0.6 } };

export interface SdkGateway {
  t: TestGateway;
  url: string;
  /** A user's App key with the trial credit. */
  key: string;
  keyId: string;
  userId: string;
  cookie: string;
  /** Another user's key whose credit limit is 0: every call is refused for credit. */
  brokeKey: string;
  flaky: Simulator;
  /** Fresh redemption codes worth `value` P each. */
  codes(count: number, value: number): Promise<string[]>;
  close(): Promise<void>;
}

export async function startSdkGateway(): Promise<SdkGateway> {
  const flaky = await startSimulator({ apiKey: SIM_KEY });
  const t = await startTestGateway({
    simulator: { apiKey: SIM_KEY, basicAuth: WEBUI_AUTH },
    // A provider's retry-after longer than this goes back to the caller instead of being waited out
    // by the gateway: the SDKs' own retries are what the suites test.
    config: { retryMaxWaitMs: 500 },
    channels: (sim): ChannelInput[] => [
      { provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, models: [MODELS.openai, MODELS.embedding, MODELS.image, MODELS.speech, MODELS.transcription] },
      { provider: 'zhipu', name: 'zhipu', baseUrl: `${sim.url}/api/paas/v4`, secret: SIM_KEY, models: [MODELS.zhipu], modelMap: { [MODELS.zhipu]: 'glm-4-plus' } },
      { provider: 'anthropic', name: 'anthropic', baseUrl: sim.url, secret: SIM_KEY, models: [MODELS.anthropic] },
      { provider: 'gemini', name: 'gemini', baseUrl: sim.url, secret: SIM_KEY, models: [MODELS.gemini] },
      { provider: 'cohere', name: 'cohere', baseUrl: sim.url, secret: SIM_KEY, models: [MODELS.rerank] },
      { provider: 'sd-webui', name: 'webui', baseUrl: sim.url, secret: WEBUI_AUTH, models: [MODELS.imageEdit], modelMap: { [MODELS.imageEdit]: SDXL } },
      { provider: 'openai', name: 'flaky', baseUrl: `${flaky.url}/v1`, secret: SIM_KEY, models: [FLAKY_MODEL], modelMap: { [FLAKY_MODEL]: 'gpt-4o-mini' } },
    ],
  });
  const root = { token: t.rootToken };
  for (const [model, p] of Object.entries(EXTRA_PRICES)) {
    const r = await t.api('PUT', `/api/admin/prices/${encodeURIComponent(model)}`, p, root);
    if (r.status !== 200) throw new Error(`price ${model}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const u = await t.newUserWithKey();
  const keys = await t.api<{ items: { id: string }[] }>('GET', '/api/keys', undefined, { cookie: u.cookie });
  // Another user's key, so its refused calls never show in the first user's usage.
  const other = await t.newUserWithKey();
  const otherKeys = await t.api<{ items: { id: string }[] }>('GET', '/api/keys', undefined, { cookie: other.cookie });
  const limited = await t.api('PATCH', `/api/keys/${otherKeys.body.items[0].id}`, { creditLimit: 0 }, { cookie: other.cookie });
  if (limited.status !== 200) throw new Error(`key limit: ${limited.status} ${JSON.stringify(limited.body)}`);
  return {
    t,
    url: t.url,
    key: u.key,
    keyId: keys.body.items[0].id,
    userId: u.userId,
    cookie: u.cookie,
    brokeKey: other.key,
    flaky,
    async codes(count, value) {
      const r = await t.api<{ items: { code: string }[] }>('POST', '/api/admin/codes', { count, value }, root);
      if (r.status !== 200) throw new Error(`codes: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.items.map((c) => c.code);
    },
    async close() {
      await t.close();
      await flaky.close();
    },
  };
}

/** Switches the flaky provider's fault on (`status:429:retry-after=1`, or a `{kind: "status", status, body}` object) or off (null). */
export async function setFlakyFault(flaky: Simulator, fault: string | Record<string, unknown> | null): Promise<void> {
  const r = await fetch(`${flaky.url}/_sim/controls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fault: fault ?? 'none' }) });
  if (!r.ok) throw new Error(`sim controls: ${r.status}`);
}

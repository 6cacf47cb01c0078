import type { Config } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import type { ChannelStore, ChannelView } from './channels.js';

export const DEMO_CHANNEL_NAME = 'Demo (simulated)';

/**
 * Models the demo channel answers for: the names people try first, and an image model so the image
 * playground works on a fresh start too (the simulator draws dall-e-3's sizes).
 */
export const DEMO_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-3.5-turbo', 'gpt-3.5-turbo-instruct', 'text-embedding-3-small', 'text-embedding-3-large', 'dall-e-3'];

const OPENAI_DEFAULT_MODELS = ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'o4-mini', 'gpt-3.5-turbo-instruct', 'text-embedding-3-small', 'text-embedding-3-large'];

/** True when the environment configures at least one real provider. */
export function hasProviderConfig(config: Config): boolean {
  return Boolean(
    config.openaiApiKey ||
      config.openaiCompatibleBaseUrl ||
      config.anthropicApiKey ||
      config.geminiApiKey ||
      config.zhipuApiKey ||
      (config.azureOpenaiApiKey && config.azureOpenaiEndpoint) ||
      config.chatglmBaseUrl ||
      config.sdWebuiUrl ||
      config.stabilityApiKey,
  );
}

/**
 * At first start (no channel yet) provider keys found in the configuration become channels. Later
 * starts leave channels alone: from then on they are managed in the console, API or CLI.
 */
export async function bootstrapProviderChannels(config: Config, channels: ChannelStore, log: Logger, discover?: (baseUrl: string, key?: string) => Promise<string[]>): Promise<ChannelView[]> {
  if ((await channels.count()) > 0) return [];
  const created: ChannelView[] = [];
  if (config.openaiApiKey) {
    created.push(
      await channels.create({ provider: 'openai', name: 'OpenAI', baseUrl: config.openaiBaseUrl, secret: config.openaiApiKey, models: config.openaiModels ?? OPENAI_DEFAULT_MODELS }),
    );
  }
  if (config.openaiCompatibleBaseUrl) {
    let models = config.openaiCompatibleModels ?? [];
    if (models.length === 0 && discover) {
      models = await discover(config.openaiCompatibleBaseUrl, config.openaiCompatibleApiKey).catch((err) => {
        log.warn(`Could not list models of ${config.openaiCompatibleBaseUrl}: ${(err as Error).message}; set OPENAI_COMPATIBLE_MODELS`);
        return [];
      });
    }
    created.push(
      await channels.create({ provider: 'openai-compatible', name: 'OpenAI-compatible', baseUrl: config.openaiCompatibleBaseUrl, secret: config.openaiCompatibleApiKey ?? null, models }),
    );
  }
  created.push(...(await bootstrapOtherProviders(config, channels, log)));
  for (const c of created) log.info(`Created channel "${c.name}" (${c.provider}) with models: ${c.models.join(', ') || '(none)'}`);
  return created;
}

export function wantsDemoChannel(config: Config): boolean {
  if (config.demoChannel === 'on') return true;
  if (config.demoChannel === 'off') return false;
  return !hasProviderConfig(config);
}

/**
 * The demo channel points at the built-in simulator, whose port can change between starts, so its
 * URL is refreshed at every start. It is created only when no channel exists, and an admin may
 * disable or delete it like any other.
 */
export async function ensureDemoChannel(channels: ChannelStore, simulatorUrl: string, log: Logger): Promise<ChannelView | undefined> {
  const existing = (await channels.list()).find((c) => c.simulated && c.settings.builtinSimulator === true);
  if (existing) {
    if (existing.baseUrl !== `${simulatorUrl}/v1`) return channels.update(existing.id, { baseUrl: `${simulatorUrl}/v1` });
    return existing;
  }
  if ((await channels.count()) > 0) return undefined;
  const demo = await channels.create({
    provider: 'openai-compatible',
    name: DEMO_CHANNEL_NAME,
    baseUrl: `${simulatorUrl}/v1`,
    secret: null,
    models: DEMO_MODELS,
    simulated: true,
    settings: { builtinSimulator: true },
  });
  log.info(`Created channel "${DEMO_CHANNEL_NAME}" on the built-in simulator (no provider key configured).`);
  return demo;
}

/** Whether a simulated channel exists that needs the in-process simulator running. */
export async function builtinSimulatorNeeded(channels: ChannelStore): Promise<boolean> {
  return (await channels.list()).some((c) => c.simulated && c.settings.builtinSimulator === true && c.enabled);
}

const ANTHROPIC_DEFAULT_MODELS = ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-3-5-haiku-latest'];
const GEMINI_DEFAULT_MODELS = ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-embedding-001'];
const STABILITY_DEFAULT_MODELS = ['stable-image-core', 'stable-image-ultra', 'sd3.5-large'];
const ZHIPU_DEFAULT_MODELS = ['glm-4-plus', 'glm-4-flash', 'glm-4v-plus', 'embedding-3'];

/** Anthropic, Gemini, Zhipu, Azure OpenAI and ChatGLM channels from their environment variables. */
async function bootstrapOtherProviders(config: Config, channels: ChannelStore, log: Logger): Promise<ChannelView[]> {
  const created: ChannelView[] = [];
  if (config.anthropicApiKey)
    created.push(await channels.create({ provider: 'anthropic', name: 'Anthropic', baseUrl: config.anthropicBaseUrl, secret: config.anthropicApiKey, models: config.anthropicModels ?? ANTHROPIC_DEFAULT_MODELS }));
  if (config.geminiApiKey)
    created.push(await channels.create({ provider: 'gemini', name: 'Google Gemini', baseUrl: config.geminiBaseUrl, secret: config.geminiApiKey, models: config.geminiModels ?? GEMINI_DEFAULT_MODELS }));
  if (config.zhipuApiKey)
    created.push(
      await channels.create({
        provider: 'zhipu',
        name: 'Zhipu GLM',
        baseUrl: config.zhipuBaseUrl,
        secret: config.zhipuApiKey,
        models: config.zhipuModels ?? ZHIPU_DEFAULT_MODELS,
        settings: { zhipuAuth: config.zhipuAuth === 'jwt' ? 'jwt' : 'key' },
      }),
    );
  if (config.azureOpenaiApiKey && config.azureOpenaiEndpoint) {
    // `model=deployment` pairs: the gateway model is what callers ask for, the deployment what Azure routes on.
    const modelMap: Record<string, string> = {};
    for (const pair of config.azureOpenaiDeployments ?? []) {
      const [model, deployment] = pair.split('=').map((s) => s.trim());
      if (model) modelMap[model] = deployment || model;
    }
    if (Object.keys(modelMap).length === 0) log.warn('AZURE_OPENAI_DEPLOYMENTS is empty: the Azure channel serves no model until deployments are added');
    const v1 = config.azureOpenaiApiVersion === 'v1';
    created.push(
      await channels.create({
        provider: 'azure',
        name: 'Azure OpenAI',
        baseUrl: config.azureOpenaiEndpoint,
        secret: config.azureOpenaiApiKey,
        modelMap,
        settings: v1 ? { azureApi: 'v1' } : { azureApi: 'deployments', apiVersion: config.azureOpenaiApiVersion },
      }),
    );
  }
  if (config.chatglmBaseUrl) created.push(await channels.create({ provider: 'chatglm', name: 'ChatGLM', baseUrl: config.chatglmBaseUrl, secret: null, models: config.chatglmModels }));
  if (config.sdWebuiUrl)
    created.push(await channels.create({ provider: 'sd-webui', name: 'Stable Diffusion WebUI', baseUrl: config.sdWebuiUrl, secret: config.sdWebuiAuth ?? null, models: config.sdWebuiModels }));
  if (config.stabilityApiKey)
    created.push(await channels.create({ provider: 'stability', name: 'Stability AI', baseUrl: config.stabilityBaseUrl, secret: config.stabilityApiKey, models: STABILITY_DEFAULT_MODELS }));
  return created;
}

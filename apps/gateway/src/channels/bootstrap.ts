import type { Config } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import type { ChannelStore, ChannelView } from './channels.js';

export const DEMO_CHANNEL_NAME = 'Demo (simulated)';

/** Models the demo channel answers for: the names people try first. */
export const DEMO_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-3.5-turbo', 'gpt-3.5-turbo-instruct', 'text-embedding-3-small', 'text-embedding-3-large'];

const OPENAI_DEFAULT_MODELS = ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'o4-mini', 'gpt-3.5-turbo-instruct', 'text-embedding-3-small', 'text-embedding-3-large'];

/** True when the environment configures at least one real provider. */
export function hasProviderConfig(config: Config): boolean {
  return Boolean(config.openaiApiKey || config.openaiCompatibleBaseUrl);
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

import type { Config } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import { MemoryState } from './memory.js';
import { RedisState } from './redis.js';
import type { SharedState } from './shared-state.js';

export type { SharedState } from './shared-state.js';

/** Redis when REDIS_URL is set (several processes act as one), else this process's memory. */
export function createSharedState(config: Pick<Config, 'redisUrl' | 'redisPrefix' | 'leaseMs'>, log?: Logger, opts: { serving?: boolean } = {}): SharedState {
  return config.redisUrl ? new RedisState(config.redisUrl, config.redisPrefix, { leaseMs: config.leaseMs, log, serving: opts.serving }) : new MemoryState();
}

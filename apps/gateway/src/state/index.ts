import type { Config } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import { MemoryState } from './memory.js';
import { RedisState } from './redis.js';
import type { SharedState } from './shared-state.js';

export type { SharedState } from './shared-state.js';

/** Redis when REDIS_URL is set (several processes act as one), else this process's memory. */
export function createSharedState(
  config: Pick<Config, 'redisUrl' | 'redisPrefix' | 'leaseMs'> & Partial<Pick<Config, 'redisSentinels' | 'redisSentinelName' | 'redisClusterNodes'>>,
  log?: Logger,
  opts: { serving?: boolean } = {},
): SharedState {
  if (!config.redisUrl) return new MemoryState();
  const target = { redisUrl: config.redisUrl, redisSentinels: config.redisSentinels, redisSentinelName: config.redisSentinelName, redisClusterNodes: config.redisClusterNodes };
  return new RedisState(target, config.redisPrefix, { leaseMs: config.leaseMs, log, serving: opts.serving });
}

import type { Config } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import { MemoryState } from './memory.js';
import type { SharedState } from './shared-state.js';

export type { SharedState } from './shared-state.js';

/**
 * Redis when REDIS_URL is set (several processes act as one), else this process's memory. The Redis
 * client is loaded only then (docs/architecture.md, "Start and idle memory").
 */
export async function createSharedState(
  config: Pick<Config, 'redisUrl' | 'redisPrefix' | 'leaseMs'> & Partial<Pick<Config, 'redisSentinels' | 'redisSentinelName' | 'redisClusterNodes' | 'redisTimeoutMs'>>,
  log?: Logger,
  opts: { serving?: boolean } = {},
): Promise<SharedState> {
  if (!config.redisUrl) return new MemoryState();
  const target = { redisUrl: config.redisUrl, redisSentinels: config.redisSentinels, redisSentinelName: config.redisSentinelName, redisClusterNodes: config.redisClusterNodes };
  const { RedisState } = await import('./redis.js');
  return new RedisState(target, config.redisPrefix, { leaseMs: config.leaseMs, commandTimeoutMs: config.redisTimeoutMs, log, serving: opts.serving });
}

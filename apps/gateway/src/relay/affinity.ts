import { createHash } from 'node:crypto';
import type { KvStore } from '../state/kv.js';
import type { Route } from './router.js';

/** How long a session keeps its channel after its last call (refreshed by every call), unless set (APIGPT_AFFINITY_TTL_SEC, the admin's settings). */
export const AFFINITY_TTL_MS = 3_600_000;

/**
 * Prompt-cache affinity: the calls of one session go to one channel, because a provider's prompt
 * cache lives with the account (the channel's key) that wrote it — a session spread over several
 * channels pays full price for its prompt on each, and cache writes on top. A session is named by
 * the format (`CallSpec.affinity`: a `prompt_cache_key`, Anthropic's `metadata.user_id`, an agent's
 * session header, or a hash of the prompt's stable prefix); its channel is kept in shared state
 * (memory for one process, Redis for several, so every process sends the session to the same one).
 *
 * The pin only orders channels inside their priority tier: a pinned channel goes first among its
 * equals, never ahead of a healthier higher tier. A session moves only when its channel fails
 * (or rests with an open circuit): the channel that then serves it becomes the new pin.
 */
export class ChannelAffinity {
  /** `ttlMs` is read at every call: an admin's change applies to the next one. */
  constructor(
    private readonly kv: KvStore,
    private readonly ttlMs: () => number = () => AFFINITY_TTL_MS,
  ) {}

  /**
   * The shared-state key of a session: per user (one account cannot steer another's calls) and per
   * model (an agent's small side model is served by other channels and must not move the main one).
   */
  key(userId: string, model: string, affinity: string): string {
    return `aff:${createHash('sha256').update(`${userId}\n${model}\n${affinity}`).digest('base64url').slice(0, 27)}`;
  }

  /** The session's channel, its lifetime renewed; null when none is pinned or shared state is away. */
  async pinned(key: string): Promise<string | null> {
    try {
      return await this.kv.getAndTouch(key, this.ttlMs());
    } catch {
      // Redis away: the call is routed as if the session were new; it is not worth failing over.
      return null;
    }
  }

  /** Pins the session to the channel that served it. Nobody waits for it; a failure is forgotten. */
  pin(key: string, channelId: string): void {
    this.kv.set(key, channelId, this.ttlMs()).catch(() => undefined);
  }
}

/**
 * Whether the pin can change anything: only a tier of two or more channels leaves a choice (the
 * routes come sorted by priority, so equals are neighbours).
 */
export function hasChoice(routes: readonly Route[]): boolean {
  for (let i = 1; i < routes.length; i++) if (routes[i].channel.priority === routes[i - 1].channel.priority) return true;
  return false;
}

/** The routes with the pinned channel moved to the front of its own priority tier (unchanged when it is not among them). */
export function preferPinned(routes: Route[], channelId: string | null): Route[] {
  if (channelId === null) return routes;
  const at = routes.findIndex((r) => r.channel.id === channelId);
  if (at <= 0) return routes;
  const priority = routes[at].channel.priority;
  let start = at;
  while (start > 0 && routes[start - 1].channel.priority === priority) start--;
  if (start === at) return routes;
  const out = routes.slice();
  const [pinned] = out.splice(at, 1);
  out.splice(start, 0, pinned);
  return out;
}

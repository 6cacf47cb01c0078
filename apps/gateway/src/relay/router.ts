import type { Channel, ChannelStore } from '../channels/channels.js';
import { GatewayError } from '../core/errors.js';
import { adapterFor } from '../providers/registry.js';
import type { Operation } from '../core/calls.js';
import type { Provider as ProviderAdapter } from '../providers/types.js';
import { isPending } from '../core/maybe-async.js';

export interface Route {
  channel: Channel;
  adapter: ProviderAdapter;
  /** The model name the provider is sent (after the channel's mapping). */
  upstreamModel: string;
}

/**
 * Picks the channels that may serve (group, model, operation), in the order to try them: higher
 * priority first, and inside one priority a weighted random order.
 *
 * Every call asks, and a gateway may have hundreds of channels of dozens of models each: scanning
 * them all per call would grow with the configuration. So each snapshot of the active channels gets
 * an index (model → its channels, in the snapshot's order), and each (model, group, operation) asked
 * its candidate routes, made once; a call then costs a few map lookups and the weighted order. Both
 * go with the snapshot, which is a new array whenever a channel changes (channels/channels.ts). Only
 * models some channel serves are remembered (a caller naming other models makes no entries), and
 * refusals are worked out again each time (they are rare and cheap on the index).
 */
export class Router {
  /** The index of the last snapshot seen, and that snapshot. */
  private index: { of: Channel[]; models: RouteIndex } | null = null;

  constructor(
    private readonly channels: ChannelStore,
    private readonly random: () => number = Math.random,
  ) {}

  async routes(model: string, group: string, operation: Operation): Promise<Route[]> {
    const active = this.channels.active();
    const all = isPending(active) ? await active : active;
    if (this.index?.of !== all) this.index = { of: all, models: indexChannels(all) };
    const entry = this.index.models.get(model);
    if (entry === undefined)
      throw new GatewayError('not_found', `The model \`${model}\` does not exist or you do not have access to it.`, { param: 'model', code: 'model_not_found' });
    let byOperation = entry.candidates.get(group);
    if (byOperation === undefined) entry.candidates.set(group, (byOperation = new Map()));
    let candidates = byOperation.get(operation);
    if (candidates === undefined) byOperation.set(operation, (candidates = candidatesFor(entry.channels, model, group, operation)));
    return this.order(candidates);
  }

  /** Models a caller in `group` may use, for `/v1/models`. */
  async models(group: string): Promise<{ id: string; ownedBy: string }[]> {
    const seen = new Map<string, string>();
    for (const c of await this.channels.active()) {
      if (c.groups.length && !c.groups.includes(group)) continue;
      for (const m of [...c.models, ...Object.keys(c.modelMap)]) if (!seen.has(m)) seen.set(m, c.provider);
    }
    return [...seen].sort(([a], [b]) => a.localeCompare(b)).map(([id, ownedBy]) => ({ id, ownedBy }));
  }

  /**
   * Higher priority first; inside one priority a weighted random order (Efraimidis–Spirakis: sort by
   * u^(1/w)); weight-0 channels go last in their tier, as a fallback only.
   */
  private order(routes: readonly Route[]): Route[] {
    // The one candidate, shared by every call (frozen: callers make new arrays, never edit one).
    if (routes.length === 1) return routes as Route[];
    return routes
      .map((r) => ({ r, k: r.channel.weight > 0 ? Math.pow(this.random(), 1 / r.channel.weight) : -1 }))
      .sort((a, b) => b.r.channel.priority - a.r.channel.priority || b.k - a.k)
      .map((x) => x.r);
  }
}

/** One snapshot's index: per model, its channels and the candidates worked out so far (by group, then operation). */
type RouteIndex = Map<string, { channels: Channel[]; candidates: Map<string, Map<Operation, readonly Route[]>> }>;

function indexChannels(channels: Channel[]): RouteIndex {
  const index: RouteIndex = new Map();
  for (const c of channels) {
    for (const m of new Set([...c.models, ...Object.keys(c.modelMap)])) {
      const entry = index.get(m);
      if (entry) entry.channels.push(c);
      else index.set(m, { channels: [c], candidates: new Map() });
    }
  }
  return index;
}

/** The routes of `model` for a caller of `group` and this operation, in the snapshot's order; refused as before. */
function candidatesFor(serving: Channel[], model: string, group: string, operation: Operation): readonly Route[] {
  const allowed = serving.filter((c) => c.groups.length === 0 || c.groups.includes(group));
  if (allowed.length === 0)
    throw new GatewayError('permission', `Your account's group "${group}" may not use the model \`${model}\`.`, { param: 'model', code: 'model_not_allowed' });
  const routes: Route[] = [];
  for (const channel of allowed) {
    const adapter = adapterFor(channel.provider);
    if (adapter && adapter.operations.includes(operation)) routes.push({ channel, adapter, upstreamModel: channel.modelMap[model] ?? model });
  }
  if (routes.length === 0)
    throw new GatewayError('invalid_request', `The model \`${model}\` does not support this endpoint.`, { param: 'model', code: 'unsupported_operation' });
  return Object.freeze(routes);
}

import type { Channel, ChannelStore } from '../channels/channels.js';
import { GatewayError } from '../core/errors.js';
import { adapterFor } from '../providers/registry.js';
import type { Operation } from '../core/calls.js';
import type { Provider as ProviderAdapter } from '../providers/types.js';

export interface Route {
  channel: Channel;
  adapter: ProviderAdapter;
  /** The model name the provider is sent (after the channel's mapping). */
  upstreamModel: string;
}

/**
 * Picks the channels that may serve (group, model, operation), in the order to try them: higher
 * priority first, and inside one priority a weighted random order.
 */
export class Router {
  constructor(
    private readonly channels: ChannelStore,
    private readonly random: () => number = Math.random,
  ) {}

  async routes(model: string, group: string, operation: Operation): Promise<Route[]> {
    const all = await this.channels.active();
    const serving = all.filter((c) => serves(c, model));
    if (serving.length === 0)
      throw new GatewayError('not_found', `The model \`${model}\` does not exist or you do not have access to it.`, { param: 'model', code: 'model_not_found' });
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
    return this.order(routes);
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
  private order(routes: Route[]): Route[] {
    if (routes.length === 1) return routes;
    return routes
      .map((r) => ({ r, k: r.channel.weight > 0 ? Math.pow(this.random(), 1 / r.channel.weight) : -1 }))
      .sort((a, b) => b.r.channel.priority - a.r.channel.priority || b.k - a.k)
      .map((x) => x.r);
  }
}

function serves(c: Channel, model: string): boolean {
  return c.models.includes(model) || Object.prototype.hasOwnProperty.call(c.modelMap, model);
}

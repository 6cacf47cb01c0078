import type { ProviderFetch } from '../providers/types.js';
import type { Router } from './router.js';
import type { UpstreamClient } from './upstream.js';

/**
 * The moderation model's client: a channel serving the `moderation` operation, asked in OpenAI's
 * `/v1/moderations` shape (https://platform.openai.com/docs/api-reference/moderations/create).
 * Channels are tried in the router's order until one answers, all within the policy's timeout;
 * throws when none did (the policy then fails open or closed). The check is the gateway's, not the
 * caller's call: it is not charged and not held against the channel's circuit.
 */
export class Moderator {
  constructor(
    private readonly router: Router,
    private readonly upstream: UpstreamClient,
  ) {}

  /** A provider's own calls (a token exchange before the moderation call), through the same client. */
  private readonly fetch: ProviderFetch = async (req, signal) => {
    const res = await this.upstream.send(req, signal);
    return { status: res.status, headers: res.headers, text: await res.body.text() };
  };

  /** The model's results, one per text. */
  async classify(model: string, group: string, texts: readonly string[], timeoutMs: number): Promise<unknown[]> {
    const routes = await this.router.routes(model, group, 'moderation');
    if (routes.length === 0) throw new Error(`No channel serves the moderation model ${model}.`);
    const signal = AbortSignal.timeout(timeoutMs);
    let last: unknown = null;
    for (const route of routes) {
      if (signal.aborted) break;
      try {
        const provider = route.adapter;
        const creds = provider.credentials ? await provider.credentials(route.channel, { fetch: this.fetch, signal, refresh: false }) : undefined;
        const req = await provider.buildRequest({ operation: 'moderation', model: route.upstreamModel, stream: false, body: { model: route.upstreamModel, input: [...texts] } }, route.channel, creds);
        const res = await this.upstream.send(req, signal, { headersMs: timeoutMs, idleMs: timeoutMs });
        const text = await res.body.text();
        if (res.status >= 300) throw new Error(`The moderation channel ${route.channel.name} answered HTTP ${res.status}.`);
        const results = (JSON.parse(text) as { results?: unknown }).results;
        if (!Array.isArray(results)) throw new Error(`The moderation channel ${route.channel.name} sent no results.`);
        return results;
      } catch (err) {
        last = err;
      }
    }
    throw last ?? new Error('The moderation model did not answer in time.');
  }
}

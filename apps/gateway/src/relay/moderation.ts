import type { ProviderFetch } from '../providers/types.js';
import type { Admitted } from './health/circuit.js';
import type { ChannelGate } from './health/gate.js';
import type { Router } from './router.js';
import type { UpstreamClient } from './upstream.js';

/**
 * The moderation model's client: a channel serving the `moderation` operation, asked in OpenAI's
 * `/v1/moderations` shape (https://platform.openai.com/docs/api-reference/moderations/create).
 * Channels are tried in the router's order until one answers, all within the policy's timeout;
 * throws when none did (the policy then fails open or closed). The check is the gateway's, not the
 * caller's call: it is not charged. It does count for the moderation channel's health like any
 * call (the gate, relay/health/gate.ts): a channel that fails or does not answer in time is
 * recorded as failing, one whose circuit is open is left out (with every one resting the check
 * fails at once, without waiting for the timeout), and the admins see it on the channels page.
 */
export class Moderator {
  constructor(
    private readonly router: Router,
    private readonly upstream: UpstreamClient,
    private readonly gate?: ChannelGate,
  ) {}

  /** A provider's own calls (a token exchange before the moderation call), through the same client. */
  private readonly fetch: ProviderFetch = async (req, signal) => {
    const res = await this.upstream.send(req, signal);
    return { status: res.status, headers: res.headers, text: await res.body.text() };
  };

  /** The model's results, one per text. */
  async classify(model: string, group: string, texts: readonly string[], timeoutMs: number): Promise<unknown[]> {
    let routes = await this.router.routes(model, group, 'moderation');
    if (routes.length === 0) throw new Error(`No channel serves the moderation model ${model}.`);
    let admitted: Admitted | null = null;
    if (this.gate) ({ items: routes, admitted } = await this.gate.admit(routes, (r) => r.channel.id, model));
    const signal = AbortSignal.timeout(timeoutMs);
    let last: unknown = null;
    for (const route of routes) {
      if (signal.aborted) break;
      const id = route.channel.id;
      let answered = false;
      try {
        const provider = route.adapter;
        const creds = provider.credentials ? await provider.credentials(route.channel, { fetch: this.fetch, signal, refresh: false }) : undefined;
        const req = await provider.buildRequest({ operation: 'moderation', model: route.upstreamModel, stream: false, body: { model: route.upstreamModel, input: [...texts] } }, route.channel, creds);
        const res = await this.upstream.send(req, signal, { headersMs: timeoutMs, idleMs: timeoutMs });
        const text = await res.body.text();
        if (res.status >= 300) {
          answered = true;
          // A 5xx, 429 or timeout status counts against the channel; a 4xx is the request's (the channel is up).
          this.gate?.report(id, admitted, res.status);
          throw new Error(`The moderation channel ${route.channel.name} answered HTTP ${res.status}.`);
        }
        const results = (JSON.parse(text) as { results?: unknown }).results;
        if (!Array.isArray(results)) throw new Error(`The moderation channel ${route.channel.name} sent no results.`);
        this.gate?.succeeded(id, admitted);
        return results;
      } catch (err) {
        last = err;
        // No answer in time, a dropped connection or an unreadable answer: the channel's trouble.
        if (!answered) this.gate?.failed(id, admitted, `moderation check: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    throw last ?? new Error('The moderation model did not answer in time.');
  }
}

import type { Channel } from '../../channels/channels.js';
import { adapterFor } from '../../providers/registry.js';
import type { UpstreamClient } from '../upstream.js';
import { asGatewayError, gatewaysOwn } from '../../core/errors.js';

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  status: number | null;
  model: string | null;
  message: string;
  /**
   * The probe failed for a reason of the gateway's own (`gatewaysOwn`: out of file descriptors, a
   * dependency away, a bug building the request): nothing may be counted against the channel.
   */
  gatewayFault?: true;
}

/**
 * The admin "test" button: one smallest possible real call through the channel's adapter (a
 * one-token chat for chat models, one embedding otherwise), timed end to end.
 */
export async function probeChannel(channel: Channel, upstream: UpstreamClient, model?: string, timeoutMs = 15_000): Promise<ProbeResult> {
  const adapter = adapterFor(channel.provider);
  const name = model ?? channel.models.find((m) => !/embed/i.test(m)) ?? channel.models[0] ?? null;
  if (!adapter) return { ok: false, latencyMs: 0, status: null, model: name, message: `Unknown provider ${channel.provider}` };
  if (!name) return { ok: false, latencyMs: 0, status: null, model: null, message: 'The channel lists no models.' };
  const upstreamModel = channel.modelMap[name] ?? name;
  const embedding = /embed/i.test(name);
  const call = embedding
    ? { operation: 'embedding' as const, model: upstreamModel, stream: false, body: { model: upstreamModel, input: 'ping' } }
    : { operation: 'chat' as const, model: upstreamModel, stream: false, body: { model: upstreamModel, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 } };
  const started = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    // Image-only providers (SD WebUI, Stability) are probed by listing models: a test image costs money and minutes.
    // Providers with a token exchange (Baidu) get their token first, as a relayed call would.
    const fetch = async (req: Parameters<UpstreamClient['send']>[0], s: Parameters<UpstreamClient['send']>[1]) => {
      const r = await upstream.send(req, s);
      return { status: r.status, headers: r.headers, text: await r.body.text() };
    };
    const creds = adapter.credentials ? await adapter.credentials(channel, { fetch, signal, refresh: false }) : undefined;
    const request = !adapter.operations.includes('chat') && adapter.modelsRequest ? adapter.modelsRequest(channel) : await adapter.buildRequest(call, channel, creds);
    const res = await upstream.send(request, signal, { headersMs: timeoutMs, idleMs: timeoutMs });
    const text = await res.body.text();
    const latencyMs = Math.round(performance.now() - started);
    if (res.status >= 400) return { ok: false, latencyMs, status: res.status, model: name, message: adapter.classifyError(res.status, text, res.headers).error.message };
    // Providers that report failures inside a 200 (Baidu's error_code) fail the test as a relayed call would.
    const inAnswer = adapter.failureInAnswer?.(text) ?? null;
    if (inAnswer) return { ok: false, latencyMs, status: inAnswer.status, model: name, message: inAnswer.error.message };
    return { ok: true, latencyMs, status: res.status, model: name, message: 'OK' };
  } catch (err) {
    const e = asGatewayError(err);
    return { ok: false, latencyMs: Math.round(performance.now() - started), status: null, model: name, message: e.message, ...(gatewaysOwn(e) ? { gatewayFault: true as const } : {}) };
  }
}

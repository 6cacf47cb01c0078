import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { GatewayError } from '../core/errors.js';
import type { UpstreamRequest } from './types.js';

export interface UpstreamTimeouts {
  connectMs: number;
  /** Until the response headers arrive (time to first byte). */
  headersMs: number;
  /** Longest silence between two body chunks. */
  idleMs: number;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

/**
 * One keep-alive connection pool per upstream origin (undici's Agent keeps a Pool per origin), so a
 * busy channel reuses warm sockets instead of paying a TCP (and TLS) handshake per call.
 */
/** First-byte limits below this get a precise timer of the gateway's own. */
const PRECISE_BELOW_MS = 2_000;

export class UpstreamClient {
  private readonly agent: Agent;

  constructor(private readonly timeouts: UpstreamTimeouts) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connections: 256,
      pipelining: 1,
      connect: { timeout: timeouts.connectMs },
    });
  }

  async send(req: UpstreamRequest, signal: AbortSignal, timeouts: Partial<UpstreamTimeouts> = {}): Promise<UpstreamResponse> {
    const headersMs = timeouts.headersMs ?? this.timeouts.headersMs;
    const bodyTimeout = timeouts.idleMs ?? this.timeouts.idleMs;
    // undici checks its own timeouts about once a second: fine for limits of seconds, too coarse for a
    // first-byte limit of a few hundred milliseconds, which gets a timer of its own.
    if (headersMs >= PRECISE_BELOW_MS) {
      try {
        const res = await request(req.url, { method: req.method, headers: req.headers, body: req.body, signal, dispatcher: this.agent, headersTimeout: headersMs, bodyTimeout });
        return { status: res.statusCode, headers: res.headers, body: res.body };
      } catch (err) {
        throw upstreamTransportError(err);
      }
    }
    // One controller per attempt, aborted by the caller's signal or by the timer; it stays tied to
    // the caller for the body too.
    const attempt = new AbortController();
    let timedOut = false;
    const onAbort = () => attempt.abort();
    if (signal.aborted) attempt.abort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort();
    }, headersMs);
    try {
      const res = await request(req.url, { method: req.method, headers: req.headers, body: req.body, signal: attempt.signal, dispatcher: this.agent, headersTimeout: headersMs + 1000, bodyTimeout });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      signal.removeEventListener('abort', onAbort);
      if (timedOut && !signal.aborted)
        throw new GatewayError('upstream_timeout', 'The provider did not answer in time.', { code: 'upstream_timeout', cause: err });
      throw upstreamTransportError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Transport failures (no HTTP answer at all) as typed errors; all are worth retrying elsewhere. */
export function upstreamTransportError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const e = err as { code?: string; name?: string; message?: string };
  if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR' || err instanceof undiciErrors.RequestAbortedError)
    return new GatewayError('upstream', 'The request was cancelled.', { code: 'request_aborted', status: 499, cause: err });
  if (e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_CONNECT_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT')
    return new GatewayError('upstream_timeout', 'The provider did not answer in time.', { code: 'upstream_timeout', cause: err });
  return new GatewayError('upstream', `Could not reach the provider (${e?.code ?? 'connection error'}).`, { code: 'upstream_unreachable', cause: err });
}

import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { KeyContext } from '../apps/keys.js';
import { asGatewayError, GatewayError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { Cancellation, type CancelSignal } from '../core/cancel.js';
import type { DialectCodec, StreamTap } from '../formats/types.js';
import type { Admission, CallInfo, CallPolicy } from './policy.js';
import type { RequestLogRow, RequestLogWriter } from './request-log.js';
import type { Route, Router } from './router.js';
import { SSE_HEADERS } from '../formats/sse.js';
import type { Dialect, Operation, ProviderAdapter, UpstreamCall, Usage } from './types.js';
import { ZERO_USAGE } from './types.js';
import { upstreamTransportError, type UpstreamClient, type UpstreamResponse } from './upstream.js';
import { CACHE_HEADER, cacheDirective, cacheKey, sseEvents, type CachedResponse, type ResponseCache } from './cache.js';
import type { Admitted } from './health/circuit.js';
import type { ChannelGate } from './health/gate.js';
import { attemptOrder, backoffMs, retryAfterSeconds, type RetryPolicy } from './retry.js';

export interface RelayDeps {
  router: Router;
  upstream: UpstreamClient;
  policy: CallPolicy;
  codecs: Record<Dialect, DialectCodec | undefined>;
  logWriter: RequestLogWriter;
  /** How many attempts, which failures retry, and the backoff between rounds. */
  retry: RetryPolicy;
  /** Channel health: resting channels are skipped, every attempt is reported to its circuit. */
  gate: ChannelGate;
  /** Response cache (opt-in per key or request); absent = no caching. */
  cache?: ResponseCache;
  /** Share of the original cost a cache hit is billed at (0 = free). */
  cacheHitFraction: number;
  /** Translates a body between dialects when a channel's provider speaks another one. */
  translate?: Translator;
}

/** Cross-dialect calls (client dialect ≠ provider dialect); implemented by relay/canonical. */
export interface Translator {
  /** False when the body may pass through untouched but for model name and credentials. */
  needed(dialect: Dialect, adapter: ProviderAdapter, operation: Operation): boolean;
  /** Translates the request; throws a GatewayError when the provider cannot express it. */
  begin(req: RelayRequest, route: Route, promptEstimate: number): Translation;
}

/** One translated call: the provider's body, and how its answer is turned back into the caller's dialect. */
export interface Translation {
  call: UpstreamCall;
  reply(json: unknown): { body: Buffer; usage: Usage };
  tapStream(): StreamTap;
}

export interface RelayRequest {
  key: KeyContext;
  dialect: Dialect;
  operation: Operation;
  endpoint: string;
  model: string;
  stream: boolean;
  body: Record<string, unknown>;
  clientIp: string | null;
  /** The browser's Origin header, for keys limited to some web pages. */
  origin?: string | null;
  /** Whether the caller asked for usage in its stream (OpenAI's `stream_options.include_usage`). */
  clientWantsUsage: boolean;
}

/** What the HTTP layer needs to answer a non-streamed call. */
export interface BufferedReply {
  status: number;
  contentType: string;
  body: Buffer;
  headers: Record<string, string>;
}

/**
 * The data path for one call: route → admit → upstream (with failover before the first byte) →
 * answer → meter. Pass-through when the provider speaks the caller's dialect: the body goes out as
 * the caller sent it but for the model name, and the answer comes back byte for byte.
 */
export class Relay {
  constructor(private readonly deps: RelayDeps) {}

  get codecs(): RelayDeps['codecs'] {
    return this.deps.codecs;
  }

  /**
   * Runs the call. For a non-streamed call it resolves to the reply to send; for a streamed call
   * it writes to `res` itself and resolves to null. Errors before any byte was sent are thrown
   * (as GatewayError) for the caller's dialect renderer.
   */
  async run(req: RelayRequest, res: ServerResponse): Promise<BufferedReply | null> {
    const codec = this.deps.codecs[req.dialect]!;
    const started = performance.now();
    const log = Relay.baseLog(req);
    const ac = new Cancellation();
    const onClose = () => {
      if (!res.writableFinished) ac.abort();
    };
    res.on('close', onClose);

    const directive = this.deps.cache ? cacheDirective(res.req?.headers[CACHE_HEADER], req.key.cacheTtlSec) : null;
    const ckey = directive ? cacheKey(req.dialect, req.operation, req.model, req.body) : null;
    let routes: Route[];
    let promptEstimate = 0;
    let admission: Admission;
    let gate: Admitted | null = null;
    try {
      routes = await this.deps.router.routes(req.model, req.key.group, req.operation);
      promptEstimate = codec.estimatePrompt(req.operation, req.body);
      const info: CallInfo = { ...req, promptEstimate };
      const cached = ckey ? await this.deps.cache!.get(ckey) : null;
      if (cached) {
        res.off('close', onClose);
        return await this.replay(cached, req, res, log, started, await this.deps.policy.admit(info));
      }
      admission = await this.deps.policy.admit(info);
    } catch (err) {
      res.off('close', onClose);
      const e = asGatewayError(err);
      this.deps.logWriter.push(finish(log, started, e.status, e));
      throw e;
    }
    // After admission, so a refused call never takes a resting channel's single probe.
    try {
      ({ items: routes, admitted: gate } = await this.deps.gate.admit(routes, (r) => r.channel.id, req.model));
    } catch (err) {
      res.off('close', onClose);
      const e = asGatewayError(err);
      admission.settle({ usage: ZERO_USAGE, failed: true, log: finish(log, started, e.status, e) });
      throw e;
    }

    const { retry, gate: health } = this.deps;
    const attempts: AttemptRecord[] = [];
    const retryAfter = new Map<string, number | undefined>();
    // Channels this call will not try again: the provider refused the channel's own key, or the
    // channel was the one probe of a resting circuit and failed (its circuit is open again).
    const skip = new Set<string>();
    const failed = (id: string, reason: string) => {
      health.failed(id, gate, reason);
      if (gate?.probes.has(id)) skip.add(id);
    };
    let lastError: GatewayError | null = null;
    const plan = attemptOrder(routes, retry.maxAttempts);
    for (let i = 0; i < plan.length && !ac.aborted; i++) {
      const { route, repeat } = plan[i];
      const id = route.channel.id;
      if (skip.has(id)) continue;
      if (repeat) {
        const wait = backoffMs(retry, Math.floor(i / routes.length) - 1, retryAfter.get(id));
        if (wait === null || !(await sleep(wait, ac))) break;
      }
      log.channel_id = id;
      log.model_sent = route.upstreamModel;
      log.attempts = i + 1;
      const t0 = performance.now();
      const attempt = (status: number | null, code: string | null) => attempts.push({ channel: id, status, code, ms: Math.round(performance.now() - t0) });
      let upstream: UpstreamResponse;
      let translation: Translation | undefined;
      try {
        const prepared = this.upstreamCall(req, route, promptEstimate);
        translation = prepared.translation;
        upstream = await this.deps.upstream.send(route.adapter.buildRequest(prepared.call, route.channel), ac, channelTimeouts(route));
      } catch (err) {
        lastError = asGatewayError(err);
        attempt(null, lastError.code);
        if (ac.aborted) break;
        if (lastError.kind === 'invalid_request') break; // the call cannot be expressed for this provider; not the channel's fault
        failed(id, lastError.message);
        continue; // a transport failure is always worth another attempt
      }
      if (upstream.status >= 400) {
        const text = await upstream.body.text().catch(() => '');
        const failure = route.adapter.classifyError(upstream.status, text, upstream.headers);
        lastError = failure.error;
        attempt(upstream.status, failure.error.code);
        retryAfter.set(id, retryAfterSeconds(upstream.headers));
        health.report(id, gate, upstream.status);
        if (gate?.probes.has(id) && (upstream.status >= 500 || upstream.status === 429 || upstream.status === 408)) skip.add(id);
        if (upstream.status === 401 || upstream.status === 403) {
          // The provider refused the channel's own key: nothing will work until an admin fixes it,
          // but another channel may well serve the call.
          skip.add(id);
          continue;
        }
        if (retry.statuses.has(upstream.status) || (failure.retryable && upstream.status >= 500)) continue;
        break;
      }
      try {
        if (req.stream) {
          const ok = await this.pipeStream(req, codec, upstream, res, log, started, promptEstimate, admission, ac, translation, { attempts, attempt, directive: ckey ? { key: ckey, ttlMs: directive!.ttlMs } : null });
          if (ok) health.succeeded(id, gate);
          else failed(id, 'stream broke');
          return null;
        }
        const reply = await this.readBody(req, codec, upstream, log, promptEstimate, translation);
        attempt(200, null);
        health.succeeded(id, gate);
        res.off('close', onClose);
        log.attempt_log = attemptLog(attempts);
        admission.settle({ usage: reply.usage, failed: false, log: finish(log, started, 200) });
        const headers: Record<string, string> = { 'x-request-id': log.id };
        if (ckey) {
          headers[CACHE_HEADER] = 'miss';
          void this.deps.cache!.put(ckey, { kind: 'json', contentType: reply.contentType, body: reply.body.toString('utf8'), usage: reply.usage, model: route.upstreamModel, channelId: id }, directive!.ttlMs);
        }
        return { status: 200, contentType: reply.contentType, body: reply.body, headers };
      } catch (err) {
        const e = asGatewayError(err);
        if (res.headersSent) throw e; // a stream already answered; pipeStream settled it
        lastError = e;
        attempt(502, e.code);
        failed(id, e.message);
        continue;
      }
    }
    res.off('close', onClose);
    const error = ac.aborted
      ? new GatewayError('upstream', 'The client closed the connection.', { status: 499, code: 'client_closed' })
      : (lastError ?? new GatewayError('upstream', 'No channel could serve the request.', { code: 'no_channel' }));
    log.attempt_log = attemptLog(attempts);
    admission.settle({ usage: ZERO_USAGE, failed: true, log: finish(log, started, error.status, error) });
    throw error;
  }

  /** Answers from the response cache: same bytes as the first time, a stream replayed as a stream. */
  private async replay(cached: CachedResponse, req: RelayRequest, res: ServerResponse, log: RequestLogRow, started: number, admission: Admission): Promise<BufferedReply | null> {
    log.cache_hit = 1;
    log.channel_id = cached.channelId;
    log.model_sent = cached.model;
    log.attempts = 0;
    applyUsage(log, cached.usage);
    const f = this.deps.cacheHitFraction;
    const billed: Usage = { ...cached.usage, promptTokens: Math.round(cached.usage.promptTokens * f), completionTokens: Math.round(cached.usage.completionTokens * f), cachedTokens: Math.round(cached.usage.cachedTokens * f) };
    if (cached.kind === 'sse' && req.stream) {
      res.writeHead(200, { ...SSE_HEADERS, 'x-request-id': log.id, [CACHE_HEADER]: 'hit' });
      log.ttft_ms = Math.round(performance.now() - started);
      for (const event of sseEvents(cached.body)) if (!res.write(event)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      res.end();
      admission.settle({ usage: billed, failed: false, log: finish(log, started, 200) });
      return null;
    }
    admission.settle({ usage: billed, failed: false, log: finish(log, started, 200) });
    return { status: 200, contentType: cached.contentType, body: Buffer.from(cached.body, 'utf8'), headers: { 'x-request-id': log.id, [CACHE_HEADER]: 'hit' } };
  }

  private upstreamCall(req: RelayRequest, route: Route, promptEstimate: number): { call: UpstreamCall; translation?: Translation } {
    const translate = this.deps.translate;
    if (translate?.needed(req.dialect, route.adapter, req.operation)) {
      const translation = translate.begin(req, route, promptEstimate);
      return { call: translation.call, translation };
    }
    if (route.adapter.dialect !== req.dialect)
      throw new GatewayError('invalid_request', `Channel ${route.channel.name} (${route.adapter.label}) cannot serve ${req.dialect}-dialect requests.`, {
        code: 'unsupported_dialect',
      });
    const body: Record<string, unknown> = { ...req.body, model: route.upstreamModel };
    if (req.stream && req.dialect === 'openai' && (req.operation === 'chat' || req.operation === 'completion')) {
      // Ask for the usage report so metering never has to guess; the tap hides it again when the
      // caller did not ask for it.
      body.stream_options = { ...((req.body.stream_options as object | null) ?? {}), include_usage: true };
    }
    return { call: { operation: req.operation, model: route.upstreamModel, stream: req.stream, body } };
  }

  private async readBody(req: RelayRequest, codec: DialectCodec, upstream: UpstreamResponse, log: RequestLogRow, promptEstimate: number, translation?: Translation) {
    const body = await upstream.body.bytes();
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new GatewayError('upstream', 'The provider sent a response that is not valid JSON.', { code: 'bad_upstream_response' });
    }
    if (translation) {
      const out = translation.reply(json);
      applyUsage(log, out.usage);
      return { body: out.body, usage: out.usage, contentType: 'application/json' };
    }
    const usage = codec.usageFromBody(req.operation, json, promptEstimate);
    applyUsage(log, usage);
    const ct = upstream.headers['content-type'];
    return { body, usage, contentType: typeof ct === 'string' ? ct : 'application/json' };
  }

  private async pipeStream(
    req: RelayRequest,
    codec: DialectCodec,
    upstream: UpstreamResponse,
    res: ServerResponse,
    log: RequestLogRow,
    started: number,
    promptEstimate: number,
    admission: Admission,
    ac: Cancellation,
    translation: Translation | undefined,
    record: StreamRecord,
  ): Promise<boolean> {
    const tap: StreamTap = translation ? translation.tapStream() : codec.tapStream(req.operation, req.clientWantsUsage);
    const decoder = new TextDecoder();
    let failure: GatewayError | null = null;
    // What the caller received, kept only when the answer is to be cached.
    const sent: string[] | null = record.directive ? [] : null;
    res.writeHead(200, { ...SSE_HEADERS, 'x-request-id': log.id, ...(record.directive ? { [CACHE_HEADER]: 'miss' } : {}) });
    try {
      for await (const chunk of upstream.body) {
        const out = tap.push(decoder.decode(chunk as Buffer, { stream: true }));
        if (!out) continue;
        if (log.ttft_ms === null) log.ttft_ms = Math.round(performance.now() - started);
        sent?.push(out);
        if (!res.write(out)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
        if (res.destroyed) break;
      }
      const rest = tap.end() + decoder.decode();
      if (rest && !res.destroyed) res.write(rest);
      if (rest) sent?.push(rest);
      if (!tap.complete && !tap.inBandError && !res.destroyed)
        failure = new GatewayError('upstream', 'The provider ended the stream before it was complete.', { code: 'stream_interrupted' });
    } catch (err) {
      failure = ac.aborted ? null : streamBreak(err);
    }
    if (failure && !res.destroyed) res.write(codec.streamError(failure));
    if (!res.destroyed) res.end();
    const clientGone = ac.aborted || (res.destroyed && !res.writableFinished);
    // Whatever the provider produced up to this point is metered, even when the stream broke.
    const usage = tap.usage(promptEstimate);
    applyUsage(log, usage);
    const status = clientGone ? 499 : failure ? failure.status : tap.inBandError ? 502 : 200;
    const error = clientGone ? new GatewayError('upstream', 'The client closed the connection.', { code: 'client_closed' }) : failure ?? (tap.inBandError ? new GatewayError('upstream', tap.inBandError.slice(0, 500), { code: 'upstream_stream_error' }) : undefined);
    if (clientGone) upstream.body.destroy();
    record.attempt(status, error?.code ?? null);
    log.attempt_log = attemptLog(record.attempts);
    admission.settle({ usage, failed: false, log: finish(log, started, status, error) });
    const ok = status === 200;
    if (ok && sent && record.directive)
      void this.deps.cache!.put(record.directive.key, { kind: 'sse', contentType: SSE_HEADERS['content-type'], body: sent.join(''), usage, model: log.model_sent ?? req.model, channelId: log.channel_id }, record.directive.ttlMs);
    return ok || clientGone;
  }

  /** A call's request-log row before anything happened (the image pipeline starts its rows here too). */
  static baseLog(req: RelayRequest): RequestLogRow {
    return {
      id: newId('req'),
      created_at: Date.now(),
      user_id: req.key.userId,
      app_id: req.key.appId,
      key_id: req.key.keyId,
      key_prefix: req.key.prefix,
      endpoint: req.endpoint,
      dialect: req.dialect,
      model_requested: req.model,
      model_sent: null,
      channel_id: null,
      stream: req.stream ? 1 : 0,
      status: 0,
      error_code: null,
      error_message: null,
      latency_ms: 0,
      ttft_ms: null,
      prompt_tokens: 0,
      completion_tokens: 0,
      cached_tokens: 0,
      attempts: 0,
      client_ip: req.clientIp,
      cost: 0,
      // Set, not left to column defaults: a batch insert writes one column list for all its rows.
      attempt_log: null,
      cache_hit: 0,
    };
  }
}

interface AttemptRecord {
  channel: string;
  status: number | null;
  code: string | null;
  ms: number;
}

/**
 * The per-attempt record, kept when it says more than the row itself: several attempts, or a
 * failure. A single successful attempt is the row's channel, status and latency already.
 */
function attemptLog(attempts: AttemptRecord[]): string | null {
  return attempts.length > 1 || (attempts.length === 1 && attempts[0].status !== 200) ? JSON.stringify(attempts) : null;
}

/** Bookkeeping a stream shares with `run`: the attempt log and whether to cache the answer. */
interface StreamRecord {
  attempts: AttemptRecord[];
  attempt(status: number | null, code: string | null): void;
  directive: { key: string; ttlMs: number } | null;
}

/** Per-channel overrides of the upstream timeouts (`settings.timeouts` in the channel). */
function channelTimeouts(route: Route): { headersMs?: number; idleMs?: number } {
  const t = route.channel.settings.timeouts as { firstByteMs?: unknown; idleMs?: unknown } | undefined;
  const pos = (v: unknown) => (typeof v === 'number' && v > 0 ? v : undefined);
  return { headersMs: pos(t?.firstByteMs), idleMs: pos(t?.idleMs) };
}

/** Waits, unless the caller goes away first; false when it did. */
function sleep(ms: number, signal: CancelSignal): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!signal.aborted);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A failure while reading an upstream stream: the connection broke or went silent too long. */
function streamBreak(err: unknown): GatewayError {
  const e = upstreamTransportError(err);
  return e.kind === 'upstream_timeout'
    ? new GatewayError('upstream_timeout', 'The provider went silent in the middle of the stream.', { code: 'stream_idle_timeout' })
    : new GatewayError('upstream', 'The provider ended the stream before it was complete (connection lost).', { code: 'stream_interrupted' });
}

export function applyUsage(log: RequestLogRow, usage: Usage): void {
  log.prompt_tokens = usage.promptTokens;
  log.completion_tokens = usage.completionTokens;
  log.cached_tokens = usage.cachedTokens;
}

/** Completes a log row: status, latency, and the error when there was one. */
export function finish(log: RequestLogRow, started: number, status: number, error?: GatewayError): RequestLogRow {
  log.status = status;
  log.latency_ms = Math.round(performance.now() - started);
  if (error) {
    log.error_code = error.code ?? error.kind;
    log.error_message = error.message.slice(0, 500);
  }
  return log;
}

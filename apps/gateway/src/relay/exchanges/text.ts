import type { ServerResponse } from 'node:http';
import { drained } from './drain.js';
import { writeStreamHead } from './stream-head.js';
import type { Dialect, Quote, Usage } from '../../core/calls.js';
import { GatewayError } from '../../core/errors.js';
import { utf8Text } from '../../core/utf8.js';
import { translate, type Translation } from '../../formats/canonical/translator.js';
import type { WireFormat } from '../../formats/canonical/types.js';
import { SSE_HEADERS } from '../../formats/sse.js';
import { replaceJsonString } from '../../formats/json-edit.js';
import type { DialectCodec, StreamTap } from '../../formats/types.js';
import { BOUND_COUNT, countedOffLoop, EXACT_COUNT, type OffLoopCounter, type PromptTokens, type TokenCount } from '../../formats/tokens.js';
import type { UpstreamCall } from '../../providers/types.js';
import { CACHE_HEADER, cacheDirective, cacheKey, sseEvents, type CachedResponse, type ResponseCache } from '../cache.js';
import type { CallRequest } from '../call.js';
import { AttemptFailure } from '../call.js';
import type { Answered, Attempt, Exchange, Plan } from '../pipeline.js';
import type { RequestLogRow } from '../request-log.js';
import type { Route } from '../router.js';
import { upstreamTransportError, type UpstreamResponse } from '../upstream.js';
import { Utf8Stream } from './utf8.js';

/** A chat, completion, embedding or token-count call in the caller's dialect. */
export interface TextCall extends CallRequest {
  body: Record<string, unknown>;
  /** Whether the caller asked for usage in its stream (OpenAI's `stream_options.include_usage`). */
  clientWantsUsage: boolean;
  /** The caller's protocol headers and query parameters, for pass-through calls only. */
  passThrough?: { headers: Record<string, string>; query: Record<string, string> };
  /** The route reads `body` no more once the call is sent (`TextSpec.releasesBody`): a running stream may let go of it. */
  releasesBody?: boolean;
}

/** What every text call shares: the formats by dialect, the response cache. */
export interface TextDeps {
  codecs: ReadonlyMap<Dialect, DialectCodec>;
  wires: ReadonlyMap<Dialect, WireFormat>;
  cache?: ResponseCache;
  /** Share of the original cost a cache hit is billed at (0 = free). */
  cacheHitFraction: number;
  /** Counts large prompts off the event loop (formats/count-thread.ts). */
  counter: OffLoopCounter;
}

/**
 * Text calls: pass-through when the provider speaks the caller's dialect (the body goes out as the
 * gateway read it but for the model name, and the answer comes back byte for byte), translation
 * through the canonical form otherwise; streams are read by the dialect's tap for metering.
 */
export class TextExchange implements Exchange {
  private readonly codec: DialectCodec;
  /** The prompt's tokenizer count, made at most once and only when a provider reports no usage. */
  private promptCount: number | null = null;
  private readonly promptTokens = (): number => (this.promptCount ??= this.codec.estimatePrompt(this.req.operation, this.body(), this.exact));
  /** Set once a stream has let go of the parsed body (`letGoOfBody`): the caller's bytes, and what they parse to once asked. */
  private released: { raw: Buffer; body: Record<string, unknown> | null } | null = null;

  /** The parsed body, for the gateway's own count; after `letGoOfBody`, the caller's bytes parsed again. */
  private body(): Record<string, unknown> {
    const r = this.released;
    if (r === null) return this.req.body;
    return (r.body ??= JSON.parse(utf8Text(r.raw)) as Record<string, unknown>);
  }
  /** The exact count: the tokenizer, or once `counting` is done, its results for the large texts. */
  private exact: TokenCount = EXACT_COUNT;
  private counting: Promise<TokenCount> | null = null;
  private cacheEntry: { key: string; ttlMs: number } | null = null;

  constructor(
    private readonly deps: TextDeps,
    private readonly req: TextCall,
    /** The caller's connection, for replaying a cached stream. */
    private readonly res: ServerResponse,
    cacheHeader: string | string[] | undefined,
  ) {
    this.codec = deps.codecs.get(req.dialect)!;
    const directive = deps.cache ? cacheDirective(cacheHeader, req.key.cacheTtlSec) : null;
    if (directive) this.cacheEntry = { key: cacheKey(req.dialect, req.operation, req.model, req.body), ttlMs: directive.ttlMs };
  }

  async plan(routesFor: (model: string) => Promise<Route[]>): Promise<Plan> {
    const routes = await routesFor(this.req.model);
    // Admitted with the prompt's byte bound; the tokenizer runs only if admission would refuse it.
    const { operation, body } = this.req;
    const quote: Quote = this.codec.quote(operation, body, BOUND_COUNT);
    quote.exact = async () => this.codec.quote(operation, body, await this.countExactly());
    const cached = this.cacheEntry ? await this.deps.cache!.get(this.cacheEntry.key) : null;
    return { routes, quote, cached: cached ? (log, started) => this.replay(cached, log, started) : undefined };
  }

  /**
   * Counts the prompt's texts, the large ones off the event loop (formats/tokens.ts
   * `countedOffLoop`): a 20 MB prompt would hold the loop for seconds. Once; the count it leaves
   * serves the quote and the prompt estimate alike.
   */
  private countExactly(): Promise<TokenCount> {
    const operation = this.req.operation;
    const body = this.body();
    this.counting ??= countedOffLoop((count) => {
      this.codec.quote(operation, body, count);
      this.codec.estimatePrompt(operation, body, count);
    }, this.deps.counter)
      // A thread that failed (it crashed, its file is missing) leaves the count to the loop.
      .catch(() => EXACT_COUNT)
      .then((count) => (this.exact = count));
    return this.counting;
  }

  /**
   * Usage read from an answer or a tap, with the prompt counted off the loop when the reading asks
   * for it (a provider that reported none): read once with a stand-in that notes the question, and
   * if it was asked, again once the count is ready.
   */
  private async usageOf(read: (promptTokens: PromptTokens) => Usage): Promise<Usage> {
    if (this.promptCount !== null) return read(this.promptTokens);
    let asked = false;
    const usage = read(() => {
      asked = true;
      return 0;
    });
    if (!asked) return usage;
    await this.countExactly();
    return read(this.promptTokens);
  }

  async attempt(route: Route, at: Attempt): Promise<Answered> {
    const { call, translation } = this.upstreamCall(route);
    const upstream = await at.send(route, (creds) => route.adapter.buildRequest(call, route.channel, creds));
    if (this.req.stream) return this.pipeStream(upstream, at, route, translation);
    return this.readBody(upstream, route, translation);
  }

  private upstreamCall(route: Route): { call: UpstreamCall; translation?: Translation } {
    const req = this.req;
    const provider = route.adapter;
    const native = provider.dialect === req.dialect || (provider.nativeDialects?.includes(req.dialect) ?? false);
    if (!native || (provider.translateAlways?.includes(req.operation) ?? false)) {
      const from = this.deps.wires.get(req.dialect);
      const to = provider.format ?? this.deps.wires.get(provider.dialect);
      const target = `Channel ${route.channel.name} (${provider.label})`;
      if (!from || !to) throw new AttemptFailure(new GatewayError('invalid_request', `${target} cannot serve ${req.dialect}-dialect requests.`, { code: 'unsupported_dialect' }), null, false);
      let translation: Translation;
      try {
        translation = translate(req, from, to, route.upstreamModel, this.promptTokens, target);
      } catch (err) {
        throw new AttemptFailure(err as GatewayError, null, false);
      }
      return { call: { operation: req.operation, model: route.upstreamModel, stream: req.stream, body: translation.body }, translation };
    }
    const body: Record<string, unknown> = { ...req.body, model: route.upstreamModel };
    // Ask for the usage report so metering never has to guess; the tap hides it again when the
    // caller did not ask for it.
    const askUsage = req.stream && req.dialect === 'openai' && (req.operation === 'chat' || req.operation === 'completion');
    if (askUsage) body.stream_options = { ...((req.body.stream_options as object | null) ?? {}), include_usage: true };
    // The caller's bytes go in place of a serialisation when they say what `body` says: the same
    // model, usage already asked for, nothing rewritten since (the pipeline drops `raw` then), and
    // a text every parser reads alike (http/json-body.ts `jsonShape`: no key twice — a repeated
    // `model` would otherwise be billed as one model and served as another).
    const raw = req.raw !== undefined && req.body.model === route.upstreamModel && (!askUsage || req.clientWantsUsage) ? req.raw : undefined;
    const pass = req.passThrough;
    return { call: { operation: req.operation, model: route.upstreamModel, stream: req.stream, dialect: req.dialect, body, raw, ...(pass ? { passHeaders: pass.headers, passQuery: pass.query } : {}) } };
  }

  private async readBody(upstream: UpstreamResponse, route: Route, translation?: Translation): Promise<Answered> {
    let body: Buffer;
    let text: string;
    let json: unknown;
    try {
      body = await upstream.body.bytes();
      text = utf8Text(body);
      json = JSON.parse(text);
    } catch (err) {
      const e = err instanceof SyntaxError ? new GatewayError('upstream', 'The provider sent a response that is not valid JSON.', { code: 'bad_upstream_response' }) : upstreamTransportError(err);
      throw new AttemptFailure(e, null, true);
    }
    let usage: Usage;
    let contentType = 'application/json';
    if (translation) {
      try {
        ({ body, usage } = translation.reply(json));
      } catch (err) {
        throw new AttemptFailure(err instanceof GatewayError ? err : new GatewayError('upstream', 'The provider sent a response the gateway cannot read.', { code: 'bad_upstream_response' }), null, true);
      }
    } else {
      usage = await this.usageOf((promptTokens) => this.codec.usageFromBody(this.req.operation, json, promptTokens));
      const ct = upstream.headers['content-type'];
      if (typeof ct === 'string') contentType = ct;
      // The answer names the model the caller asked for, not a deployment or an alias's target;
      // only that value changes (OpenAI, Anthropic: top-level `model`).
      const named = (json as { model?: unknown } | null)?.model;
      if (this.req.model && typeof named === 'string' && named !== this.req.model) {
        text = replaceJsonString(text, ['model'], this.req.model);
        body = Buffer.from(text, 'utf8');
      }
    }
    const headers: Record<string, string> = { ...translation?.headers };
    if (this.cacheEntry) {
      headers[CACHE_HEADER] = 'miss';
      void this.deps.cache!.put(this.cacheEntry.key, { kind: 'json', contentType, body: translation ? body.toString('utf8') : text, usage, model: route.upstreamModel, channelId: route.channel.id }, this.cacheEntry.ttlMs);
    }
    return { reply: { status: 200, contentType, body, headers }, usage };
  }

  private async pipeStream(upstream: UpstreamResponse, at: Attempt, route: Route, translation?: Translation): Promise<Answered> {
    const { res, log, started, signal, screen } = at;
    // Privacy: placeholders restored (a split one held back until it is whole), content kept if logged.
    const privacy = this.req.privacy?.stream() ?? null;
    // Set when the content rules cut the stream: `tail` is then the caller's content-filter ending.
    let cut = false;
    const tap: StreamTap = translation ? translation.tapStream() : this.codec.tapStream(this.req.operation, this.req.clientWantsUsage, this.req.model || undefined);
    const decoder = new Utf8Stream();
    let failure: GatewayError | null = null;
    // What the caller received, kept only when the answer is to be cached.
    const sent: string[] | null = this.cacheEntry ? [] : null;
    writeStreamHead(res, 200, { ...SSE_HEADERS, ...translation?.headers, 'x-request-id': log.id, ...(this.cacheEntry ? { [CACHE_HEADER]: 'miss' } : {}) });
    if (!translation) this.letGoOfBody();
    // The terminal event (after which a client takes the answer as whole) is held back for the
    // pipeline to write once the charge is durable; everything before it flows at once. What came in
    // the same read as the terminal event (`StreamTap.endsAt`; a short stream's every event) goes out
    // at once only when this call is alone (`Attempt.alone`): then the first byte does not wait for
    // the charge, and under load the one write with the ending saves a system call.
    let tail = '';
    // Privacy and the content rules on what the tap passes on; null when the rules cut the stream
    // (`tail` then holds the caller's content-filter ending).
    const relay = (text: string): string | null => {
      let out = text && privacy ? privacy.pass(text) : text;
      if (out && screen) {
        // The events before a blocked word go out; the rest is replaced by the content-filter ending.
        const screened = screen.pass(out);
        if (screened.cut) {
          // Written with the ending once the call is settled, like any stream's last events.
          cut = true;
          tail += screened.pass + screen.ending();
          return null;
        }
        // What the screen holds back may be the beginning of a word the next chunk completes.
        out = screened.pass;
      }
      if (out) {
        if (log.ttft_ms === null) log.ttft_ms = Math.round(performance.now() - started);
        sent?.push(out);
      }
      return out;
    };
    try {
      for await (const chunk of upstream.body) {
        // A chunk that arrives after the caller left is never delivered, so it is not metered.
        if (res.destroyed || signal.aborted) break;
        const wasComplete = tap.complete;
        const pushed = tap.push(decoder.write(chunk));
        if (!pushed) continue;
        const endsAt = !tap.complete ? pushed.length : wasComplete || !at.alone() ? 0 : Math.min(tap.endsAt ?? 0, pushed.length);
        const now = relay(endsAt === pushed.length ? pushed : pushed.slice(0, endsAt));
        if (now === null) break;
        if (tail) tail += now;
        else if (now) {
          if (!res.write(now)) await drained(res);
          if (res.destroyed) break;
        }
        if (endsAt < pushed.length) {
          const ending = relay(pushed.slice(endsAt));
          if (ending === null) break;
          tail += ending;
        }
      }
      let rest = cut ? '' : tap.end() + decoder.end();
      if (privacy && !cut) rest = privacy.pass(rest) + privacy.end();
      const screened = screen && !cut ? screen.pass(rest) : null;
      if (screened?.cut) {
        cut = true;
        tail += screened.pass + screen!.ending();
      } else {
        // The stream is over: whatever the screen held back goes out (masked).
        const out = screened ? screened.pass + screen!.flush() : rest;
        tail += out;
        if (out) sent?.push(out);
      }
      if (!cut && !tap.complete && !tap.inBandError && !res.destroyed)
        failure = new GatewayError('upstream', 'The provider ended the stream before it was complete.', { code: 'stream_interrupted' });
    } catch (err) {
      failure = signal.aborted ? null : streamBreak(err);
    }
    if (failure && !res.destroyed) tail += (screen && !cut ? screen.flush() : '') + (tap.streamError?.(failure) ?? this.codec.streamError(failure));
    const clientGone = signal.aborted || (res.destroyed && !res.writableFinished);
    const usage = await this.usageOf((promptTokens) => tap.usage(promptTokens));
    const status = clientGone ? 499 : failure ? failure.status : tap.inBandError ? 502 : 200;
    const error = clientGone
      ? new GatewayError('upstream', 'The client closed the connection.', { code: 'client_closed' })
      : (failure ??
        (tap.inBandError
          ? new GatewayError('upstream', tap.inBandError.slice(0, 500), { code: 'upstream_stream_error' })
          : cut
            ? new GatewayError('invalid_request', 'The answer was cut by the content policy.', { code: 'content_filter' })
            : undefined));
    if (clientGone || cut) upstream.body.destroy();
    if (status === 200 && sent && this.cacheEntry && !cut)
      void this.deps.cache!.put(this.cacheEntry.key, { kind: 'sse', contentType: SSE_HEADERS['content-type'], body: sent.join(''), usage, model: route.upstreamModel, channelId: route.channel.id }, this.cacheEntry.ttlMs);
    // A caller who left is not the channel's fault; a broken stream is.
    return { streamed: { status, error, tail }, usage, healthy: status === 200 || clientGone };
  }

  /**
   * A stream that has begun can no longer be retried elsewhere, and what it sent upstream was the
   * caller's own bytes (`raw`): its parsed body is then needed only if the provider reports no usage
   * (the gateway counts the prompt itself), and that count can read the bytes again. A coding agent's
   * turn (hundreds of KB of conversation and tools) parses to about 1.5× its size in strings — two
   * bytes a character once a text holds one non-Latin-1 character — held for the whole stream
   * (bench/RESULTS.md, session 34: ~420 KB of a 291 KB turn). So the body's fields are dropped in
   * place: the route's request, the call and this exchange all hold that one object. Only when the
   * route has said it reads the body no more (`TextCall.releasesBody`: the Responses API's store
   * reads its input after the stream), no privacy policy applies (its content log reads the body at
   * the end), and the prompt has not been counted already.
   */
  private letGoOfBody(): void {
    const raw = this.req.raw;
    if (!this.req.releasesBody || raw === undefined || this.req.privacy || this.promptCount !== null || this.counting !== null) return;
    this.released = { raw, body: null };
    const body = this.req.body;
    for (const k of Object.keys(body)) if (k !== 'model' && k !== 'stream') delete body[k];
  }

  /** Answers from the response cache: same bytes as the first time, a stream replayed as a stream. */
  private async replay(cached: CachedResponse, log: RequestLogRow, started: number): Promise<Answered> {
    log.cache_hit = 1;
    log.channel_id = cached.channelId;
    log.model_sent = cached.model;
    log.attempts = 0;
    const f = this.deps.cacheHitFraction;
    const scale = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * f));
    const billed: Usage = {
      ...cached.usage,
      promptTokens: Math.round(cached.usage.promptTokens * f),
      completionTokens: Math.round(cached.usage.completionTokens * f),
      cachedTokens: Math.round(cached.usage.cachedTokens * f),
      reasoningTokens: scale(cached.usage.reasoningTokens),
      cacheWrite5mTokens: scale(cached.usage.cacheWrite5mTokens),
      cacheWrite1hTokens: scale(cached.usage.cacheWrite1hTokens),
    };
    const res = this.res;
    if (cached.kind === 'sse' && this.req.stream) {
      writeStreamHead(res, 200, { ...SSE_HEADERS, 'x-request-id': log.id, [CACHE_HEADER]: 'hit' });
      log.ttft_ms = Math.round(performance.now() - started);
      const events = [...sseEvents(cached.body)];
      const tail = events.pop();
      for (const event of events) if (!res.write(event)) await drained(res);
      return { streamed: { status: 200, tail }, usage: billed, logged: cached.usage, healthy: true };
    }
    return { reply: { status: 200, contentType: cached.contentType, body: Buffer.from(cached.body, 'utf8'), headers: { [CACHE_HEADER]: 'hit' } }, usage: billed, logged: cached.usage };
  }
}

/** A failure while reading an upstream stream: the connection broke or went silent too long. */
function streamBreak(err: unknown): GatewayError {
  const e = upstreamTransportError(err);
  return e.kind === 'upstream_timeout'
    ? new GatewayError('upstream_timeout', 'The provider went silent in the middle of the stream.', { code: 'stream_idle_timeout' })
    : new GatewayError('upstream', 'The provider ended the stream before it was complete (connection lost).', { code: 'stream_interrupted' });
}


import type { ServerResponse } from 'node:http';
import type { Quote, Usage } from '../core/calls.js';
import { ZERO_USAGE } from '../core/calls.js';
import { Cancellation, type CancelSignal } from '../core/cancel.js';
import { asGatewayError, GatewayError, gatewaysOwn } from '../core/errors.js';
import { utf8Text } from '../core/utf8.js';
import type { Credentials, ProviderFetch, UpstreamFailure, UpstreamRequest } from '../providers/types.js';
import { credentialsRefusedMessage, ExchangeFailure, scrubProviderText } from '../providers/common/failure.js';
import { AttemptFailure, baseLog, clientRequestId, finish, applyUsage, type BufferedReply, type CallRequest } from './call.js';
import { hasChoice, preferPinned, type ChannelAffinity } from './affinity.js';
import type { Admitted } from './health/circuit.js';
import type { ChannelGate } from './health/gate.js';
import { contentFiltered, StreamScreen, type ContentGuard, type GuardDirection, type GuardPlan, type GuardVerdict, type ModerationCheck } from './content-guard.js';
import type { Moderator } from './moderation.js';
import type { Admission, CallPolicy } from './policy.js';
import type { PrivacyGuard } from './privacy.js';
import type { RequestLogRow, RequestLogWriter } from './request-log.js';
import { attemptOrder, backoffMs, retryAfterSeconds, type RetryPolicy } from './retry.js';
import type { Route, Router } from './router.js';
import type { CallTrace, CallTracer } from './tracing.js';
import { BytesBody, upstreamTransportError, type UpstreamClient, type UpstreamResponse } from './upstream.js';
import { isPending } from '../core/maybe-async.js';

export interface PipelineDeps {
  router: Router;
  upstream: UpstreamClient;
  policy: CallPolicy;
  logWriter: RequestLogWriter;
  /** How many attempts, which failures retry, and the backoff between rounds. */
  retry: RetryPolicy;
  /** Channel health: resting channels are skipped, every attempt is reported to its circuit. */
  gate: ChannelGate;
  /** Prompt-cache affinity: a session's calls stay on the channel that served it (absent: no pinning). */
  affinity?: ChannelAffinity;
  /** Content safety: the admins' rules on the call's input and whole output (absent: nothing is checked). */
  guard?: ContentGuard;
  /** The moderation model's client (a channel serving the `moderation` operation), asked when a policy names a model. */
  moderator?: Moderator;
  /** Privacy protection: redaction and the content log (absent: texts go out as they came, nothing is kept). */
  privacy?: PrivacyGuard;
  /** OpenTelemetry traces (relay/tracing.ts; absent: tracing is off and costs nothing). */
  tracer?: CallTracer;
}

/** How an attempt answered the caller. */
export type Answered =
  /** A whole answer for the HTTP layer to write. `failed` marks a provider's refusal passed through as is (nothing charged). */
  | { reply: BufferedReply; usage: Usage; failed?: { status: number; error: GatewayError }; logged?: Usage }
  /**
   * The exchange wrote the answer itself (a stream): how it ended. No failover after this. The
   * exchange leaves the response open, holding back `tail` (the terminal event, after which a client
   * takes the answer as whole): the pipeline writes it and ends the response once the call's charge
   * is durable, so no client holds a complete answer whose charge a crash could lose.
   */
  | { streamed: { status: number; error?: GatewayError; tail?: string }; usage: Usage; healthy: boolean; logged?: Usage };

/** What an exchange decided before any upstream call: where the call may go and what it may cost. */
export interface Plan {
  routes: Route[];
  quote: Quote;
  /** An answer from the response cache: replaces the attempts (still admitted, billed and logged). */
  cached?: (log: RequestLogRow, started: number) => Promise<Answered>;
}

/** What one attempt may use: the caller's connection, the cancellation switch, and `send`. */
export interface Attempt {
  readonly signal: Cancellation;
  readonly res: ServerResponse;
  readonly log: RequestLogRow;
  readonly started: number;
  /** The content rules on a streamed answer (null: the stream is not read). */
  readonly screen: StreamScreen | null;
  /**
   * Whether this call is the only one in flight. A stream's content that arrives in the same read as
   * its terminal event is then written at once, ahead of the durable charge, so the caller's first
   * byte of a short stream does not wait for it; under load it goes out with the ending in one
   * write, one system call less per stream (13% of a streamed call's CPU at 50 connections on the
   * bench machine, bench/RESULTS.md session 30).
   */
  alone(): boolean;
  /**
   * Sends one upstream request, built with the provider's credentials (fetched asynchronously and
   * refreshed once when the provider refuses them). Resolves with a 2xx answer; throws AttemptFailure.
   */
  send(route: Route, build: (creds?: Credentials) => UpstreamRequest | Promise<UpstreamRequest>, classify?: Classify, signal?: CancelSignal): Promise<UpstreamResponse>;
}

export type Classify = (status: number, body: string, headers: Record<string, string | string[] | undefined>) => UpstreamFailure;

/**
 * An operation's part of a call (text, images, speech, transcription, rerank): it plans the call and
 * makes one attempt on one channel. Everything around it — routing, admission, channel health,
 * retries with backoff, failover, cancellation, settlement and the log — is the pipeline's.
 */
export interface Exchange {
  plan(routes: (model: string) => Promise<Route[]>): Promise<Plan>;
  attempt(route: Route, at: Attempt): Promise<Answered>;
}

interface AttemptRecord {
  channel: string;
  status: number | null;
  code: string | null;
  ms: number;
}

/**
 * The one data path of every relayed call: plan (routes, quote) → admit (limits, reservation) →
 * gate (resting channels out) → attempts (retry with backoff, failover, circuit reports,
 * cancellation when the caller goes away) → answer → settle and log. Operations differ only in
 * their Exchange.
 */
export class CallPipeline {
  /** Providers' own calls (token exchanges) go through the same client and its pools. */
  readonly fetch: ProviderFetch;
  /** Calls running now (from the first step to the settled answer; a stream until it ended). */
  active = 0;

  /**
   * At most one call in flight (the one asking): nothing else waits on the event loop, so latency
   * counts more than one more system call (the journal's inline writes, a short stream's early write).
   */
  get alone(): boolean {
    return this.active <= 1;
  }

  constructor(private readonly deps: PipelineDeps) {
    this.fetch = async (req, signal) => {
      const res = await deps.upstream.send(req, signal);
      return { status: res.status, headers: res.headers, text: await res.body.text() };
    };
  }

  /**
   * Runs the call. Resolves to the reply to write, or null when the exchange already answered on
   * `res` (a stream). Errors before any byte was sent are thrown as GatewayError for the caller's
   * dialect renderer.
   */
  async run(req: CallRequest, exchange: Exchange, res: ServerResponse): Promise<BufferedReply | null> {
    const started = performance.now();
    const log = baseLog(req, clientRequestId(res.req.headers));
    // Every answer of a call names it, errors included (the id of its log row): written with
    // whatever head the answer gets, and sent upstream with each attempt. The caller's own id, when
    // it gave one, comes back beside it.
    if (!res.headersSent) {
      res.setHeader('x-request-id', log.id);
      if (log.client_request_id) res.setHeader('x-client-request-id', log.client_request_id);
    }
    const trace = this.deps.tracer ? this.deps.tracer.begin(res.req, started) : null;
    const ac = new Cancellation();
    const onClose = () => {
      if (!res.writableFinished) ac.abort();
    };
    res.on('close', onClose);
    this.active++;
    try {
      return await this.runAdmitted(req, exchange, res, log, started, ac, trace);
    } finally {
      this.active--;
      res.off('close', onClose);
      trace?.end(log, req);
    }
  }

  private async runAdmitted(req: CallRequest, exchange: Exchange, res: ServerResponse, log: RequestLogRow, started: number, ac: Cancellation, trace: CallTrace | null): Promise<BufferedReply | null> {
    let plan: Plan;
    let admission: Admission;
    let session: { key: string; pinned: Promise<string | null> } | null = null;
    const { guard, privacy } = this.deps;
    // Content safety and privacy, decided once per call from plans kept per caller: the rules and
    // policies are reloaded only when an admin changed them (in any process: the database's change
    // token). With nothing for this caller they cost two comparisons and two lookups — no await, no
    // allocation, no stream reader.
    const guardWait = guard ? guard.fresh() : null;
    const privacyWait = privacy ? privacy.fresh() : null;
    if (guardWait !== null || privacyWait !== null) await Promise.all([guardWait, privacyWait]);
    const content = guard && req.texts ? guard.plan(req.key.group, req.key.appId) : null;
    const protect = privacy !== undefined && req.texts != null && privacy.applies(req.key.group, req.key.appId);
    const screen = protect || (content !== null && (content.input || content.moderation !== null));
    // The session is read only if a tier leaves a choice of channels (below), except when the screen
    // may rewrite the prompt in place (redaction, masking): then from the caller's own text first.
    let affinity = req.affinity && this.deps.affinity ? req.affinity : undefined;
    if (affinity && screen) {
      const named = affinity();
      affinity = () => named;
    }
    try {
      // Before anything is planned or reserved: a blocked input is never charged.
      if (screen) await this.screenInput(req, log, content, protect);
      plan = await exchange.plan((model) => this.deps.router.routes(model, req.key.group, req.operation));
      log.model_requested = req.model || null;
      // The session's channel is read while the call is admitted (both wait on shared state), and
      // only when the call names a session and a tier leaves a choice: no round trip otherwise.
      const named = affinity && hasChoice(plan.routes) ? affinity() : undefined;
      if (named !== undefined) {
        const key = this.deps.affinity!.key(req.key.userId, req.model, named);
        session = { key, pinned: this.deps.affinity!.pinned(key) };
      }
      admission = await this.deps.policy.admit({
        requestId: log.id,
        log,
        key: req.key,
        dialect: req.dialect,
        operation: req.operation,
        endpoint: req.endpoint,
        model: req.model,
        stream: req.stream,
        clientIp: req.clientIp,
        origin: req.origin,
        quote: plan.quote,
      });
    } catch (err) {
      const e = asGatewayError(err);
      log.model_requested = req.model || null;
      this.deps.logWriter.push(finish(log, started, e.status, e));
      throw e;
    }
    if (plan.cached) return this.conclude(await plan.cached(log, started), admission, log, started, res, req, content);

    // After admission, so a refused call never takes a resting channel's single probe.
    let routes: Route[];
    let gate: Admitted | null;
    try {
      const gated = this.deps.gate.admit(plan.routes, (r) => r.channel.id, req.model);
      ({ items: routes, admitted: gate } = isPending(gated) ? await gated : gated);
    } catch (err) {
      const e = asGatewayError(err);
      admission.settle({ usage: ZERO_USAGE, failed: true, log: finish(log, started, e.status, e) });
      throw e;
    }

    // A resting pinned channel was left out by the gate: the session moves to whichever serves it now.
    const pinned = session ? await session.pinned : null;
    if (pinned !== null) routes = preferPinned(routes, pinned);

    const { retry, gate: health } = this.deps;
    const attempts: AttemptRecord[] = [];
    // Made when a first attempt fails (most calls have none).
    let retryAfter: Map<string, number | undefined> | null = null;
    // Channels this call will not try again: the provider refused the channel's own key, or the
    // channel was the one probe of a resting circuit and failed (its circuit is open again).
    let skip: Set<string> | null = null;
    const failed = (id: string, reason: string) => {
      health.failed(id, gate, reason);
      if (gate?.probes.has(id)) (skip ??= new Set()).add(id);
    };
    const at = this.attemptContext(ac, res, log, started, content !== null && content.output ? this.streamScreen(req, log, content) : null, trace);
    let lastError: GatewayError | null = null;
    const plan2 = attemptOrder(routes, retry.maxAttempts);
    for (let i = 0; i < plan2.length && !ac.aborted; i++) {
      const { route, repeat } = plan2[i];
      const id = route.channel.id;
      if (skip?.has(id)) continue;
      // The cluster's retry budget (relay/retry-budget.ts): the first attempt counts the call, each
      // later one (a retry or a failover) spends from it; with none left the call ends as it stands.
      if (retry.budget) {
        if (attempts.length === 0) retry.budget.called();
        else if (!(await retry.budget.allowRetry())) break;
      }
      if (repeat) {
        const wait = backoffMs(retry, Math.floor(i / routes.length) - 1, retryAfter?.get(id));
        if (wait === null || !(await sleep(wait, ac))) break;
      }
      log.channel_id = id;
      log.model_sent = route.upstreamModel;
      log.attempts = i + 1;
      const t0 = performance.now();
      const record = (status: number | null, code: string | null) => {
        attempts.push({ channel: id, status, code, ms: Math.round(performance.now() - t0) });
        trace?.attemptEnded(status, code);
      };
      trace?.attemptStarted(route, t0);
      let answered: Answered;
      try {
        answered = await exchange.attempt(route, at);
      } catch (err) {
        if (res.headersSent) throw asGatewayError(err); // cannot happen: a stream reports how it ended
        const f = presentable(attemptFailureOf(err), route.channel.secret);
        lastError = f.error;
        record(f.status, f.error.code);
        if (ac.aborted) break;
        if (f.status === null) {
          // No answer: the connection, a timeout or an unreadable answer is the channel's trouble; a
          // call this provider cannot express (or a refusal of the caller's content) is not. Nor is
          // the gateway's own failure (an `internal` error: a RangeError or TypeError while building
          // or translating the request): no other channel would fare better, and the error handler
          // logs it with its stack while the caller gets a plain 500.
          // A dependency of the gateway's own (database, Redis) being away is not the channel's either.
          if (!f.retryable || gatewaysOwn(f.error)) break;
          failed(id, f.error.message);
          continue;
        }
        (retryAfter ??= new Map()).set(id, f.retryAfterSec);
        // A 401/403 that is not about the key (see `send`) is the provider answering the caller: a 4xx.
        health.report(id, gate, f.credentials ? 401 : f.status === 401 || f.status === 403 ? 400 : f.status);
        if (gate?.probes.has(id) && (f.status >= 500 || f.status === 429 || f.status === 408)) (skip ??= new Set()).add(id);
        if (f.credentials) {
          // The provider refused the channel's own key: nothing will work until an admin fixes it,
          // but another channel may well serve the call.
          (skip ??= new Set()).add(id);
          continue;
        }
        if (retry.statuses.has(f.status) || (f.retryable && f.status >= 500)) continue;
        break;
      }
      answered = withoutSecret(answered, route.channel.secret);
      // The session moves to the channel that served it when its own could not (a refusal passed
      // through or a broken stream served nothing).
      if (session && id !== pinned && ('streamed' in answered ? answered.healthy : !answered.failed)) this.deps.affinity!.pin(session.key, id);
      if ('streamed' in answered) {
        record(answered.streamed.status, answered.streamed.error?.code ?? null);
        if (answered.healthy) health.succeeded(id, gate);
        else failed(id, answered.streamed.error?.message ?? 'stream broke');
      } else {
        record(answered.failed?.status ?? 200, answered.failed?.error.code ?? null);
        health.succeeded(id, gate);
      }
      log.attempt_log = attemptLog(attempts);
      return this.conclude(answered, admission, log, started, res, req, content);
    }
    const error = ac.aborted
      ? new GatewayError('upstream', 'The client closed the connection.', { status: 499, code: 'client_closed' })
      : (lastError ?? new GatewayError('upstream', 'No channel could serve the request.', { code: 'no_channel' }));
    log.attempt_log = attemptLog(attempts);
    admission.settle({ usage: ZERO_USAGE, failed: true, log: finish(log, started, error.status, error) });
    throw error;
  }

  /**
   * Settles an answered call and hands its reply (if any) to the HTTP layer — only once the charge
   * is durable (see `Admission.settle`): a crash before that point leaves the caller without a
   * complete answer, never with an answer nobody was charged for.
   */
  private async conclude(answered: Answered, admission: Admission, log: RequestLogRow, started: number, res: ServerResponse, req: CallRequest, content: GuardPlan | null): Promise<BufferedReply | null> {
    // The log keeps what was produced; a cache hit bills only its share (`logged` then differs).
    applyUsage(log, answered.logged ?? answered.usage);
    if ('streamed' in answered) {
      // Whatever the provider produced up to this point is metered, even when the stream broke.
      const { status, error, tail } = answered.streamed;
      await admission.settle({ usage: answered.usage, failed: false, log: finish(log, started, status, error) });
      if (!res.destroyed) res.end(tail);
      req.privacy?.finish(status);
      return null;
    }
    const f = answered.failed;
    // The moderation model reads the answer as the provider wrote it (placeholders, not originals).
    const moderated = f || !content?.moderation?.output ? null : await this.moderateAnswer(req, content.moderation, answered.reply, log);
    if (req.privacy && !f && answered.reply.status < 300 && answered.reply.contentType.includes('json')) answered.reply.body = req.privacy.answer(answered.reply.body);
    // The answer was produced (and the provider charges for it) even when a rule blocks it: it is
    // settled as produced, and the caller gets the content_filter error instead of the answer.
    const blocked = f ? null : (moderated ?? (content === null || !content.output ? null : this.screenAnswer(req, content, answered.reply, log)));
    await admission.settle({ usage: answered.usage, failed: f !== undefined, log: finish(log, started, f ? f.status : blocked ? blocked.status : 200, f?.error ?? blocked ?? undefined) });
    req.privacy?.finish(f ? f.status : blocked ? blocked.status : answered.reply.status);
    if (blocked) throw blocked;
    answered.reply.headers['x-request-id'] = log.id;
    // What this answer was charged (P; the log row's µP, settled just above). A browser page shows
    // it (AGIEditor's last action); a stream's headers leave before its cost is known, so only
    // buffered answers carry it.
    if (typeof log.cost === 'number') answered.reply.headers['x-apigpt-cost'] = String(log.cost / 1_000_000);
    return answered.reply;
  }

  /**
   * Applies the content rules to the call's texts in `direction`: a block is thrown (the caller's
   * content_filter error), masks are written back in place, every hit is recorded. Only called when
   * the caller's plan says a rule applies in that direction.
   */
  private screen(req: CallRequest, content: GuardPlan, direction: GuardDirection, log: RequestLogRow, answer?: unknown): void {
    const guard = this.deps.guard!;
    const slots = direction === 'input' ? req.texts!.input() : req.texts!.output(answer);
    if (slots.length === 0) return;
    const verdict = guard.inspect(slots.map((s) => s.text), content.subject, direction);
    if (verdict.action === null) return;
    guard.record(verdict, log.id, req.key.userId, direction);
    if (verdict.action === 'block') throw contentFiltered(direction, verdict);
    verdict.masked.forEach((m, i) => m !== null && slots[i].set(m));
  }

  /**
   * The input's checks: the rules (a block thrown, masks written back), then the moderation model
   * when the caller's policy asks one, on the texts as they will go upstream. The model's answer is
   * awaited (within the policy's timeout); when it does not come the policy fails open (recorded)
   * or closed (a 503 `moderation_unavailable`, not the channel's fault and not charged).
   */
  private async screenInput(req: CallRequest, log: RequestLogRow, content: GuardPlan | null, protect: boolean): Promise<void> {
    // The rules and the redaction rewrite the body's texts in place: the caller's bytes no longer say it.
    req.raw = undefined;
    if (content?.input) this.screen(req, content, 'input', log);
    // Privacy (issue 15): the rules read the caller's own words; nothing leaves the gateway unredacted
    // after this, the moderation model's call included.
    if (protect) this.protect(req, log);
    const guard = this.deps.guard;
    const moderator = this.deps.moderator;
    const check = content?.moderation ?? null;
    if (!guard || !moderator || !req.texts || !check?.input) return;
    const refused = await this.moderate(check, req.texts.input(), req, log, 'input');
    if (refused) throw refused;
  }

  /**
   * The moderation model's verdict on texts of one side of the call, recorded (never the text): the
   * caller's error when it blocks, or when it did not answer and the policy fails closed.
   */
  private async moderate(check: ModerationCheck, slots: readonly { text: string }[], req: CallRequest, log: RequestLogRow, direction: GuardDirection): Promise<GatewayError | null> {
    const guard = this.deps.guard!;
    const texts = slots.map((s) => s.text).filter((t) => t.trim() !== '');
    if (texts.length === 0) return null;
    let verdict: GuardVerdict;
    try {
      verdict = check.judge(await this.deps.moderator!.classify(check.model, req.key.group, texts, check.timeoutMs));
    } catch (err) {
      verdict = check.down();
      guard.record(verdict, log.id, req.key.userId, direction);
      const what = direction === 'input' ? 'the request was not sent' : 'the answer was withheld';
      return verdict.action === 'block' ? new GatewayError('unavailable', `The content moderation service did not answer; ${what}.`, { code: 'moderation_unavailable', retryAfter: 5, cause: err }) : null;
    }
    guard.record(verdict, log.id, req.key.userId, direction);
    return verdict.action === 'block' ? contentFiltered(direction, verdict) : null;
  }

  /**
   * The moderation model on a whole JSON answer, when the caller's policy asks it on output. Read
   * before the originals are restored: the model, a provider too, gets what the provider saw.
   */
  private async moderateAnswer(req: CallRequest, check: ModerationCheck, reply: BufferedReply, log: RequestLogRow): Promise<GatewayError | null> {
    if (!this.deps.guard || !this.deps.moderator || !req.texts || reply.status >= 300 || !reply.contentType.includes('json')) return null;
    let answer: unknown;
    try {
      answer = JSON.parse(utf8Text(reply.body));
    } catch {
      return null;
    }
    return this.moderate(check, req.texts.output(answer), req, log, 'output');
  }

  /**
   * Privacy protection of a text call (relay/privacy.ts): the policy of the caller's App or group
   * redacts its texts in place and follows its answer (`req.privacy`). Only called when one applies.
   */
  private protect(req: CallRequest, log: RequestLogRow): void {
    const privacy = this.deps.privacy;
    if (!privacy || !req.texts) return;
    req.privacy = privacy.open({ requestId: log.id, userId: req.key.userId, appId: req.key.appId, group: req.key.group, dialect: req.dialect });
    // Tool definitions, calls and results are redacted too (formats/safety-text.ts `tools`).
    req.privacy?.input([...req.texts.input(), ...(req.texts.tools?.() ?? [])], (req as { body?: unknown }).body);
  }

  /** The rules on a whole JSON answer: null when it may go out (masked in place), the error when blocked. */
  private screenAnswer(req: CallRequest, content: GuardPlan, reply: BufferedReply, log: RequestLogRow): GatewayError | null {
    if (!req.texts || reply.status >= 300 || !reply.contentType.includes('json')) return null;
    let answer: unknown;
    try {
      answer = JSON.parse(utf8Text(reply.body));
    } catch {
      return null;
    }
    const before = req.texts.output(answer).map((s) => s.text);
    try {
      this.screen(req, content, 'output', log, answer);
    } catch (err) {
      return asGatewayError(err);
    }
    const after = req.texts.output(answer).map((s) => s.text);
    if (after.some((t, i) => t !== before[i])) reply.body = Buffer.from(JSON.stringify(answer), 'utf8');
    return null;
  }

  /** The stream's content screen, when an output rule applies to the caller and its dialect's streams are read. */
  private streamScreen(req: CallRequest, log: RequestLogRow, content: GuardPlan): StreamScreen | null {
    const guard = this.deps.guard;
    const reader = req.stream && req.texts?.stream ? req.texts : null;
    if (!guard || !reader) return null;
    return new StreamScreen(guard, content.subject, reader.stream!(), (v) => guard.record(v, log.id, req.key.userId, 'output'));
  }

  private attemptContext(signal: Cancellation, res: ServerResponse, log: RequestLogRow, started: number, screen: StreamScreen | null, trace: CallTrace | null): Attempt {
    const upstream = this.deps.upstream;
    const fetch = this.fetch;
    return {
      signal,
      res,
      log,
      started,
      screen,
      alone: () => this.alone,
      async send(route, build, classify, callSignal = signal) {
        const provider = route.adapter;
        let refreshed = false;
        for (;;) {
          let creds: Credentials | undefined;
          if (provider.credentials) {
            try {
              creds = await provider.credentials(route.channel, { fetch, signal: callSignal, refresh: refreshed });
            } catch (err) {
              if (err instanceof AttemptFailure) throw err;
              // The provider answered the token exchange with a refusal: read like a refused call.
              if (err instanceof ExchangeFailure) throw new AttemptFailure(err.failure.error, err.failure.status, err.failure.retryable, err.failure.credentials === true);
              const e = asGatewayError(err);
              throw new AttemptFailure(e, null, e.kind !== 'invalid_request');
            }
          }
          let request: UpstreamRequest;
          try {
            request = await build(creds);
          } catch (err) {
            // The call cannot be expressed for this provider: not the channel's fault.
            throw new AttemptFailure(asGatewayError(err), null, false);
          }
          // The provider's logs can be matched with ours (a copy: a builder may reuse its headers).
          request = { ...request, headers: upstreamIds(request.headers, log, trace) };
          let answer: UpstreamResponse;
          try {
            answer = await upstream.send(request, callSignal, channelTimeouts(route));
          } catch (err) {
            const e = asGatewayError(err);
            throw new AttemptFailure(e, null, e.kind !== 'invalid_request');
          }
          let failure: (UpstreamFailure & { status: number }) | null = null;
          if (answer.status >= 400) {
            const text = await answer.body.text().catch(() => '');
            failure = { ...(classify ?? provider.classifyError)(answer.status, text, answer.headers), status: answer.status };
          } else if (provider.failureInAnswer && isJson(answer.headers)) {
            let bytes: Buffer;
            try {
              bytes = await answer.body.bytes();
            } catch (err) {
              throw new AttemptFailure(upstreamTransportError(err), null, true);
            }
            failure = provider.failureInAnswer(bytes.toString('utf8'));
            answer = { ...answer, body: new BytesBody(bytes) };
          }
          if (!failure) return answer;
          // A 401/403 is a refused channel key unless the provider's classifier says otherwise: with
          // `credentials: false`, or by calling it the caller's mistake (Stability answers 403 to
          // prompts its moderation rejects: a 400 content_policy_violation for the caller).
          const refused = failure.credentials ?? ((failure.status === 401 || failure.status === 403) && failure.error.kind !== 'invalid_request');
          // A cached token the provider no longer takes: fetch a new one and try once more.
          if (refused && provider.credentials && !refreshed) {
            refreshed = true;
            continue;
          }
          throw new AttemptFailure(failure.error, failure.status, failure.retryable, refused, retryAfterSeconds(answer.headers));
        }
      },
    };
  }
}

/**
 * What a thrown value says about an attempt. Exchanges throw AttemptFailure or GatewayError; anything
 * else (and an AttemptFailure wrapping something that is not a GatewayError) is the gateway's own
 * failure, an `internal` error that is neither retried nor held against the channel.
 */
function attemptFailureOf(err: unknown): AttemptFailure {
  if (err instanceof AttemptFailure) return err.error instanceof GatewayError ? err : new AttemptFailure(asGatewayError(err.error), null, false);
  const e = asGatewayError(err);
  return new AttemptFailure(e, null, e.kind !== 'invalid_request' && e.kind !== 'internal');
}

/**
 * A failure as the caller and the request log may read it: a refused channel key is told without the
 * provider's words; any other message loses the channel's secret and whatever looks like a key.
 */
function presentable(f: AttemptFailure, secret: string | null): AttemptFailure {
  const message = f.credentials && f.status !== null ? credentialsRefusedMessage(f.status) : scrubProviderText(f.error.message, [secret]);
  if (message === f.error.message) return f;
  return new AttemptFailure(withMessage(f.error, message), f.status, f.retryable, f.credentials, f.retryAfterSec);
}

function withoutSecret(answered: Answered, secret: string | null): Answered {
  if ('streamed' in answered) {
    const e = answered.streamed.error;
    const message = e && scrubProviderText(e.message, [secret]);
    return e && message !== e.message ? { ...answered, streamed: { ...answered.streamed, error: withMessage(e, message!) } } : answered;
  }
  const e = answered.failed?.error;
  const message = e && scrubProviderText(e.message, [secret]);
  return e && message !== e.message ? { ...answered, failed: { ...answered.failed!, error: withMessage(e, message!) } } : answered;
}

function withMessage(e: GatewayError, message: string): GatewayError {
  return new GatewayError(e.kind, message, { status: e.status, param: e.param, code: e.code, retryAfter: e.retryAfter, headers: e.headers, cause: e.cause });
}

function isJson(headers: Record<string, string | string[] | undefined>): boolean {
  const ct = headers['content-type'];
  return typeof ct === 'string' && ct.includes('json');
}

/**
 * The per-attempt record, kept when it says more than the row itself: several attempts, or a
 * failure. A single successful attempt is the row's channel, status and latency already.
 */
function attemptLog(attempts: AttemptRecord[]): string | null {
  return attempts.length > 1 || (attempts.length === 1 && attempts[0].status !== 200) ? JSON.stringify(attempts) : null;
}

/** Per-channel overrides of the upstream timeouts (`settings.timeouts` in the channel). */
/**
 * The ids an attempt carries upstream, so the provider's logs can be matched with ours: the call's
 * id, the caller's own (X-Client-Request-Id, which OpenAI logs), and the trace. A copy: a builder
 * may reuse its headers.
 */
function upstreamIds(headers: Record<string, string>, log: RequestLogRow, trace: CallTrace | null): Record<string, string> {
  const out: Record<string, string> = { ...headers, 'x-request-id': log.id };
  if (log.client_request_id) out['x-client-request-id'] = log.client_request_id;
  if (trace) out.traceparent = trace.traceparent();
  return out;
}

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

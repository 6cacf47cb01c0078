// The request pipeline: route → record → auth → controls → fault → handler → paced delivery.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BASE_CONTROLS, controlsFromHeaders, parseDirective, sanitizeControls } from './controls.js';
import { flattenHeaders, parseBody, readBody } from './http.js';
import type { Ctx, Instance, Outcome, Route } from './route.js';
import { SSE_HEADERS } from './sse.js';
import { TokenCounter } from './tokens.js';
import { AccessTokenStore, DEFAULT_TOKEN_EXPIRES_IN } from './token-store.js';
import type { ErnieTokens, RecordedRequest, SimControls, SimulatorOptions } from './types.js';
import { ALL_ROUTES } from './routes.js';
import { createPaymentsState } from './payments/state.js';
import { closeDispute, disputeCharge, settleSession } from './payments/stripe.js';
import { refundInDashboard as refundAlipay } from './payments/alipay.js';
import { refundInDashboard } from './payments/wechatpay.js';
import type { SimPayments } from './types.js';

const MAX_RECORDED = 200;
const MAX_IMAGES = 64;

export interface SimulatorHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  setDefaults(c: Partial<SimControls>): void;
  readonly defaults: SimControls;
  requests: RecordedRequest[];
  stats: { total: number; aborted: number };
  ernie: ErnieTokens;
  payments: SimPayments;
}

export function createHandler(opts: SimulatorOptions = {}): SimulatorHandler {
  let defaults: SimControls = { ...BASE_CONTROLS, ...opts.defaults };
  const requests: RecordedRequest[] = [];
  const stats = { total: 0, aborted: 0 };
  let faultCounter = 0;
  const images = new Map<string, Buffer>();
  let seq = 0;
  const idBase = Date.now().toString(36);

  const instance: Instance = {
    options: opts,
    tokens: new TokenCounter(opts.countTokens),
    newId: (prefix) => `${prefix}${idBase}${(++seq).toString(36).padStart(4, '0')}`,
    storeImage(png) {
      const id = instance.newId('img');
      images.set(id, png);
      if (images.size > MAX_IMAGES) images.delete(images.keys().next().value as string);
      return id;
    },
    sdOptions: { sd_model_checkpoint: 'v1-5-pruned-emaonly.safetensors [6ce0161689]', samples_format: 'png', CLIP_stop_at_last_layers: 1, return_grid: false },
    baseUrl: (req) => `http://${req.headers.host ?? `${opts.host ?? '127.0.0.1'}:${opts.port ?? 0}`}`,
    prefixCache: new Set(),
    ernieTokens: new AccessTokenStore(opts.ernieTokenExpiresIn ?? DEFAULT_TOKEN_EXPIRES_IN),
    payments: createPaymentsState(opts.payments),
  };
  const callbacks = instance.payments.callbacks;
  const payments: SimPayments = {
    get callbacks() {
      return callbacks.list;
    },
    get hold() {
      return callbacks.hold;
    },
    set hold(v: boolean) {
      callbacks.hold = v;
    },
    flush: (ids) => callbacks.flush(ids),
    send: async (id, url) => {
      const a = await callbacks.send(id, url);
      return { status: a.status, body: a.body, ok: a.ok };
    },
    settleStripe: (id, outcome) => settleSession(instance.payments, id, outcome),
    disputeStripe: (paymentIntent, o) => disputeCharge(instance.payments, paymentIntent, o),
    closeStripeDispute: (paymentIntent, outcome) => closeDispute(instance.payments, paymentIntent, outcome),
    refundWechatInDashboard: (outTradeNo, amount, notifyUrl) => refundInDashboard(instance.payments, outTradeNo, amount, notifyUrl),
    refundAlipayInDashboard: (outTradeNo, amount) => refundAlipay(instance.payments, outTradeNo, amount),
    alipayBusy: (n) => {
      instance.payments.alipay.busy = n;
    },
    alipayNotifyFirst: (n) => {
      instance.payments.alipay.notifyFirst = n;
    },
    setWechatRefundNotifyUrl: (url) => {
      instance.payments.wechatpay.refundNotifyUrl = url;
    },
    rateLimitStripe: (n) => {
      instance.payments.stripe.rateLimited = n;
    },
    clear: () => callbacks.clear(),
  };

  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `simulator error: ${String(err)}`, type: 'server_error', param: null, code: null } }));
      } else res.destroy();
    });
  }) as SimulatorHandler;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const query: Record<string, string> = q >= 0 ? Object.fromEntries(new URLSearchParams(url.slice(q + 1))) : {};
    if (path.startsWith('/_sim/')) return serveSim(req, res, path);

    stats.total++;
    // A response closed before it finished means the client (the gateway) went away: tests use this
    // to prove that a caller's disconnect aborts the upstream request.
    res.once('close', () => {
      if (!res.writableFinished) stats.aborted++;
    });
    const method = req.method ?? 'GET';
    // The body is read before routing: some routes are chosen by it (DeepSeek models on the
    // shared OpenAI chat path).
    const raw = await readBody(req);
    const parsed = parseBody(raw, req.headers['content-type']);
    let route: Route | undefined;
    let match: RegExpExecArray | null = null;
    for (const r of ALL_ROUTES) {
      if (r.method !== method) continue;
      match = r.pattern.exec(path);
      if (match && (!r.when || r.when(req, parsed.body))) {
        route = r;
        break;
      }
    }
    const rec: RecordedRequest = { method, path, query, headers: flattenHeaders(req.headers), body: parsed.body, at: Date.now() };
    const ct = String(req.headers['content-type'] ?? '').toLowerCase();
    if (parsed.body !== null && !ct.startsWith('multipart/') && !ct.startsWith('application/x-www-form-urlencoded')) rec.text = raw.toString('utf8');
    const fileNames = Object.keys(parsed.files);
    if (fileNames.length) {
      rec.files = Object.fromEntries(fileNames.map((k) => [k, { filename: parsed.files[k].filename, contentType: parsed.files[k].contentType, size: parsed.files[k].data.length }]));
    }
    record(rec);
    if (!route || !match) {
      return send(res, notFound(method, path));
    }
    const ctx: Ctx = {
      req,
      path,
      query,
      params: { ...match.groups },
      body: parsed.body,
      raw,
      files: parsed.files,
      controls: defaults,
      sim: instance,
    };
    const dialect = route.dialect;
    if (parsed.invalidJson) return send(res, dialect.error(400, 'We could not parse the JSON body of your request.'));
    const gated = dialect.gate?.(ctx);
    if (gated) return send(res, gated);
    if (opts.apiKey !== undefined) {
      const denied = dialect.authorize(ctx, opts.apiKey);
      if (denied) return send(res, denied);
    }

    let controls = resolveControls(req, route, parsed.body);
    if (controls.fault && controls.faultRate < 1) {
      // Deterministic spread: request n is faulted when floor(n·rate) steps up, so a rate of 0.5
      // faults exactly every other request.
      const n = faultCounter++;
      if (Math.floor((n + 1) * controls.faultRate) === Math.floor(n * controls.faultRate)) controls = { ...controls, fault: null };
    }
    ctx.controls = controls;
    const fault = controls.fault;
    if (fault?.kind === 'hang') return; // leave the socket open until the client gives up
    if (fault?.kind === 'status') {
      const out: Outcome =
        fault.body !== undefined ? { kind: 'json', status: fault.status, body: fault.body } : dialect.error(fault.status, defaultMessage(fault.status));
      if (fault.retryAfter !== undefined) out.headers = { ...out.headers, 'retry-after': String(fault.retryAfter) };
      return deliver(res, out, { ...controls, fault: null });
    }
    if (opts.models && route.model) {
      const model = route.model(ctx);
      if (model !== undefined && !opts.models.includes(model)) return send(res, dialect.modelNotFound(model));
    }
    let outcome: Outcome;
    try {
      outcome = await route.handle(ctx);
    } catch (err) {
      outcome = dialect.error(500, `simulator handler failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    return deliver(res, outcome, controls);
  }

  function resolveControls(req: IncomingMessage, route: Route, body: unknown): SimControls {
    let c = defaults;
    if (hasSimHeader(req)) c = { ...c, ...controlsFromHeaders(req.headers) };
    if (route.directiveText && body && typeof body === 'object') {
      let text = '';
      try {
        text = route.directiveText(body);
      } catch {
        text = '';
      }
      const d = parseDirective(text);
      if (d) c = { ...c, ...d };
    }
    return c;
  }

  function record(r: RecordedRequest): void {
    requests.push(r);
    if (requests.length > MAX_RECORDED) requests.splice(0, requests.length - MAX_RECORDED);
  }

  async function serveSim(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (path === '/_sim/controls') {
      if (method === 'POST' || method === 'PUT') {
        const parsed = parseBody(await readBody(req), 'application/json');
        handler.setDefaults(sanitizeControls(parsed.body));
      }
      return send(res, { kind: 'json', body: defaults });
    }
    if (path === '/_sim/requests') {
      if (method === 'DELETE') requests.length = 0;
      return send(res, { kind: 'json', body: requests });
    }
    if (path === '/_sim/health') return send(res, { kind: 'json', body: { ok: true, total: stats.total } });
    if (path.startsWith('/_sim/ernie/')) {
      const store = instance.ernieTokens;
      if (path === '/_sim/ernie/expire' && method === 'POST') store.expireAll();
      else if (path === '/_sim/ernie/tokens' && (method === 'POST' || method === 'PUT')) {
        const b = parseBody(await readBody(req), 'application/json').body as { expiresIn?: unknown } | null;
        if (typeof b?.expiresIn === 'number' && b.expiresIn >= 0) store.expiresIn = b.expiresIn;
      } else if (path === '/_sim/ernie/tokens' && method === 'DELETE') store.clear();
      else if (path !== '/_sim/ernie/tokens') return send(res, notFound(method, path));
      return send(res, { kind: 'json', body: { expiresIn: store.expiresIn, exchanges: store.exchanges, tokens: store.list() } });
    }
    if (path.startsWith('/_sim/payments/') || path.startsWith('/_sim/stripe/')) return servePayments(req, res, path, method);
    if (path === '/_sim/deepseek/cache') {
      if (method === 'DELETE') instance.prefixCache.clear();
      return send(res, { kind: 'json', body: { entries: instance.prefixCache.size } });
    }
    const img = /^\/_sim\/images\/([A-Za-z0-9]+)\.png$/.exec(path);
    if (img) {
      const png = images.get(img[1]);
      if (png) return send(res, { kind: 'bytes', body: png, contentType: 'image/png' });
    }
    return send(res, { kind: 'json', status: 404, body: { error: { message: `no simulator route ${path}`, type: 'invalid_request_error', param: null, code: null } } });
  }

  /**
   * `GET /_sim/payments/callbacks` (`DELETE` clears), `PUT /_sim/payments/hold` `{"hold": true}`,
   * `POST /_sim/payments/flush` `{"ids"?: [...]}`, `POST /_sim/payments/callbacks/{id}/send`
   * `{"url"?: "..."}`, `POST /_sim/stripe/sessions/{id}/settle` `{"outcome": "succeeded"|"failed"}`,
   * `POST /_sim/stripe/payment_intents/{pi}/dispute` `{"inquiry"?: true}`,
   * `POST /_sim/stripe/payment_intents/{pi}/dispute/close` `{"outcome": "won"|"lost"}`,
   * `POST /_sim/payments/wechatpay/trades/{out_trade_no}/refund` `{"amount": fen, "notify_url"?: "..."}`,
   * `POST /_sim/payments/alipay/trades/{out_trade_no}/refund` `{"amount": fen}`.
   */
  async function servePayments(req: IncomingMessage, res: ServerResponse, path: string, method: string): Promise<void> {
    const body = (method === 'GET' || method === 'DELETE' ? null : parseBody(await readBody(req), 'application/json').body) as Record<string, unknown> | null;
    if (path === '/_sim/payments/callbacks') {
      if (method === 'DELETE') payments.clear();
      return send(res, { kind: 'json', body: payments.callbacks });
    }
    if (path === '/_sim/payments/hold' && (method === 'PUT' || method === 'POST')) {
      payments.hold = body?.hold === true;
      return send(res, { kind: 'json', body: { hold: payments.hold } });
    }
    if (path === '/_sim/payments/flush' && method === 'POST') {
      const ids = Array.isArray(body?.ids) ? (body.ids as unknown[]).map(String) : undefined;
      return send(res, { kind: 'json', body: await payments.flush(ids) });
    }
    const one = /^\/_sim\/payments\/callbacks\/([\w]+)\/send$/.exec(path);
    if (one && method === 'POST') {
      try {
        return send(res, { kind: 'json', body: await payments.send(one[1], typeof body?.url === 'string' ? body.url : undefined) });
      } catch (err) {
        return send(res, { kind: 'json', status: 404, body: { error: { message: String(err) } } });
      }
    }
    const settle = /^\/_sim\/stripe\/sessions\/([\w]+)\/settle$/.exec(path);
    if (settle && method === 'POST') {
      const event = payments.settleStripe(settle[1], body?.outcome === 'failed' ? 'failed' : 'succeeded');
      return send(res, { kind: 'json', status: event ? 200 : 409, body: { event } });
    }
    const dispute = /^\/_sim\/stripe\/payment_intents\/([\w]+)\/dispute$/.exec(path);
    if (dispute && method === 'POST') {
      const event = payments.disputeStripe(dispute[1], { inquiry: body?.inquiry === true });
      return send(res, { kind: 'json', status: event ? 200 : 409, body: { event } });
    }
    const closed = /^\/_sim\/stripe\/payment_intents\/([\w]+)\/dispute\/close$/.exec(path);
    if (closed && method === 'POST') {
      const event = payments.closeStripeDispute(closed[1], body?.outcome === 'lost' ? 'lost' : 'won');
      return send(res, { kind: 'json', status: event ? 200 : 409, body: { event } });
    }
    const wxRefund = /^\/_sim\/payments\/wechatpay\/trades\/([^/]+)\/refund$/.exec(path);
    if (wxRefund && method === 'POST') {
      const refund = payments.refundWechatInDashboard(decodeURIComponent(wxRefund[1]), Number(body?.amount), typeof body?.notify_url === 'string' ? body.notify_url : undefined);
      return send(res, { kind: 'json', status: refund ? 200 : 409, body: { refund } });
    }
    const aliRefund = /^\/_sim\/payments\/alipay\/trades\/([^/]+)\/refund$/.exec(path);
    if (aliRefund && method === 'POST') {
      const refund = payments.refundAlipayInDashboard(decodeURIComponent(aliRefund[1]), Number(body?.amount));
      return send(res, { kind: 'json', status: refund ? 200 : 409, body: { refund } });
    }
    return send(res, notFound(method, path));
  }

  handler.setDefaults = (c) => {
    defaults = { ...defaults, ...c };
  };
  Object.defineProperty(handler, 'defaults', { get: () => defaults });
  handler.requests = requests;
  handler.stats = stats;
  handler.ernie = instance.ernieTokens;
  handler.payments = payments;
  return handler;
}

function hasSimHeader(req: IncomingMessage): boolean {
  for (const k in req.headers) if (k.startsWith('x-sim-')) return true;
  return false;
}

function notFound(method: string, path: string): Outcome {
  return {
    kind: 'json',
    status: 404,
    body: { error: { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null } },
  };
}

function defaultMessage(status: number): string {
  if (status === 429) return 'Rate limit reached (simulated).';
  if (status === 401) return 'Invalid API key (simulated).';
  if (status === 529 || status === 503) return 'Overloaded (simulated).';
  if (status >= 500) return 'The server had an error while processing your request (simulated).';
  return `Simulated error ${status}.`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Sends an outcome immediately, without latency or faults (auth and routing errors). */
function send(res: ServerResponse, out: Outcome): void {
  if (out.kind === 'sse') {
    res.writeHead(200, { ...SSE_HEADERS, ...out.headers });
    res.end(out.events.join(''));
    return;
  }
  if (out.kind === 'stream') {
    res.writeHead(out.status ?? 200, { 'content-type': out.contentType, ...out.headers });
    for (const c of out.chunks) res.write(c);
    res.end();
    return;
  }
  const body = out.kind === 'json' ? JSON.stringify(out.body) : out.body;
  const type = out.kind === 'json' ? 'application/json' : out.contentType;
  res.writeHead(out.status ?? 200, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...out.headers });
  res.end(body);
}

const MALFORMED_JSON = '{"id":"sim-malformed","object":"chat.completion","choices":[{"index":0,"message":{"role":"assist';
const MALFORMED_EVENT = 'data: {"id":"sim-malformed","choices":[{"delta":{"content":"cut\n\n';

function writeFlushed(res: ServerResponse, chunk: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    res.write(chunk, () => resolve());
  });
}

/** Sends an outcome with the request's latency and drop/cut/stall/malformed faults applied. */
async function deliver(res: ServerResponse, out: Outcome, c: SimControls): Promise<void> {
  let closed = false;
  const gone = new Promise<void>((resolve) => {
    res.once('close', () => {
      closed = true;
      resolve();
    });
  });
  if (c.ttftMs > 0) {
    await sleep(c.ttftMs);
    if (closed) return;
  }
  const fault = c.fault;
  const ok = (out.kind === 'sse' ? 200 : out.status ?? 200) < 400;
  if (out.kind === 'stream' && ok) return deliverChunks(res, out, c, () => closed, gone);
  if (out.kind !== 'sse') {
    if (ok && (fault?.kind === 'drop' || fault?.kind === 'cut')) {
      res.socket?.destroy();
      return;
    }
    // A plain answer has no pieces to send before stalling: it never comes.
    if (ok && fault?.kind === 'stall') return gone;
    if (ok && fault?.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(MALFORMED_JSON) });
      res.end(MALFORMED_JSON);
      return;
    }
    return send(res, out);
  }

  const events = out.events;
  let limit = events.length;
  if (fault?.kind === 'drop') limit = Math.max(0, Math.min(fault.afterChunks, events.length - 1));
  else if (fault?.kind === 'cut' || fault?.kind === 'stall') limit = pieceLimit(events.length, out.content, fault.afterPieces);
  else if (fault?.kind === 'malformed') limit = Math.min(1, events.length);
  const holds = fault?.kind === 'drop' || fault?.kind === 'cut' || fault?.kind === 'stall';
  res.writeHead(200, { ...SSE_HEADERS, ...out.headers });
  let rest = '';
  if (c.splitBytes > 0) {
    // Every event in pieces of splitBytes bytes, each flushed and a millisecond apart (its own read
    // at the client), then the end as usual.
    for (let i = 0; i < limit; i++) {
      if (i > 0 && c.chunkDelayMs > 0) await sleep(c.chunkDelayMs);
      const bytes = Buffer.from(events[i], 'utf8');
      for (let at = 0; at < bytes.length; at += c.splitBytes) {
        if (closed) return;
        await writeFlushed(res, bytes.subarray(at, at + c.splitBytes));
        await sleep(1);
      }
    }
  } else if (c.chunkDelayMs <= 0) {
    // Fast path (benchmarks): one write for the whole stream.
    rest = limit === events.length ? events.join('') : events.slice(0, limit).join('');
  } else {
    for (let i = 0; i < limit; i++) {
      if (i > 0) {
        await sleep(c.chunkDelayMs);
        if (closed) return;
      }
      if (holds && i === limit - 1) await writeFlushed(res, events[i]);
      else res.write(events[i]);
    }
  }
  if (holds) {
    // Let what was promised reach the kernel, then cut the connection mid-stream, or (stall) send
    // nothing more and keep it open until the client gives up.
    if (rest) await writeFlushed(res, rest);
    if (fault?.kind === 'stall') return gone;
    res.socket?.destroy();
    return;
  }
  if (fault?.kind === 'malformed') {
    res.end(rest + MALFORMED_EVENT);
    return;
  }
  res.end(rest);
}

/**
 * How many events go out before a `cut:N` / `stall:N` fault: up to and including the Nth content
 * piece (`content` marks which events carry one; absent, every event does), and always fewer than
 * all of them, so the stream never reaches its end.
 */
function pieceLimit(total: number, content: number[] | undefined, pieces: number): number {
  const marks = content ?? Array.from({ length: total }, (_, i) => i);
  const limit = pieces <= 0 ? 0 : pieces <= marks.length ? marks[pieces - 1] + 1 : total;
  return Math.max(0, Math.min(limit, total - 1));
}

/**
 * Sends a binary body in several writes (chunked transfer encoding, no content-length), pausing
 * chunkDelayMs between writes. `drop:N` / `cut:N` cut the connection after N chunks (always before
 * the last); `stall:N` sends N chunks and then nothing until the client leaves; `malformed` sends
 * the first chunk, then bytes that are not part of the format.
 */
async function deliverChunks(res: ServerResponse, out: Extract<Outcome, { kind: 'stream' }>, c: SimControls, closed: () => boolean, gone: Promise<void>): Promise<void> {
  const fault = c.fault;
  const chunks = out.chunks;
  let limit = chunks.length;
  if (fault?.kind === 'drop') limit = Math.max(0, Math.min(fault.afterChunks, chunks.length - 1));
  else if (fault?.kind === 'cut' || fault?.kind === 'stall') limit = pieceLimit(chunks.length, undefined, fault.afterPieces);
  else if (fault?.kind === 'malformed') limit = Math.min(1, chunks.length);
  const holds = fault?.kind === 'drop' || fault?.kind === 'cut' || fault?.kind === 'stall';
  res.writeHead(out.status ?? 200, { 'content-type': out.contentType, ...out.headers });
  for (let i = 0; i < limit; i++) {
    if (i > 0 && c.chunkDelayMs > 0) {
      await sleep(c.chunkDelayMs);
      if (closed()) return;
    }
    if (holds && i === limit - 1) await writeFlushed(res, chunks[i]);
    else res.write(chunks[i]);
  }
  if (fault?.kind === 'stall') return gone;
  if (holds) {
    res.socket?.destroy();
    return;
  }
  if (fault?.kind === 'malformed') {
    res.end(MALFORMED_JSON);
    return;
  }
  res.end();
}

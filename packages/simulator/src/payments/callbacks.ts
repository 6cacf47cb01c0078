// Server-to-server callbacks of the simulated payment providers (EPay notifies, Stripe webhooks),
// delivered like the real ones: right after the payment, retried when the merchant does not answer
// as the provider expects. Tests can hold them (`hold`), read them, and deliver them themselves —
// twice, out of order, or to two gateway processes at once.

export interface CallbackAttempt {
  at: number;
  /** HTTP status, or 0 when the merchant could not be reached. */
  status: number;
  body: string;
  /** Whether the merchant answered as the provider requires (EPay: the body `success`; Stripe: 2xx). */
  ok: boolean;
}

export interface PaymentCallback {
  id: string;
  provider: 'epay' | 'stripe' | 'alipay' | 'wechatpay';
  /** EPay: the trade number and status; Stripe: the event id. */
  event: string;
  /** Stripe's event type, EPay's trade_status. */
  type: string;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
  state: 'held' | 'delivering' | 'delivered' | 'failed';
  attempts: CallbackAttempt[];
  /** Signs again at delivery time (Stripe signatures carry a timestamp); absent: sent as recorded. */
  resign?: () => { headers: Record<string, string>; body: string };
}

const MAX_KEPT = 200;

export class CallbackQueue {
  readonly list: PaymentCallback[] = [];
  /** While true, new callbacks are recorded as `held` and not sent until `flush()`. */
  hold = false;
  private seq = 0;
  /** Each delivery under way, until it has its outcome (`delivered` or `failed`). */
  private readonly deliveries = new WeakMap<PaymentCallback, Promise<void>>();

  constructor(
    private readonly retries: number,
    private readonly retryDelayMs: number,
  ) {}

  /** Records a callback and, unless held, delivers it in the background (with retries). */
  add(cb: Omit<PaymentCallback, 'id' | 'state' | 'attempts'>): PaymentCallback {
    const rec: PaymentCallback = { ...cb, id: `cb_${++this.seq}`, state: this.hold ? 'held' : 'delivering', attempts: [] };
    this.list.push(rec);
    if (this.list.length > MAX_KEPT) this.list.splice(0, this.list.length - MAX_KEPT);
    if (!this.hold) this.deliver(rec);
    return rec;
  }

  /** Resolves once the callback's delivery has its outcome; at once for one held or never sent. */
  settled(c: PaymentCallback): Promise<void> {
    return this.deliveries.get(c) ?? Promise.resolve();
  }

  private deliver(c: PaymentCallback): Promise<void> {
    const p = this.deliverWithRetries(c);
    this.deliveries.set(c, p);
    return p;
  }

  /** Delivers every held callback (in the order they were made, or the order of `ids`); resolves when each has an answer. */
  async flush(ids?: string[]): Promise<PaymentCallback[]> {
    const held = ids ? ids.map((id) => this.list.find((c) => c.id === id && c.state === 'held')).filter((c): c is PaymentCallback => !!c) : this.list.filter((c) => c.state === 'held');
    for (const c of held) c.state = 'delivering';
    await Promise.all(held.map((c) => this.deliver(c)));
    return held;
  }

  /** Sends one callback once more, to its own URL or another (a second gateway process); no retries. */
  async send(id: string, url?: string): Promise<CallbackAttempt> {
    const c = this.list.find((x) => x.id === id);
    if (!c) throw new Error(`no callback ${id}`);
    return this.attempt(c, url ?? c.url);
  }

  clear(): void {
    this.list.length = 0;
  }

  private async deliverWithRetries(c: PaymentCallback): Promise<void> {
    for (let i = 0; i <= this.retries; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, this.retryDelayMs * 2 ** (i - 1)));
      const a = await this.attempt(c, c.url);
      if (a.ok) {
        c.state = 'delivered';
        return;
      }
    }
    c.state = 'failed';
  }

  private async attempt(c: PaymentCallback, url: string): Promise<CallbackAttempt> {
    const signed = c.resign ? c.resign() : { headers: c.headers, body: c.body };
    let attempt: CallbackAttempt;
    try {
      const res = await fetch(url, { method: c.method, headers: signed.headers, body: c.method === 'GET' ? undefined : signed.body, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      const ok = c.provider === 'epay' || c.provider === 'alipay' ? res.status === 200 && text.trim() === 'success' : res.status >= 200 && res.status < 300;
      attempt = { at: Date.now(), status: res.status, body: text.slice(0, 500), ok };
    } catch (err) {
      attempt = { at: Date.now(), status: 0, body: String(err), ok: false };
    }
    c.attempts.push(attempt);
    return attempt;
  }
}

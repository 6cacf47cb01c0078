// Public types of the simulator. Kept in one file so index.ts can re-export them verbatim.

export interface SimulatorOptions {
  /** 0 (default) = pick a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, every provider route requires this key in that provider's own auth header/query. */
  apiKey?: string;
  /** Initial instance controls. */
  defaults?: Partial<SimControls>;
  /** When set, a model outside this list gets the dialect's "model not found" error. */
  models?: string[];
  /** A1111 WebUI `--api-auth user:pass`: when set, /sdapi routes require HTTP Basic auth. */
  basicAuth?: string;
  /** Lifetime in seconds of the Baidu (ERNIE) access tokens the simulator issues; default 2592000 (30 days). */
  ernieTokenExpiresIn?: number;
  /** The simulated payment providers (EPay, Stripe Checkout): merchant credentials and callback delivery. */
  payments?: PaymentOptions;
  /**
   * Counts a text's o200k_base tokens in place of gpt-tokenizer, which the simulator uses by default
   * so that tests check the gateway's metering against an independent count. gpt-tokenizer's merge
   * is quadratic in a piece's length (one repeated character is one piece: 150,000 "中" take minutes)
   * and its tables hold about 50 MB; a gateway that runs the simulator in its own process for its demo
   * channel passes its own counter, so a long prompt cannot stop that process.
   */
  countTokens?: (text: string) => number;
}

export interface PaymentOptions {
  /** The EPay merchant: id (default `1001`) and MD5 key (default `simulator-epay-key`). */
  epay?: { pid?: string; key?: string };
  /**
   * The Stripe account: secret key the API wants as bearer (default `sk_test_simulator`), and the
   * signing secret every webhook endpoint gets (as `stripe listen` prints one; default a new
   * `whsec_…` per endpoint, answered when it is created).
   */
  stripe?: { secretKey?: string; webhookSecret?: string };
  /**
   * The Alipay app: id (default `2021000000000001`), the app's public key (PEM) that checks the
   * merchant's RSA2-signed requests, and Alipay's private key (PEM) that signs notifies.
   */
  alipay?: { appId?: string; appPublicKey?: string; privateKey?: string };
  /**
   * The WeChat Pay merchant: `mchId` (default `1230000109`), `appId`, the merchant's public key (PEM)
   * and certificate serial that check its `WECHATPAY2-SHA256-RSA2048` requests, the platform's
   * private key (PEM) and serial that sign answers and callbacks, and the 32-character APIv3 key.
   */
  wechatpay?: {
    mchId?: string;
    appId?: string;
    merchantPublicKey?: string;
    merchantSerial?: string;
    platformPrivateKey?: string;
    platformSerial?: string;
    apiV3Key?: string;
    /** The merchant platform's 退款结果通知 address: where refunds without a `notify_url` of their own (those made in the dashboard too) are notified. */
    refundNotifyUrl?: string;
  };
  /** Deliveries after the first when the merchant does not answer as required (default 3). */
  retries?: number;
  /** Delay before the first retry, doubling after (default 200 ms). */
  retryDelayMs?: number;
}

/** Test handle on the simulated payment providers (also at /_sim/payments/*). */
export interface SimPayments {
  /** Callbacks sent or held, oldest first (live array). */
  readonly callbacks: readonly PaymentCallbackInfo[];
  /** While true, callbacks are recorded but not sent until `flush()`. */
  hold: boolean;
  /** Sends every held callback (or those named, in that order); resolves when each was answered. */
  flush(ids?: string[]): Promise<PaymentCallbackInfo[]>;
  /** Sends a callback once more, to its URL or `url` (another gateway process), and answers the merchant's reply. */
  send(id: string, url?: string): Promise<{ status: number; body: string; ok: boolean }>;
  /** A delayed Stripe payment settles: emits `checkout.session.async_payment_succeeded` / `_failed`; the event id, or null. */
  settleStripe(sessionId: string, outcome: 'succeeded' | 'failed'): string | null;
  /** The payer disputes a paid Stripe charge with their bank (or the bank only inquires): emits `charge.dispute.created`; the event id, or null. */
  disputeStripe(paymentIntent: string, o?: { inquiry?: boolean }): string | null;
  /** The bank decides the charge's dispute: emits `charge.dispute.closed` (`won`: the money is back with the merchant); the event id, or null. */
  closeStripeDispute(paymentIntent: string, outcome: 'won' | 'lost'): string | null;
  /** Stripe's rate limiter refuses the next `n` API requests (HTTP 429, code `rate_limit`), as under a burst of traffic. */
  rateLimitStripe(n: number): void;
  /**
   * A refund made in the WeChat Pay merchant platform (not through the API): `amount` fen of the
   * paid trade `outTradeNo` back to the payer, notified (REFUND.SUCCESS) to `notifyUrl` or the
   * merchant platform's refund address (`wechatpay.refundNotifyUrl`). The refund, or null when the
   * trade is not paid or less than `amount` is left of it.
   */
  refundWechatInDashboard(outTradeNo: string, amount: number, notifyUrl?: string): Record<string, unknown> | null;
  /**
   * A refund made in the Alipay merchant platform: `amount` fen of the paid trade `outTradeNo` back to
   * the payer, notified to its notify_url (`refund_fee` the refunds so far, `trade_status`
   * TRADE_CLOSED once nothing is left). Null when the trade is not paid or less than `amount` is left.
   */
  refundAlipayInDashboard(outTradeNo: string, amount: number): { out_biz_no: string; refund_fee: string; trade_status: string } | null;
  /** The next `n` alipay.trade.refund requests answer code 20000 (Service Currently Unavailable), as Alipay under load. */
  alipayBusy(n: number): void;
  /**
   * The next `n` alipay.trade.refund answers leave only once the refund's notify has been answered
   * by the merchant: the order a merchant sees when Alipay's answer is slow on its way back.
   */
  alipayNotifyFirst(n: number): void;
  /** Sets (or, null, clears) the refund notification address of the WeChat Pay merchant platform (`wechatpay.refundNotifyUrl`). */
  setWechatRefundNotifyUrl(url: string | null): void;
  clear(): void;
}

export interface PaymentCallbackInfo {
  id: string;
  provider: 'epay' | 'stripe' | 'alipay' | 'wechatpay';
  event: string;
  type: string;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
  state: 'held' | 'delivering' | 'delivered' | 'failed';
  attempts: { at: number; status: number; body: string; ok: boolean }[];
}

export interface SimControls {
  /** Delay before the first byte (plain: before the whole response). */
  ttftMs: number;
  /** Delay between stream events. */
  chunkDelayMs: number;
  /** Number of content chunks a streamed reply is split into. */
  chunks: number;
  /** Reply text; null = the default deterministic reply. */
  reply: string | null;
  fault: SimFault | null;
  /** Share of requests the fault hits (0..1, default 1), spread evenly: 0.5 = every other request. */
  faultRate: number;
  /** Omit usage from responses and streams. */
  noUsage: boolean;
  /**
   * Streams (SSE): each event is written in pieces of this many bytes, a millisecond apart, so the
   * client reads events, and characters, cut anywhere, as a slow network or a buffering proxy
   * delivers them (0 = each event in one write).
   */
  splitBytes: number;
  /**
   * Which tool the reply calls when it may call one: a tool's name (offered or not), `none` to
   * answer in text though tools are offered; null = the default (the named or first tool). Like
   * every tool call, never right after a tool result.
   */
  tool: string | null;
  /**
   * The arguments of that call: JSON object text for a function tool (anything else is ignored),
   * the input text for a free-form (custom) tool; null = sampled from the tool's schema.
   */
  toolArgs: string | null;
}

export type SimFault =
  | { kind: 'status'; status: number; body?: unknown; retryAfter?: number }
  | { kind: 'drop'; afterChunks: number }
  /** Streams: the connection is destroyed right after the Nth content piece (no terminal event). */
  | { kind: 'cut'; afterPieces: number }
  /** Streams: after the Nth content piece nothing more is sent, and the connection stays open until the client leaves. */
  | { kind: 'stall'; afterPieces: number }
  | { kind: 'hang' }
  | { kind: 'malformed' };

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Parsed JSON body; for multipart forms, the text fields (`name[]` fields as arrays); otherwise null. */
  body: unknown;
  /** A JSON body's text as it came (spacing, escapes, repeated keys and all); absent for other bodies. */
  text?: string;
  /** Multipart file parts (metadata only), by field name; absent when there were none. */
  files?: Record<string, { filename: string; contentType: string; size: number }>;
  /** Epoch ms when the request arrived. */
  at: number;
}

export interface Simulator {
  /** e.g. http://127.0.0.1:43123 (no trailing slash). */
  url: string;
  port: number;
  setDefaults(c: Partial<SimControls>): void;
  /** The last 200 requests received (oldest first). Live array. */
  requests: RecordedRequest[];
  /** `aborted`: responses whose client went away before they finished. */
  stats: { total: number; aborted: number };
  /** Baidu (ERNIE) access tokens issued by this instance. */
  ernie: ErnieTokens;
  /** The simulated payment providers' callbacks. */
  payments: SimPayments;
  close(): Promise<void>;
}

/** One access token issued by the simulated Baidu OAuth endpoint. */
export interface IssuedToken {
  access_token: string;
  client_id: string;
  /** Epoch ms. */
  issued_at: number;
  /** Epoch ms; a token at or past this answers error 111. */
  expires_at: number;
}

/** Test handle on the simulated Baidu token endpoint (also at /_sim/ernie/*). */
export interface ErnieTokens {
  /** Successful token exchanges (POST /oauth/2.0/token) so far. */
  readonly exchanges: number;
  /** Issued tokens, oldest first, with whether each has expired. */
  list(): Array<IssuedToken & { expired: boolean }>;
  /** Expires every issued token now (chat then answers error 111); returns how many were valid. */
  expireAll(): number;
  /** Lifetime in seconds of tokens issued from now on. */
  expiresIn: number;
  /** Forgets all tokens (chat then answers error 110) and resets `exchanges`. */
  clear(): void;
}

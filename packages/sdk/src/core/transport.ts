import { APIConnectionError, APIError, APITimeoutError, APIUserAbortError, makeError } from './errors.js';
import { env, newIdempotencyKey, normaliseBaseURL } from './env.js';

export interface ClientOptions {
  /** An App key (`sk-…`). Default: `AIGCCLOUD_API_KEY`. Without one, calls carry no key (the console's cookie session). */
  apiKey?: string | null;
  /** The gateway, e.g. `http://localhost:3000` (a trailing `/v1` is accepted). Default: `AIGCCLOUD_BASE_URL`, else `http://localhost:3000`; `''` means the page's own origin. */
  baseURL?: string;
  /** Milliseconds a call may take before it is abandoned (for a stream: until its first byte). Default 10 minutes. */
  timeout?: number;
  /** Retries after a connection failure, timeout, 408, 409, 429 or 5xx. Default 2. */
  maxRetries?: number;
  /** Longest `retry-after` (seconds) the client waits out itself; a longer one is thrown to the caller. Default 60. */
  maxRetryWait?: number;
  /** A fetch implementation (tests, proxies, custom agents). Default: the global fetch. */
  fetch?: typeof fetch;
  /** Headers sent with every call. */
  defaultHeaders?: Record<string, string>;
  /** Cookie policy for fetch; the console uses `same-origin` with no key. */
  credentials?: RequestCredentials;
  /** Told before each retry: what failed and how long the client waits (for logging). A promise it returns is awaited before the wait. */
  onRetry?: (info: RetryInfo) => void | Promise<unknown>;
}

export interface RetryInfo {
  method: string;
  path: string;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  /** The failure that is being retried. */
  error: APIError;
}

/** Per-call options, the last argument of every method. */
export interface RequestOptions {
  signal?: AbortSignal;
  timeout?: number;
  maxRetries?: number;
  headers?: Record<string, string>;
  /** Sent as `Idempotency-Key` on every attempt of a write; one is made up per call when not given. */
  idempotencyKey?: string;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  /** JSON body. */
  body?: unknown;
  /** Multipart body (uploads); sent as is on every attempt. */
  form?: FormData;
  /** Keep the body unread (streams, audio): the timeout then ends at the response's headers. */
  raw?: boolean;
}

const RETRY_STATUSES = new Set([408, 409, 429]);
const DEFAULT_TIMEOUT_MS = 600_000;

/**
 * The one HTTP path of the SDK: authentication, timeouts, abort signals, retries with backoff that
 * honour `retry-after` and `x-should-retry`, an idempotency key on writes, and typed errors.
 */
export class Transport {
  readonly baseURL: string;
  readonly apiKey: string | null;
  private readonly opts: Required<Pick<ClientOptions, 'timeout' | 'maxRetries' | 'maxRetryWait'>> & ClientOptions;

  constructor(options: ClientOptions = {}) {
    const apiKey = options.apiKey === undefined ? (env('AIGCCLOUD_API_KEY') ?? null) : options.apiKey;
    const base = options.baseURL ?? env('AIGCCLOUD_BASE_URL') ?? 'http://localhost:3000';
    this.baseURL = normaliseBaseURL(base);
    this.apiKey = apiKey;
    this.opts = { ...options, timeout: options.timeout ?? DEFAULT_TIMEOUT_MS, maxRetries: options.maxRetries ?? 2, maxRetryWait: options.maxRetryWait ?? 60 };
  }

  url(path: string, query?: Query): string {
    let url = this.baseURL + path;
    if (query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
      const s = qs.toString();
      if (s) url += `?${s}`;
    }
    return url;
  }

  /**
   * A JSON call: the parsed body (null for an empty one) and the response's headers. An object body
   * carries the gateway's request id as `_request_id` (not enumerable: it is not part of the JSON).
   */
  async json<T>(req: HttpRequest, options: RequestOptions = {}): Promise<{ data: T; headers: Headers }> {
    const { response, text } = await this.send({ ...req, raw: false }, options);
    const data = (text ? JSON.parse(text) : null) as T;
    if (data && typeof data === 'object') Object.defineProperty(data, '_request_id', { value: response.headers.get('x-request-id'), enumerable: false });
    return { data, headers: response.headers };
  }

  /** A call whose body the caller reads (a stream, audio): the response once its headers arrived. */
  async raw(req: HttpRequest, options: RequestOptions = {}): Promise<Response> {
    return (await this.send({ ...req, raw: true }, options)).response;
  }

  private async send(req: HttpRequest, options: RequestOptions): Promise<{ response: Response; text: string }> {
    const maxRetries = options.maxRetries ?? this.opts.maxRetries;
    const headers = this.headers(req, options);
    for (let attempt = 0; ; attempt++) {
      let error: APIError;
      try {
        return await this.attempt(req, headers, options);
      } catch (err) {
        if (!(err instanceof APIError) || err instanceof APIUserAbortError) throw err;
        error = err;
      }
      const delay = this.retryDelay(error, attempt, maxRetries);
      if (delay === null) throw error;
      await this.opts.onRetry?.({ method: req.method, path: req.path, attempt: attempt + 1, delayMs: delay, error });
      await sleep(delay, options.signal);
    }
  }

  private headers(req: HttpRequest, options: RequestOptions): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json', ...this.opts.defaultHeaders };
    if (this.apiKey) h.authorization = `Bearer ${this.apiKey}`;
    if (req.body !== undefined) h['content-type'] = 'application/json';
    // One key for every attempt of this call: a retried credit move is applied once (the gateway
    // replays the first answer).
    if (req.method !== 'GET') h['idempotency-key'] = options.idempotencyKey ?? newIdempotencyKey();
    return { ...h, ...options.headers };
  }

  private async attempt(req: HttpRequest, headers: Record<string, string>, options: RequestOptions): Promise<{ response: Response; text: string }> {
    const timeoutMs = options.timeout ?? this.opts.timeout;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    const signal = options.signal;
    if (signal?.aborted) throw new APIUserAbortError('The call was aborted.');
    signal?.addEventListener('abort', onAbort, { once: true });
    const doFetch = this.opts.fetch ?? globalThis.fetch;
    const fail = (err: unknown): never => {
      if (signal?.aborted) throw new APIUserAbortError('The call was aborted.', { cause: err });
      if (timedOut) throw new APITimeoutError(`No answer within ${timeoutMs} ms.`, { cause: err });
      throw new APIConnectionError(`Connection error: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    };
    let response: Response;
    try {
      response = await doFetch(this.url(req.path, req.query), {
        method: req.method,
        headers,
        body: req.form ?? (req.body === undefined ? undefined : JSON.stringify(req.body)),
        signal: controller.signal,
        ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
      });
    } catch (err) {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return fail(err);
    }
    try {
      if (!response.ok) {
        const text = await response.text().catch(() => '');
        throw makeError(response.status, text || `${response.status} ${response.statusText}`.trim(), response.headers);
      }
      if (req.raw) {
        // The caller reads the body; the caller's signal still ends it, the timeout no longer does.
        clearTimeout(timer);
        return { response, text: '' };
      }
      return { response, text: await response.text() };
    } catch (err) {
      if (err instanceof APIError) throw err;
      return fail(err);
    } finally {
      clearTimeout(timer);
      if (!req.raw || !response.ok) signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Null when the failure is final. `x-should-retry` decides when the server sent it (`false` on an
   * empty balance); otherwise connection failures, timeouts, 408, 409, 429 and 5xx are retried, after
   * the server's `retry-after` when it gave one (up to maxRetryWait), else after an exponential
   * backoff with jitter (0.5 s doubling, at most 8 s).
   */
  private retryDelay(error: APIError, attempt: number, maxRetries: number): number | null {
    if (attempt >= maxRetries) return null;
    const should = error.headers.get('x-should-retry');
    if (should === 'false') return null;
    const retryable = should === 'true' || error instanceof APIConnectionError || RETRY_STATUSES.has(error.status) || error.status >= 500;
    if (!retryable) return null;
    const after = error.retryAfter;
    if (after !== null) return after <= this.opts.maxRetryWait ? Math.ceil(after * 1000) : null;
    const base = Math.min(500 * 2 ** attempt, 8_000);
    return Math.round(base * (1 - Math.random() * 0.25));
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new APIUserAbortError('The call was aborted.'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new APIUserAbortError('The call was aborted.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

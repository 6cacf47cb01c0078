/**
 * The editor's one door to the gateway, through @apigpt/sdk: streamed chat, image generation, the
 * balance and the account's prices. It also turns every failure into one of a few kinds the editor
 * can explain (and that `ai-error` reports), and knows what the last action cost.
 */
import {
  APIGPT,
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  ContentFilterError,
  InsufficientCreditError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UpstreamError,
  InternalServerError,
} from '@apigpt/sdk';

export type ErrorKind = 'credit' | 'rate_limit' | 'network' | 'origin' | 'auth' | 'model' | 'content_filter' | 'config' | 'upstream' | 'other';

/** A failure as the editor reports it: its kind, the gateway's own words, and the HTTP facts. */
export class EditorAIError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly status: number = 0,
    readonly code: string | null = null,
    readonly requestId: string | null = null,
  ) {
    super(message);
    this.name = 'EditorAIError';
  }
}

/** Per 1K tokens, in P, as this account pays (the gateway's /api/models). */
interface TokenPrice {
  input: number;
  output: number;
  cachedInput: number;
}

export interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

export interface ClientSettings {
  baseUrl: string;
  apiKey: string;
}

/** Header the gateway sets on a buffered relay answer: what the call was charged, in P. */
const COST_HEADER = 'x-apigpt-cost';

export class EditorClient {
  readonly sdk: APIGPT;
  private readonly prices = new Map<string, Promise<TokenPrice | null>>();
  /** The charge the gateway stated for the last buffered answer (images), in P. */
  private lastCost: number | null = null;

  constructor(private readonly settings: ClientSettings) {
    this.sdk = new APIGPT({
      apiKey: settings.apiKey,
      baseURL: settings.baseUrl,
      // A person is waiting and sees the error: retrying a refusal only delays the message. The
      // gateway already fails over between channels on its side.
      maxRetries: 0,
      // Never the page's cookies: the key is the only credential a foreign page may use.
      credentials: 'omit',
      fetch: (input, init) =>
        globalThis.fetch(input, init).then((res) => {
          const cost = res.headers.get(COST_HEADER);
          if (cost !== null && Number.isFinite(Number(cost))) this.lastCost = Number(cost);
          return res;
        }),
    });
  }

  /** Streams a chat answer; `onText` gets each piece. Resolves with the whole text and the cost in P. */
  async streamChat(
    model: string,
    messages: { role: 'system' | 'user'; content: string }[],
    onText: (text: string) => void,
    signal: AbortSignal,
  ): Promise<{ text: string; cost: number | null; stopped: boolean }> {
    let stream;
    try {
      stream = await this.sdk.chat.completions.stream({ model, messages }, { signal });
    } catch (err) {
      throw await this.explain(err);
    }
    let stopped = false;
    try {
      for await (const text of stream.textDeltas()) onText(text);
    } catch (err) {
      if (err instanceof APIUserAbortError || signal.aborted) stopped = true;
      else throw await this.explain(err);
    }
    return { text: stream.text, cost: stream.usage ? await this.costOf(model, stream.usage) : null, stopped };
  }

  /** Generates one image; resolves with a data: URL (self-contained, it never expires) and its cost. */
  async generateImage(model: string, prompt: string, signal: AbortSignal): Promise<{ src: string; cost: number | null; revisedPrompt: string | null }> {
    this.lastCost = null;
    let res;
    try {
      res = await this.sdk.images.generate({ model, prompt, n: 1 }, { signal });
    } catch (err) {
      throw await this.explain(err);
    }
    const img = res.data?.[0];
    if (!img) throw new EditorAIError('upstream', 'The image service answered without an image.');
    const src = img.b64_json ? `data:${sniffImageType(img.b64_json)};base64,${img.b64_json}` : new URL(img.url ?? '', this.sdk.baseURL || location.href).href;
    return { src, cost: this.lastCost, revisedPrompt: img.revised_prompt ?? null };
  }

  /** The account's balance in P, or null when this key may not read it (or the gateway refuses). */
  async balance(signal?: AbortSignal): Promise<number | null> {
    try {
      return (await this.sdk.account.balance({ signal })).balance;
    } catch {
      return null;
    }
  }

  /**
   * What a streamed answer cost, from its usage and this account's prices, the way the gateway
   * prices tokens (billing/pricing.ts costOf: plain and cached input, output, per 1K). A stream's
   * headers leave before its cost is known, so the gateway cannot state it in a header.
   */
  private async costOf(model: string, usage: Usage): Promise<number | null> {
    let price = this.prices.get(model);
    if (!price) {
      price = this.sdk.models.retrieve(model).then(
        (m) => (m.price ? { input: m.price.input, output: m.price.output, cachedInput: m.price.cachedInput } : null),
        () => null,
      );
      this.prices.set(model, price);
    }
    const p = await price;
    if (!p) return null;
    const prompt = usage.prompt_tokens ?? 0;
    const cached = Math.min(usage.prompt_tokens_details?.cached_tokens ?? 0, prompt);
    const cost = ((prompt - cached) * p.input + cached * p.cachedInput + (usage.completion_tokens ?? 0) * p.output) / 1000;
    // The gateway counts in micro-P and rounds up once.
    return Math.ceil(Math.round(cost * 1e9) / 1e3) / 1e6;
  }

  /** The kind of a failure. A fetch that failed without an answer is told apart by asking the gateway's probe. */
  async explain(err: unknown): Promise<EditorAIError> {
    if (err instanceof EditorAIError) return err;
    if (!(err instanceof APIError)) return new EditorAIError('other', err instanceof Error ? err.message : String(err));
    const base = (kind: ErrorKind) => new EditorAIError(kind, err.message, err.status, err.code, err.requestId);
    if (err instanceof InsufficientCreditError) return base('credit');
    if (err instanceof ContentFilterError) return base('content_filter');
    if (err instanceof RateLimitError) return base('rate_limit');
    if (err instanceof AuthenticationError) return base('auth');
    if (err instanceof PermissionDeniedError) return base(err.code === 'origin_not_allowed' ? 'origin' : err.code === 'model_not_allowed' ? 'model' : 'other');
    if (err instanceof NotFoundError) return base(err.code === 'model_not_found' ? 'model' : 'other');
    if (err instanceof UpstreamError || err instanceof InternalServerError) return base('upstream');
    if (err instanceof APIConnectionError && !(err instanceof APITimeoutError)) return base((await this.gatewayReachable()) ? 'origin' : 'network');
    if (err instanceof APITimeoutError) return base('network');
    return base('other');
  }

  /**
   * A browser hides why a cross-origin call failed. The gateway refuses the CORS preflight of an
   * origin no key allows, so when the call failed but an opaque (no-cors) request to the gateway's
   * liveness probe goes through, the gateway is up and it is this page's origin that was refused.
   */
  private async gatewayReachable(): Promise<boolean> {
    try {
      const base = this.sdk.baseURL.replace(/\/v1\/?$/, '') || location.origin;
      await globalThis.fetch(`${base}/healthz`, { mode: 'no-cors', cache: 'no-store', credentials: 'omit' });
      return true;
    } catch {
      return false;
    }
  }
}

function sniffImageType(b64: string): string {
  if (b64.startsWith('/9j/')) return 'image/jpeg';
  if (b64.startsWith('UklGR')) return 'image/webp';
  if (b64.startsWith('R0lGOD')) return 'image/gif';
  return 'image/png';
}

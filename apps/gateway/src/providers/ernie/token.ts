import { createHash } from 'node:crypto';
import { Cancellation, type CancelSignal } from '../../core/cancel.js';
import { GatewayError } from '../../core/errors.js';
import type { CredentialContext, Credentials, ProviderChannel, ProviderFetch } from '../types.js';
import { ExchangeFailure, parseJson, trimSlash, upstreamFailure } from '../common/failure.js';

/**
 * Baidu's access tokens (Qianfan "获取access_token", cloud.baidu.com): the channel's API key and
 * secret key are exchanged at `POST {base}/oauth/2.0/token?grant_type=client_credentials
 * &client_id=&client_secret=` for `{access_token, expires_in}` (seconds; 30 days). A token serves
 * every call of its channel until shortly before it expires.
 */

/** Renew this long before Baidu's expiry (a tenth of the lifetime for short-lived tokens). */
const RENEW_MARGIN_MS = 5 * 60_000;

interface Entry {
  /** The secret the token was fetched with: a changed secret gets a new token. */
  secretHash: string;
  creds?: Credentials;
  /** When to fetch anew, before `creds.expiresAt`. */
  renewAt: number;
  /** The exchange in progress, shared by every call that needs a token meanwhile. */
  inflight?: Promise<Credentials>;
}

/** By channel id (each entry names the secret it is for). */
const cache = new Map<string, Entry>();
/** The token each call was handed, so its `refresh` drops that token and not a newer one. */
const handedOut = new WeakMap<CancelSignal, string>();

/** `API_KEY:SECRET_KEY`, split at the first colon; anything else is a channel misconfiguration. */
export function parseErnieSecret(channel: ProviderChannel): { apiKey: string; secretKey: string } {
  const secret = channel.secret?.trim() ?? '';
  const colon = secret.indexOf(':');
  if (colon <= 0 || colon === secret.length - 1)
    throw new GatewayError('upstream', `Channel ${channel.name} (Baidu ERNIE) is misconfigured: its secret must be "API_KEY:SECRET_KEY" (the application's API Key and Secret Key joined by a colon).`, {
      code: 'bad_channel_key',
    });
  return { apiKey: secret.slice(0, colon), secretKey: secret.slice(colon + 1) };
}

export async function ernieCredentials(channel: ProviderChannel, ctx: CredentialContext): Promise<Credentials> {
  const keys = parseErnieSecret(channel);
  const secretHash = createHash('sha256').update(channel.secret ?? '').digest('hex').slice(0, 32);
  let entry = cache.get(channel.id);
  if (!entry || entry.secretHash !== secretHash) {
    entry = { secretHash, renewAt: 0 };
    cache.set(channel.id, entry);
  }
  // Drop the token Baidu refused, unless another call already replaced it.
  if (ctx.refresh && entry.creds && entry.creds.token === (handedOut.get(ctx.signal) ?? entry.creds.token)) entry.creds = undefined;
  let creds: Credentials;
  if (entry.creds && Date.now() < entry.renewAt) creds = entry.creds;
  else {
    let inflight = entry.inflight;
    if (!inflight) {
      const e = entry;
      inflight = e.inflight = exchange(channel, keys, ctx.fetch).then(
        (c) => {
          e.creds = c;
          const lifetime = c.expiresAt - Date.now();
          e.renewAt = c.expiresAt - Math.min(RENEW_MARGIN_MS, lifetime / 10);
          e.inflight = undefined;
          return c;
        },
        (err: unknown) => {
          e.inflight = undefined;
          throw err;
        },
      );
    }
    creds = await whileWanted(inflight, ctx.signal);
  }
  handedOut.set(ctx.signal, creds.token);
  return creds;
}

/**
 * One exchange. It runs on its own signal so a caller who goes away does not fail the other calls
 * waiting for the same token (each waiter stops waiting on its own signal instead).
 */
async function exchange(channel: ProviderChannel, keys: { apiKey: string; secretKey: string }, fetch: ProviderFetch): Promise<Credentials> {
  const q = new URLSearchParams({ grant_type: 'client_credentials', client_id: keys.apiKey, client_secret: keys.secretKey });
  const res = await fetch(
    { method: 'POST', url: `${trimSlash(channel.baseUrl)}/oauth/2.0/token?${q.toString()}`, headers: { 'content-type': 'application/json', accept: 'application/json' } },
    new Cancellation(),
  );
  const body = parseJson(res.text) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } | undefined;
  if (res.status === 200 && typeof body?.access_token === 'string' && body.access_token) {
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 2_592_000;
    return { token: body.access_token, expiresAt: Date.now() + seconds * 1000 };
  }
  const code = typeof body?.error === 'string' ? body.error : null;
  const message = `Baidu token exchange failed: ${typeof body?.error_description === 'string' ? body.error_description : code ?? (res.text.slice(0, 300) || `HTTP ${res.status}`)}`;
  if (res.status >= 500 || res.status === 429) throw new ExchangeFailure({ ...upstreamFailure({ status: res.status, message, code, headers: res.headers }), status: res.status });
  // Any other refusal (401 invalid_client; a 200 without a token) is about the channel's keys.
  const status = res.status === 200 ? 401 : res.status;
  throw new ExchangeFailure({ ...upstreamFailure({ status, message, code, credentials: true }), credentials: true, status });
}

function whileWanted<T>(p: Promise<T>, signal: CancelSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(gone());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(gone());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function gone(): GatewayError {
  return new GatewayError('upstream', 'The client closed the connection.', { status: 499, code: 'client_closed' });
}

/**
 * The one way the console talks to the gateway: the SDK's transport (`@apigpt/sdk`) with the session
 * cookie and no key, no retries (a person is waiting and sees the error). Every failure becomes an
 * ApiError carrying the server's own message, so forms can show it verbatim.
 */
import { APIError, ManagementClient, Transport, errorFromResponse as sdkErrorFromResponse, type CallParameters, type OperationId, type Query, type ResponseOf } from '@apigpt/sdk/management';

/** The SDK's error, with what the console reads on top of it. */
export class ApiError extends APIError {
  /** The route does not exist yet on this server (a feature not deployed). */
  get missing(): boolean {
    return this.status === 404 && (this.code === 'unknown_url' || this.code === null);
  }
}

/** Any SDK error as the console's (same message, status, code, param, type and headers). */
export function asApiError(err: unknown): unknown {
  if (!(err instanceof APIError) || err instanceof ApiError) return err;
  if (err.name === 'APIUserAbortError') return err; // an abort the page asked for, not an error to show
  const status = err.status;
  const message = status === 0 && err.name !== 'APITimeoutError' ? `Network error: ${err.message}` : err.message;
  const e = new ApiError(message, { status, body: { message, code: err.code ?? (status === 0 ? 'network_error' : null), param: err.param, type: err.type }, headers: err.headers, retryAfter: err.retryAfter, cause: err });
  return e;
}

/** The transport of every console call: same origin, the login cookie, errors shown as they are. */
export const transport = new Transport({ apiKey: null, baseURL: '', maxRetries: 0, credentials: 'same-origin' });

export function withQuery(path: string, query?: Query): string {
  return query ? transport.url(path, query).slice(transport.baseURL.length) : path;
}

/** Listeners told when any call answers 401, so the app can return to the login page. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const mgmt = new ManagementClient(transport);

/** A management route by name, typed by the gateway's own schemas: `call('GET /api/billing/account')`. */
export async function call<Op extends OperationId>(op: Op, ...params: CallParameters<Op>): Promise<ResponseOf<Op>> {
  try {
    return await mgmt.call(op, ...params);
  } catch (err) {
    throw failed(err, op.slice(op.indexOf(' ') + 1));
  }
}

function failed(err: unknown, path: string): unknown {
  if (err instanceof APIError && err.status === 401 && !path.startsWith('/api/auth/')) unauthorizedListeners.forEach((fn) => fn());
  return asApiError(err);
}

export async function request<T>(method: string, path: string, body?: unknown, init: { signal?: AbortSignal } = {}): Promise<T> {
  try {
    const { data } = await transport.json<T>({ method: method as Method, path, body }, { signal: init.signal });
    return data;
  } catch (err) {
    throw failed(err, path);
  }
}

/** Reads the `{error:{message,type,param,code}}` envelope of a failed fetch Response. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  return asApiError(await sdkErrorFromResponse(res)) as ApiError;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', withQuery(path, query)),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
};

/**
 * The one way the console talks to the gateway: JSON over fetch with the session cookie. Every
 * failure becomes an ApiError carrying the server's own message, so forms can show it verbatim.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly type: string | null = null,
    /** Seconds to wait before trying again (`retry-after` of a 429), when the server said. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The route does not exist yet on this server (a feature not deployed). */
  get missing(): boolean {
    return this.status === 404 && (this.code === 'unknown_url' || this.code === null);
  }
}

type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

/** Listeners told when any call answers 401, so the app can return to the login page. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export async function request<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, credentials: 'same-origin', headers, body: body === undefined ? undefined : JSON.stringify(body), ...init });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(`Network error: ${(err as Error).message}`, 0, 'network_error');
  }
  if (!res.ok) {
    const e = await errorFromResponse(res);
    if (res.status === 401 && !path.startsWith('/api/auth/')) unauthorizedListeners.forEach((fn) => fn());
    throw e;
  }
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** Reads the `{error:{message,type,param,code}}` envelope; falls back to the status line. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let text = '';
  try {
    text = await res.text();
    const body = JSON.parse(text) as { error?: { message?: string; type?: string; param?: string | null; code?: string | null } | string; message?: string };
    const e = body.error;
    const retryAfter = Number(res.headers.get('retry-after')) || null;
    if (e && typeof e === 'object' && e.message) return new ApiError(e.message, res.status, e.code ?? null, e.param ?? null, e.type ?? null, retryAfter);
    if (typeof e === 'string') return new ApiError(e, res.status);
    if (body.message) return new ApiError(body.message, res.status);
  } catch {
    // not JSON: use the text or the status below
  }
  return new ApiError(text.trim().slice(0, 300) || `${res.status} ${res.statusText}`, res.status);
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', withQuery(path, query)),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
};

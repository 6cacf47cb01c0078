/**
 * Settings from the environment where there is one (Node, Deno, Bun); browsers have none. The same
 * names as the Python package, so one shell setup serves both SDKs.
 */
export function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = proc?.env?.[name];
  return v === undefined || v === '' ? undefined : v;
}

/** The gateway's origin as the SDK joins paths to it: no trailing slash, no `/v1` (paths carry it). */
export function normaliseBaseURL(url: string): string {
  return url.trim().replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** A fresh idempotency key; `randomUUID` is missing from pages served over plain http. */
export function newIdempotencyKey(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c?.randomUUID) return `sdk-${c.randomUUID()}`;
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return `sdk-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Which thrown values mean "a service the gateway depends on (PostgreSQL, Redis) cannot be reached
 * right now" — a moment's outage the caller should retry, not a fault of the gateway (a 500) nor of
 * the caller. `asGatewayError` (core/errors.ts) turns them into a retryable 503.
 *
 * The test is deliberately narrow: the shapes pg and ioredis give a lost or refused connection, and
 * Node's own socket errors. An upstream provider's connection errors never get here as raw errors
 * (relay/upstream.ts wraps them as `upstream` errors first), and a programming error (a TypeError, a
 * constraint violation, a syntax error) matches none of these, so it stays a logged 500.
 */
export interface DependencyFailure {
  /** Who failed, as far as the error tells: pg and ioredis have errors of their own, a socket error does not. */
  dependency: 'postgresql' | 'redis' | 'network';
  /** What happened, for the log (never shown to a caller). */
  reason: string;
}

/** Node's socket errors that mean the peer is gone, refused us or cannot be found. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN']);

/** The system calls a socket error comes from (a file error such as ENOENT from `open` is not an outage). */
const SOCKET_SYSCALLS = new Set(['connect', 'read', 'write', 'writev', 'getaddrinfo', 'shutdown']);

/** What pg and pg-pool throw, word for word, when a connection is lost, times out or was never made. */
const PG_MESSAGES = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
]);

/**
 * PostgreSQL's SQLSTATEs of an unusable server: class 08 (connection exception), 57P01-57P03 (admin
 * or crash shutdown, not accepting connections yet) and 53300 (too many connections).
 */
function pgUnavailable(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

/** What ioredis throws when its connection is down, word for word (or its error's name). */
const REDIS_MESSAGES = new Set(['Connection is closed.', "Stream isn't writeable and enableOfflineQueue options is false", 'Command timed out']);

/** Redis's own replies of a server that cannot serve for a moment (loading, failover, a busy script). */
const REDIS_REPLIES = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY)\b/;

export function dependencyFailure(err: unknown): DependencyFailure | null {
  if (!(err instanceof Error)) return null;
  const e = err as Error & { code?: unknown; syscall?: unknown; severity?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (e.name === 'MaxRetriesPerRequestError') return { dependency: 'redis', reason: e.message };
  if (REDIS_MESSAGES.has(e.message)) return { dependency: 'redis', reason: e.message };
  if (e.name === 'ReplyError' && REDIS_REPLIES.test(e.message)) return { dependency: 'redis', reason: e.message };
  if (PG_MESSAGES.has(e.message)) return { dependency: 'postgresql', reason: e.message };
  // pg's DatabaseError: a SQLSTATE and a severity, as the server sent them.
  if (typeof e.severity === 'string' && /^[0-9A-Z]{5}$/.test(code) && pgUnavailable(code)) return { dependency: 'postgresql', reason: `${code} ${e.message}` };
  if (SOCKET_CODES.has(code)) {
    if (typeof e.syscall === 'string' && SOCKET_SYSCALLS.has(e.syscall)) return { dependency: 'network', reason: `${e.syscall} ${code}` };
    // A host with several addresses (localhost: ::1 and 127.0.0.1) refuses with one AggregateError of
    // each attempt's socket error.
    if (err instanceof AggregateError && err.errors.length > 0 && err.errors.every((x) => dependencyFailure(x)?.dependency === 'network')) return { dependency: 'network', reason: `connect ${code}` };
  }
  return null;
}

/**
 * For the `.catch` of work nobody waits for (a circuit's bookkeeping, a background round): an outage
 * is dropped — the work is best-effort, and the outage is reported where it is noticed — while any
 * other error is thrown on, so a bug still surfaces as it would have without the catch.
 */
export function unlessOutage(err: unknown): void {
  if (!dependencyFailure(err)) throw err;
}

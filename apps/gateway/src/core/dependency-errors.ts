/**
 * Which thrown values mean "a service the gateway depends on (PostgreSQL, Redis) cannot be reached
 * right now", or "its storage cannot write right now" (a full disk, an I/O error, a file system
 * remounted read-only, a server out of resources) — a condition that passes, which the caller should
 * retry and a writer should wait out, not a fault of the gateway (a 500) nor of the caller or of the
 * rows being written. `asGatewayError` (core/errors.ts) turns them into a retryable 503; the request
 * log retries its batch instead of giving rows up (relay/request-log.ts).
 *
 * The test is deliberately narrow: the shapes pg and ioredis give a lost or refused connection, the
 * codes PostgreSQL, Redis and SQLite give a server or file that cannot write for now, and Node's own
 * socket and device errors. An upstream provider's connection errors never get here as raw errors
 * (relay/upstream.ts wraps them as `upstream` errors first), and a programming error (a TypeError, a
 * constraint violation, a syntax error) matches none of these, so it stays a logged 500.
 */
export interface DependencyFailure {
  /** Who failed, as far as the error tells: pg and ioredis have errors of their own, a socket error does not. */
  dependency: 'postgresql' | 'redis' | 'network' | 'sqlite' | 'disk' | 'system';
  /** What happened, for the log (never shown to a caller). */
  reason: string;
}

/** Node's socket errors that mean the peer is gone, refused us or cannot be found. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN']);

/** The system calls a socket error comes from (a file error such as ENOENT from `open` is not an outage). */
const SOCKET_SYSCALLS = new Set(['connect', 'read', 'write', 'writev', 'getaddrinfo', 'shutdown']);

/**
 * What the gateway's pool (storage/pg-stalls.ts) throws without trying while PostgreSQL is known
 * unreachable: a new connection got no answer, and none has got through since.
 */
export const PG_UNREACHABLE = 'PostgreSQL cannot be reached: a new connection got no answer';

/** What pg and pg-pool throw, word for word, when a connection is lost, times out or was never made. */
const PG_MESSAGES = new Set([
  PG_UNREACHABLE,
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
]);

/**
 * PostgreSQL's SQLSTATEs of a server that cannot serve or write for now
 * (postgresql.org/docs/current/errcodes-appendix.html): class 08 (connection exception),
 * 57P01-57P03 (admin or crash shutdown, not accepting connections yet), class 53 (insufficient
 * resources: 53100 disk_full, 53200 out_of_memory, 53300 too many connections), 58000 and 58030
 * (system and I/O errors) and 25006 (a read-only transaction: a standby, after a failover).
 */
function pgUnavailable(code: string): boolean {
  return code.startsWith('08') || code.startsWith('53') || code === '57P01' || code === '57P02' || code === '57P03' || code === '58000' || code === '58030' || code === '25006';
}

/**
 * SQLite's result codes of a database that cannot write for now (sqlite.org/rescode.html;
 * better-sqlite3 names them in `code`, extended codes included, e.g. SQLITE_IOERR_WRITE): full,
 * I/O error, read-only (a file system remounted so), cannot open, out of memory, busy past the
 * busy timeout.
 */
const SQLITE_UNAVAILABLE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|NOMEM|BUSY)(_[A-Z_]+)?$/;

/** Node's file-system errors of a device that cannot write for now (the journal, stored images). */
const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS']);

/**
 * The gateway's own process or machine out of a resource for now — file descriptors, socket buffers,
 * memory, local ports — whatever it was opening: the condition is the gateway's, not the peer's (a
 * provider's connection failing so must not count against its channel: relay/upstream.ts).
 */
const SYSTEM_CODES = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EADDRNOTAVAIL']);

/** What ioredis throws when its connection is down, word for word (or its error's name). */
const REDIS_MESSAGES = new Set(['Connection is closed.', "Stream isn't writeable and enableOfflineQueue options is false", 'Command timed out']);

/**
 * Redis's own replies of a server that cannot serve or write for a moment (loading, failover, a busy
 * script; OOM: full at its `maxmemory` with `noeviction`, which refuses writes rather than evicting
 * held credit; MISCONF: it cannot persist and refuses writes; NOREPLICAS: too few replicas to write).
 */
const REDIS_REPLIES = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|OOM|MISCONF|NOREPLICAS)\b/;

/** pg's DatabaseError: a SQLSTATE and a severity, as the server sent them (the server was reached). */
export function isPgServerError(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown } | null;
  return typeof e?.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
}

export function dependencyFailure(err: unknown): DependencyFailure | null {
  if (!(err instanceof Error)) return null;
  const e = err as Error & { code?: unknown; syscall?: unknown; severity?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (e.name === 'MaxRetriesPerRequestError') return { dependency: 'redis', reason: e.message };
  if (REDIS_MESSAGES.has(e.message)) return { dependency: 'redis', reason: e.message };
  if (e.name === 'ReplyError' && REDIS_REPLIES.test(e.message)) return { dependency: 'redis', reason: e.message };
  if (PG_MESSAGES.has(e.message)) return { dependency: 'postgresql', reason: e.message };
  if (isPgServerError(e) && pgUnavailable(code)) return { dependency: 'postgresql', reason: `${code} ${e.message}` };
  if (SQLITE_UNAVAILABLE.test(code)) return { dependency: 'sqlite', reason: `${code} ${e.message}` };
  const syscall = typeof e.syscall === 'string' ? `${e.syscall} ` : '';
  if (DISK_CODES.has(code)) return { dependency: 'disk', reason: `${syscall}${code}` };
  if (SYSTEM_CODES.has(code)) return { dependency: 'system', reason: `${syscall}${code}` };
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

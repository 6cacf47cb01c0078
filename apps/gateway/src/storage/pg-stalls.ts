import type pg from 'pg';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { isPgServerError, PG_UNREACHABLE } from '../core/dependency-errors.js';

/**
 * Connections that wait forever. A PostgreSQL connection whose route is gone without a word — the
 * database's address moved to a promoted standby (a managed database's failover), a NAT or load
 * balancer on the way dropped its state, the server's host froze — stays open on this side: no
 * reset, no FIN. A statement sent on it gets no answer, and the kernel gives up only after its
 * retransmissions (about 15 minutes on Linux) or never (a middlebox that still acknowledges). Until
 * then the caller hangs, and the request log's batch with it: charges wait, holds stay held.
 *
 * A deadline on statements would tell that apart from a long statement only by guessing. So a
 * statement that has waited `stallMs` is looked into from a second, new connection, which asks the
 * server what the first one's backend (its process id, from the connection's BackendKeyData) is
 * doing (`pg_stat_activity`, postgresql.org/docs/current/monitoring-stats.html):
 * - `active`: the server is working on it (a long report, a lock wait): it waits on, looked into
 *   again every `stallMs`;
 * - idle, idle in transaction, or no such backend: the server is not working on it, so its answer is
 *   lost or it never arrived. The connection is closed (the statement fails as a lost connection:
 *   a retryable 503; the request log tries its batch again) and the backend, if it is still there,
 *   is ended (`pg_terminate_backend`), so a transaction it left open releases its row locks at once;
 * - the second connection cannot be made or gets no answer either: the server cannot be reached, and
 *   the connection is closed as above;
 * - the server answers with an error, or the second connection is not where the first one's
 *   process id means anything (a connection pooler in between: `pg_backend_pid()` is not the process
 *   id the pooler announced), nothing is known: it waits on.
 * When one connection is found stranded, those made before it that lie idle in the pool are likely
 * stranded too: each is closed instead of being handed out (a new one is opened), as a pool flush
 * after a failover would do.
 *
 * A server that cannot be reached at all (packets dropped: a new connection gets no answer within
 * the pool's connect timeout, or the look above could not connect) would make every query wait that
 * timeout — 10 s — for its 503, and each caller hold its socket meanwhile. So the pool is then
 * taken for unreachable: a query is refused at once with `PG_UNREACHABLE` (a retryable 503, like any
 * lost connection) while one new connection a second (`RECHECK_MS`) tries to get through; the first
 * that does opens the pool again.
 */
export interface StallWatchOptions {
  /** A new client to the same server with the same login, for the look (not connected yet). */
  probe: () => pg.Client;
  /** How long a statement waits before it is looked into; 0 turns the watch off. */
  stallMs: number;
  log?: (msg: string) => void;
}

/** How long the look itself may take, connecting included. */
export const PROBE_TIMEOUT_MS = 5_000;

/** How often a server taken for unreachable is tried again, from one new connection. */
export const RECHECK_MS = 1_000;

/** pg's error when a new connection got no answer within `connectionTimeoutMillis`. */
const CONNECT_TIMED_OUT = 'Connection terminated due to connection timeout';

type Verdict = { stranded: false } | { stranded: true; why: string };

interface Waiting {
  since: number;
  looking: boolean;
}

export class StallWatch implements PostgresPool {
  /** The clients with a statement unanswered, and since when (a client runs one statement at a time). */
  private readonly waiting = new Map<pg.PoolClient, Waiting>();
  /** Raised each time a connection is found stranded: idle ones from before are closed when handed out. */
  private generation = 0;
  private readonly born = new WeakMap<pg.PoolClient, number>();
  private timer: NodeJS.Timeout | null = null;
  /** Connections found stranded and closed since the start. */
  stranded = 0;
  /** Set while the server is taken for unreachable: the timer of the next try. */
  private recheck: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: StallWatchOptions,
  ) {}

  /** True while the server is taken for unreachable and queries are refused without trying. */
  get unreachable(): boolean {
    return this.recheck !== null;
  }

  async connect(): Promise<PostgresPoolClient> {
    if (this.recheck) throw new Error(PG_UNREACHABLE);
    for (;;) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        if ((err as Error)?.message === CONNECT_TIMED_OUT) this.markUnreachable();
        throw err;
      }
      const born = this.born.get(client);
      if (born === undefined) this.born.set(client, this.generation);
      else if (born < this.generation) {
        client.release(true);
        continue;
      }
      return this.wrap(client);
    }
  }

  end(): Promise<void> {
    this.ended = true;
    if (this.timer) clearInterval(this.timer);
    if (this.recheck) clearTimeout(this.recheck);
    this.timer = this.recheck = null;
    return this.pool.end();
  }

  private markUnreachable(): void {
    if (this.recheck || this.ended) return;
    this.opts.log?.(`PostgreSQL cannot be reached (a new connection got no answer): queries are refused at once with a retryable 503 until a new connection, tried every ${RECHECK_MS / 1000} s, gets through`);
    const again = () => {
      this.recheck = setTimeout(() => {
        void this.reachable().then((yes) => {
          if (this.ended) return;
          if (!yes) return again();
          this.recheck = null;
          this.opts.log?.('PostgreSQL can be reached again');
        });
      }, RECHECK_MS);
      this.recheck.unref();
    };
    again();
  }

  /** Whether a new connection gets an answer (an error from the server is one: it was reached). */
  private async reachable(): Promise<boolean> {
    return this.fromNewConnection((c) => c.query('select 1')).then(
      () => true,
      (err: unknown) => isPgServerError(err),
    );
  }

  /** Runs `ask` on a new connection of the probe's, closed after. */
  private async fromNewConnection<T>(ask: (c: pg.Client) => Promise<T>): Promise<T> {
    const probe = this.opts.probe();
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return await ask(probe);
    } finally {
      void probe.end().catch(() => undefined);
    }
  }

  private wrap(client: pg.PoolClient): PostgresPoolClient {
    const watch = this;
    return {
      query(sqlOrCursor: string | PostgresCursor<unknown>, parameters?: ReadonlyArray<unknown>): any {
        if (typeof sqlOrCursor !== 'string' || watch.opts.stallMs <= 0) return client.query(sqlOrCursor as any, parameters as unknown[]);
        watch.started(client);
        return (client.query(sqlOrCursor, parameters as unknown[]) as Promise<PostgresQueryResult<unknown>>).finally(() => watch.waiting.delete(client));
      },
      release(destroy?: boolean) {
        client.release(destroy === true);
      },
    } as PostgresPoolClient;
  }

  private started(client: pg.PoolClient): void {
    this.waiting.set(client, { since: Date.now(), looking: false });
    if (this.timer) return;
    // Half the stall time apart, so a stalled statement is looked into between 1 and 1.5 stall
    // times; the timer stops when nothing waits (no wake-ups while idle).
    this.timer = setInterval(() => this.sweep(), Math.max(50, Math.floor(this.opts.stallMs / 2)));
    this.timer.unref();
  }

  private sweep(): void {
    if (this.waiting.size === 0) {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      return;
    }
    const now = Date.now();
    const due = [...this.waiting].filter(([, w]) => !w.looking && now - w.since >= this.opts.stallMs);
    if (due.length === 0) return;
    for (const [, w] of due) w.looking = true;
    void this.look(due.map(([c]) => c)).then((verdicts) => {
      const after = Date.now();
      due.forEach(([client, w], i) => {
        w.looking = false;
        if (this.waiting.get(client) !== w) return; // answered meanwhile
        const v = verdicts[i];
        if (!v.stranded) {
          w.since = after;
          return;
        }
        this.waiting.delete(client);
        this.stranded++;
        this.generation++;
        this.opts.log?.(
          `PostgreSQL: a statement got no answer for ${((after - w.since) / 1000).toFixed(1)} s and ${v.why}: its connection is closed (the statement fails with a retryable 503) and idle connections opened before it are replaced (a failover, or a route dropped on the way?)`,
        );
        // With a statement under way, end() closes the socket at once (no goodbye that would wait
        // for an answer); the statement fails with "Connection terminated".
        void client.end().catch(() => undefined);
      });
    });
  }

  /** One look for all the connections due, from one new connection. */
  private async look(clients: pg.PoolClient[]): Promise<Verdict[]> {
    const pids = clients.map(processId);
    const unknown = (): Verdict[] => pids.map(() => ({ stranded: false }));
    try {
      return await this.fromNewConnection(async (probe) => {
        const r = await probe.query<{ me: number; present: number[]; active: number[] }>(
          `select pg_backend_pid() as me,
                  array(select pid from pg_stat_activity where pid = any($1::int[])) as present,
                  array(select pid from pg_stat_activity where pid = any($1::int[]) and (state is null or state in ('active', 'fastpath function call'))) as active`,
          [pids],
        );
        const { me, present, active } = r.rows[0];
        // Behind a pooler the process id a client was given is the pooler's, not a backend's.
        if (me !== processId(probe)) return unknown();
        const idle = pids.filter((p) => present.includes(p) && !active.includes(p));
        // Ended so a transaction it left open lets its row locks go. A role without the right to end its
        // own backends (a managed database's restricted role) leaves that to the server's own timeouts.
        if (idle.length) await probe.query('select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [idle]).catch(() => undefined);
        return pids.map((p) =>
          active.includes(p) ? { stranded: false } : { stranded: true, why: present.includes(p) ? `its server is not working on it (backend ${p} is idle; ended)` : `its server has no such backend (${p})` },
        );
      });
    } catch (err) {
      // An error from the server means it was reached: what to make of the connection is unknown.
      if (isPgServerError(err)) return unknown();
      this.markUnreachable();
      const why = `the server cannot be reached from a new connection either (${(err as Error).message})`;
      return pids.map(() => ({ stranded: true, why }));
    }
  }
}

/** The backend's process id the server announced when the connection was made (BackendKeyData). */
function processId(c: pg.Client): number {
  return (c as unknown as { processID: number }).processID;
}

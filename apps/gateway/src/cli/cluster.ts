import cluster, { type Worker } from 'node:cluster';
import { ConfigError, type Config } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import { onLauncherGone } from './launcher.js';
import { METRICS_COLLECT, METRICS_PART, METRICS_REPLY, METRICS_REQUEST } from '../relay/metrics.js';

/** A worker tells the primary it serves (its gateway listens) with this message. */
export const WORKER_READY = 'apigpt:worker-ready';
/** Set by the primary on the first worker it starts: that one prints the start banner. */
export const BANNER_ENV = 'APIGPT_WORKER_BANNER';

/**
 * glibc's malloc raises its mmap threshold after the first large block is freed, up to 32 MiB. Every
 * password hash (scrypt, 16 MiB in OpenSSL, on one of libuv's four threads) then comes from that
 * thread's arena and stays resident after it is freed: up to 64 MiB once four logins have run. A
 * fixed threshold (glibc's own starting value, 128 KiB) keeps large blocks in mmap, given back when
 * freed. The variable is read when a process starts, so the primary sets it for its workers; the
 * Docker image sets it for its one process. An operator's own value is kept.
 * (glibc manual, "Memory Allocation Tunables"; docs/architecture.md, "Start and idle memory".)
 */
export function workerEnv(env: NodeJS.ProcessEnv, banner: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.MALLOC_MMAP_THRESHOLD_ === undefined) out.MALLOC_MMAP_THRESHOLD_ = '131072';
  if (banner) out[BANNER_ENV] = '1';
  return out;
}

/** A worker that dies this soon after its start is crash-looping: its restarts back off. */
const EARLY_DEATH_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;
/** After the drain's grace, how long a worker may still take to close its stores before it is killed. */
const EXIT_SLACK_MS = 15_000;
/** A worker that does not hand in its metrics within this long is left out of that scrape's sum. */
const COLLECT_MS = 3_000;

/**
 * Why several workers need Redis: credit holds, rate windows, concurrency slots, circuits and the
 * retry budget live in the shared state, which without Redis is each process's own memory — N
 * workers would let one account spend its balance N times over and its limits N times over.
 * Refusing is the safe answer; a database alone (SQLite or PostgreSQL) does not make them one.
 */
export function requireSharedState(config: Config, workers: number): void {
  if (workers > 1 && !config.redisUrl)
    throw new ConfigError(
      `--workers ${workers} needs REDIS_URL: without Redis each worker keeps credit holds, rate limits, concurrency caps and circuits in its own memory, so an account could spend its balance once per worker. Set REDIS_URL (with SQLite or PostgreSQL), or run one worker.`,
    );
}

/**
 * `apigpt serve --workers N`: this process is the primary of Node's cluster. It forks N workers that
 * each run the whole gateway and share the listening port (the primary accepts connections and
 * hands them out in turn). It serves nothing itself:
 *
 * - The first worker starts alone: it migrates the database and, on a first start, creates the admin,
 *   the channels and the demo channel, and prints the banner; the others start once it serves, so no
 *   two processes race to create the same rows.
 * - A worker that dies is replaced (with a growing pause if it keeps dying early). Its journal is
 *   charged by the replacement at start (batch/recover.ts: a journal whose process is gone).
 * - SIGTERM / SIGINT go to every worker, which drains as a single process does; the primary exits
 *   when they all have (0 when each ended cleanly).
 * - With metrics on, a worker's `/metrics` asks the primary, which gathers every worker's registry
 *   (prom-client's AggregatorRegistry) and answers the sum.
 */
export async function runPrimary(config: Config, workers: number, log: Logger): Promise<number> {
  requireSharedState(config, workers);
  let stopping = false;
  let failures = 0;
  const live = new Set<Worker>();
  /** Workers that serve: only they are asked for metrics (one still starting has none to give yet). */
  const serving = new Set<Worker>();
  if (config.metricsToken) await answerMetrics(serving);

  /** Forks one worker; resolves when it serves, rejects with its exit code when it ends before. */
  const fork = (banner: boolean): { worker: Worker; ready: Promise<void> } => {
    const worker = cluster.fork(workerEnv(process.env, banner));
    const started = Date.now();
    live.add(worker);
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: { type?: string }) => {
        if (m?.type !== WORKER_READY) return;
        serving.add(worker);
        resolve();
      });
      worker.once('exit', (code, signal) => {
        live.delete(worker);
        serving.delete(worker);
        reject(Object.assign(new Error(`worker ${worker.process.pid} ended (${signal ?? `code ${code}`}) before serving`), { code: code ?? 1 }));
        if (stopping) return;
        // Replaced at once the first time; a worker that keeps dying early is given longer pauses.
        failures = Date.now() - started < EARLY_DEATH_MS ? failures + 1 : 0;
        const delay = Math.min(MAX_RESTART_DELAY_MS, failures <= 1 ? 0 : 500 * 2 ** (failures - 2));
        log.error(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another${delay ? ` in ${delay} ms` : ''}`);
        const timer = setTimeout(() => {
          if (stopping) return;
          const next = fork(false);
          next.ready.then(() => log.info(`worker ${next.worker.process.pid} serving`), () => undefined);
        }, delay);
        timer.unref();
      });
    });
    return { worker, ready };
  };

  let unwatch = () => {};
  const exited = new Promise<number>((resolve) => {
    const stop = (why: string) => {
      if (stopping) return;
      stopping = true;
      unwatch();
      log.info(`${why}: draining ${live.size} worker${live.size === 1 ? '' : 's'}`);
      for (const w of live) w.process.kill('SIGTERM');
      const deadline = setTimeout(() => {
        for (const w of live) {
          log.error(`worker ${w.process.pid} did not stop after the grace period; killing it`);
          w.process.kill('SIGKILL');
        }
      }, config.shutdownGraceMs + EXIT_SLACK_MS);
      deadline.unref();
      let clean = true;
      const check = () => {
        if (live.size > 0) return;
        clearTimeout(deadline);
        resolve(clean ? 0 : 1);
      };
      // A worker still starting finishes its start, then drains (cli/serve.ts `stopsDuringStart`);
      // one killed by a second signal before it served ends by the signal: it served nothing.
      cluster.on('exit', (_w, code, signal) => {
        if (code !== 0 && signal !== 'SIGTERM') clean = false;
        check();
      });
      check();
    };
    process.once('SIGINT', () => stop('SIGINT received'));
    process.once('SIGTERM', () => stop('SIGTERM received'));
    unwatch = onLauncherGone(() => stop('the npm exec that started the gateway went away'));
  });

  // The first worker alone (migrations, first-start rows, banner), then the rest together.
  try {
    await fork(true).ready;
  } catch (err) {
    // Stopped while the first worker was starting (a rollout's SIGTERM right after the start) and the
    // worker ended before it served: nothing was served; that is a clean stop, not a failure.
    if (stopping) return exited;
    stopping = true;
    for (const w of live) w.process.kill('SIGTERM');
    log.error(`the first worker could not start: ${(err as Error).message}`);
    return (err as { code?: number }).code || 1;
  }
  // A stop that reached this process before the first worker's "serving" (a worker stopped between
  // its start and that message still sends it): the drain has begun, so no other worker is started —
  // one forked now would get no SIGTERM, serve, and be killed at the drain's deadline.
  if (stopping) return exited;
  // A worker the drain stopped before it served is no error either.
  const rest = Array.from({ length: workers - 1 }, () => fork(false).ready.catch((err: Error) => stopping || log.error(err.message)));
  await Promise.all(rest);
  if (!stopping) log.info(`${live.size} workers serving`);
  return exited;
}

type MetricsJson = Awaited<ReturnType<import('prom-client').Registry['getMetricsAsJSON']>>;

/**
 * The primary's part of a scrape: a worker asks, every serving worker hands in its registry (as
 * JSON), and the sum (prom-client's per-metric aggregators: counters and histograms add up, the
 * circuit and event-loop gauges take the highest) goes back as Prometheus text.
 */
async function answerMetrics(serving: Set<Worker>): Promise<void> {
  const { AggregatorRegistry } = await import('prom-client');
  let seq = 0;
  const collecting = new Map<number, { parts: MetricsJson[]; waiting: number; done: () => void }>();
  cluster.on('message', (worker, msg: { type?: string; id?: number; metrics?: MetricsJson }) => {
    if (msg?.type === METRICS_PART) {
      const c = collecting.get(msg.id!);
      if (!c) return;
      c.parts.push(msg.metrics ?? []);
      if (--c.waiting === 0) c.done();
      return;
    }
    if (msg?.type !== METRICS_REQUEST) return;
    const id = ++seq;
    const targets = [...serving].filter((w) => w.isConnected());
    const parts: MetricsJson[] = [];
    const reply = () => {
      collecting.delete(id);
      clearTimeout(timer);
      AggregatorRegistry.aggregate(parts)
        .metrics()
        .then(
          (text) => worker.isConnected() && worker.send({ type: METRICS_REPLY, id: msg.id, text }),
          (err: Error) => worker.isConnected() && worker.send({ type: METRICS_REPLY, id: msg.id, error: err.message }),
        );
    };
    const timer = setTimeout(reply, COLLECT_MS);
    collecting.set(id, { parts, waiting: targets.length, done: reply });
    for (const w of targets) w.send({ type: METRICS_COLLECT, id });
    if (targets.length === 0) reply();
  });
}

import type { Config } from '../config/config.js';
import { createLogger } from '../core/logger.js';
import type { startGateway } from '../gateway.js';
import { dependencyFailure } from '../core/dependency-errors.js';
import type { Logger } from '../core/logger.js';
import cluster from 'node:cluster';
import { BANNER_ENV, runPrimary, WORKER_READY } from './cluster.js';
import { usableCores } from '../config/cores.js';
import { holdYoungGeneration, tuneHeap } from '../core/heap.js';
import { onLauncherGone } from './launcher.js';

/**
 * `apigpt serve`: starts the gateway, prints how to use it, stops cleanly on SIGINT / SIGTERM. With
 * `workers` > 1 this process becomes the primary of a cluster (cli/cluster.ts) whose workers each run
 * this same function.
 */
export async function serve(config: Config): Promise<number> {
  const log = createLogger(config.logLevel);
  // A cluster's primary serves nothing: it never loads the gateway (about 50 MB of modules).
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, config.workers, log);
  keepRunningThroughOutages(log);
  // From here a SIGINT / SIGTERM no longer ends the process where it stands: it is acted on once the
  // gateway serves and has printed its banner (see `stopsDuringStart`).
  const early = stopsDuringStart(log);
  tuneHeap(config.heapGrowingPercent);
  // Loading and starting do not need a serving-sized young generation (core/heap.ts).
  const releaseYoung = holdYoungGeneration();
  const { startGateway } = await import('../gateway.js');
  const gw = await startGateway(config, { log }).finally(releaseYoung);
  const worker = cluster.isWorker;
  // Of a cluster's workers only the first prints the banner (it alone may have made the first-start key).
  const banner = worker && process.env[BANNER_ENV] !== '1' ? Promise.resolve() : printBanner(config, gw, worker);
  // Listening for SIGTERM before anything is printed (in this same turn of the loop: no signal is
  // handled before it): a supervisor that stops the gateway as soon as it reads the banner must find
  // the graceful path, never the default (an exit by signal). A stop begins once the banner is out:
  // it writes the first start's App and key, which a closing database would refuse.
  const stopped = waitForStop(gw, log, banner.catch(() => undefined), early.take());
  await banner;
  return ready(stopped);
}

/**
 * A SIGINT / SIGTERM while the gateway starts (a Ctrl-C during the first start's migrations, a
 * rollout that stops a pod just started) would otherwise end the process by the signal, wherever
 * the start was: on a first start, after the admin was created with a generated password and before
 * the banner showed it (shown once, then lost). Noted instead, and acted on by `waitForStop` once
 * the gateway serves and the banner is out: the stop is then the ordinary graceful one. A second
 * signal before that ends the process at once, by the signal, as before (a start that hangs on an
 * unreachable database must stay stoppable from the keyboard).
 */
function stopsDuringStart(log: Logger): { take(): string | null } {
  let why: string | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (why === null) {
      why = `${signal} received during the start`;
      log.info(`${signal} received while starting: stopping once started (send it again to stop at once)`);
      return;
    }
    take();
    process.kill(process.pid, signal);
  };
  const take = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    return why;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { take };
}

/** The start banner: where the console and the API are, and on a first start the admin login and a key. */
async function printBanner(config: Config, gw: Awaited<ReturnType<typeof startGateway>>, worker: boolean): Promise<void> {
  const base = config.publicUrl ?? gw.url;
  const channels = await gw.services.channels.list();
  let quickKey: string | null = null;
  if (gw.firstStart) {
    // A first App and key for the admin, so the printed curl call works as pasted.
    const admin = await gw.services.db.selectFrom('users').select('id').where('email', '=', gw.firstStart.adminEmail).executeTakeFirstOrThrow();
    const [{ createApp }, { createKey }] = await Promise.all([import('../apps/apps.js'), import('../apps/keys.js')]);
    const app = await createApp(gw.services.db, admin.id, { name: 'Quickstart' });
    quickKey = (await createKey(gw.services.db, admin.id, app.id, 'quickstart')).key;
  }
  const model = channels.find((c) => c.enabled)?.models.find((m) => !/embed|instruct/.test(m)) ?? 'gpt-4o-mini';
  const lines = [
    '',
    `  APIGPT is running.`,
    `  Console:   ${base}/`,
    `  API:       ${base}/v1   (OpenAI-compatible; docs at ${base}/api/docs)`,
    `  Database:  ${gw.services.dbh.describe}`,
    ...(worker ? [`  Workers:   ${config.workers} processes on one port, one shared state (Redis)`] : oneOfMany(config)),
    `  Channels:  ${channels.map((c) => `${c.name}${c.simulated ? ' [simulated]' : ''}${c.enabled ? '' : ' (disabled)'}`).join(', ') || 'none — add one in the console or with `apigpt channel add`'}`,
  ];
  if (gw.firstStart) {
    lines.push(`  Admin:     ${gw.firstStart.adminEmail}  password: ${gw.firstStart.generatedPassword ?? '(from APIGPT_ADMIN_PASSWORD)'}`);
    if (gw.firstStart.generatedPassword) lines.push('             (generated; shown this once — change it in the console)');
  }
  lines.push(
    '',
    quickKey ? `  Try it (this key belongs to the admin's "Quickstart" app and is shown once):` : '  Try it (create an App in the console to get a key):',
    `  curl ${base}/v1/chat/completions \\`,
    `    -H "Authorization: Bearer ${quickKey ?? '$APIGPT_KEY'}" -H "Content-Type: application/json" \\`,
    `    -d '{"model":"${model}","messages":[{"role":"user","content":"Hello!"}]}'`,
    '',
  );
  process.stdout.write(lines.join('\n') + '\n');
}

/** A banner line when one process runs on a machine with more cores: how to use them. */
function oneOfMany(config: Config): string[] {
  const cores = usableCores();
  if (cores < 2) return [];
  return [`  Workers:   1 process of ${cores} cores; ${config.redisUrl ? '--workers 0 runs one per core' : 'with REDIS_URL set, serve runs one per core'}`];
}

/** Tells a cluster primary this worker serves (and has printed its banner), then waits for the stop. */
function ready(stopped: Promise<number>): Promise<number> {
  // The primary starts the other workers once the first one serves.
  if (cluster.isWorker) process.send?.({ type: WORKER_READY });
  return stopped;
}

/**
 * Serves until SIGINT / SIGTERM (or, for a cluster worker, until its primary is gone; under `npx`,
 * until npm is), then drains. Once: a terminal's Ctrl-C reaches the workers and the primary, which
 * forwards a SIGTERM too.
 */
async function waitForStop(gw: Awaited<ReturnType<typeof startGateway>>, log: Logger, bannerOut: Promise<unknown>, early: string | null): Promise<number> {
  let stopping = false;
  let unwatch = () => {};
  await new Promise<void>((resolve) => {
    const stop = (why: string) => {
      if (stopping) return;
      stopping = true;
      unwatch();
      log.info(`${why}, shutting down`);
      void bannerOut
        .then(() => gw.close())
        .then(resolve, (err) => {
          log.error('shutdown failed', err);
          resolve();
        });
    };
    process.once('SIGINT', () => stop('SIGINT received'));
    process.once('SIGTERM', () => stop('SIGTERM received'));
    // A worker whose primary died gets no more connections: it drains and ends rather than linger.
    if (cluster.isWorker) process.once('disconnect', () => stop('the cluster primary went away'));
    else unwatch = onLauncherGone(() => stop('the npm exec that started the gateway went away'));
    if (early) stop(early);
  });
  // The channel to the primary would keep a worker alive after its gateway closed: let it go.
  if (cluster.isWorker && cluster.worker?.isConnected()) cluster.worker.disconnect();
  return 0;
}

/**
 * The last line of defence, for this process only (the CLI owns it; a gateway embedded in another
 * program leaves the process to that program). Every path that touches the database or Redis handles
 * a lost connection itself; should one be missed, its rejection is logged as the bug it is and the
 * gateway keeps serving, since the dependency comes back and the next call reconnects. Any other
 * unhandled rejection ends the process exactly as Node's default would: a programming error is not
 * hidden.
 */
function keepRunningThroughOutages(log: Logger): void {
  process.on('unhandledRejection', (reason) => {
    const outage = dependencyFailure(reason);
    if (!outage) throw reason;
    log.error(`unhandled rejection from a lost ${outage.dependency} connection (a path that should handle it did not); the gateway keeps running`, reason);
  });
}

// Child-process entry for one bench target: `node bench/targets.js sim|bare|gateway`.
// Forked by run.js with an IPC channel; answers small commands so the parent can drive it:
//   ready (sent once)        { type: 'ready', url, ...details }
//   { id, cmd: 'cpu' }       process.cpuUsage() so the parent can compute CPU time per request
//   { id, cmd: 'stats' }     role-specific counters (simulator requests, request-log rows)
//   { id, cmd: 'heap', snapshot? }  memoryUsage and V8's heap spaces; a heap snapshot to that path
//   { id, cmd: 'stop' }      closes cleanly (flushes the request log) and exits 0, which is what
//                            lets `--cpu-prof` write its profile
// The process also exits when the parent goes away (IPC disconnect), so nothing is left behind.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { request as httpRequest } from 'node:http';
import { startBareProxy } from './bare-proxy.js';

const role = process.argv[2];
const upstream = process.env.BENCH_UPSTREAM;
const streamChunks = Number(process.env.BENCH_STREAM_CHUNKS ?? 20);
export const BENCH_MODEL = 'gpt-4o-mini';

if (!process.send) {
  console.error('bench/targets.js is started by bench/run.js (needs an IPC channel)');
  process.exit(2);
}

// The simulator is imported by the roles that run it only: loaded into the bare proxy's or the
// gateway's process it would count in their memory (it brings the tokenizer tables).
const simulator = () => import('../packages/simulator/dist/index.js');

async function startSim() {
  const { startSimulator } = await simulator();
  // Zero latency; `chunks` only shapes streamed replies (non-streamed replies are one JSON body).
  const sim = await startSimulator({ host: '127.0.0.1', defaults: { ttftMs: 0, chunkDelayMs: 0, chunks: streamChunks } });
  return {
    info: { url: sim.url },
    stats: async () => ({ simulatorRequests: sim.stats.total }),
    close: () => sim.close(),
  };
}

/** Several simulators in one process (the failover bench); the first may fail a share of calls. */
async function startSims() {
  const { startSimulator } = await simulator();
  const count = Number(process.env.BENCH_SIMS ?? 3);
  const rate = Number(process.env.BENCH_FIRST_FAULT_RATE ?? 0);
  const sims = [];
  for (let i = 0; i < count; i++) {
    const fault = i === 0 && rate > 0 ? { fault: { kind: 'status', status: 500 }, faultRate: rate } : {};
    sims.push(await startSimulator({ host: '127.0.0.1', defaults: { ttftMs: 0, chunkDelayMs: 0, chunks: streamChunks, ...fault } }));
  }
  return {
    info: { url: sims.map((s) => s.url).join(',') },
    stats: async () => ({ simulatorRequests: sims.reduce((n, s) => n + s.stats.total, 0), perSimulator: sims.map((s) => s.stats.total) }),
    close: () => Promise.all(sims.map((s) => s.close())),
  };
}

async function startBare() {
  const proxy = await startBareProxy({ upstream });
  return { info: { url: proxy.url }, stats: async () => ({}), close: () => proxy.close() };
}

async function startGw() {
  // As `apigpt serve` does: the young generation held at its starting size while the gateway loads
  // and starts, from the small heap module imported first (a build without it measures without it;
  // BENCH_YOUNG_HOLD=off measures without it too).
  // BENCH_GATEWAY_ROOT: another checkout's built gateway (an A/B of two commits, bench/ab.js).
  const root = process.env.BENCH_GATEWAY_ROOT ? pathToFileURL(`${resolve(process.env.BENCH_GATEWAY_ROOT)}/`) : new URL('..', import.meta.url);
  const dist = (path) => new URL(`apps/gateway/dist/${path}`, root);
  const heap = process.env.BENCH_YOUNG_HOLD === 'off' ? {} : await import(dist('core/heap.js').href).catch(() => ({}));
  const releaseYoung = heap.holdYoungGeneration?.() ?? (() => {});
  // The bundle `apigpt` runs (apps/gateway/scripts/bundle.mjs); a build without one, its modules.
  const bundled = dist('bundle/index.js');
  const entry = existsSync(bundled) && process.env.BENCH_BUNDLE !== 'off' ? bundled.href : dist('index.js').href;
  const { startGateway, loadConfig, createLogger, tuneHeap } = await import(entry);
  const dataDir = mkdtempSync(join(tmpdir(), 'apigpt-bench-'));
  // A schema of its own in the given PostgreSQL database, dropped at the end.
  const pgUrl = process.env.BENCH_DATABASE_URL || undefined;
  const pgSchema = `bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const dropSchema = async () => {
    if (!pgUrl) return;
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`drop schema if exists "${pgSchema}" cascade`).finally(() => c.end());
  };
  const config = loadConfig({
    env: {},
    file: undefined,
    overrides: {
      port: 0,
      host: '127.0.0.1',
      dataDir, // SQLite, as a default self-hosted install, unless BENCH_DATABASE_URL names a PostgreSQL
      ...(pgUrl ? { databaseUrl: pgUrl, databaseSchema: pgSchema } : {}),
      // BENCH_REDIS_URL: shared state in Redis (a key prefix of its own), as a multi-process install runs.
      ...(process.env.BENCH_REDIS_URL ? { redisUrl: process.env.BENCH_REDIS_URL, redisPrefix: `${pgSchema}:` } : {}),
      adminEmail: 'admin@bench.local',
      adminPassword: 'bench-admin-password',
      secret: `bench-${randomBytes(8).toString('hex')}`,
      demoChannel: 'off',
      logLevel: 'silent',
      // logFlushMs stays at its production default (the request log is written as in production)
      // unless BENCH_LOG_FLUSH_MS sets another batch interval, for an A/B of it.
      ...(process.env.BENCH_LOG_FLUSH_MS ? { logFlushMs: Number(process.env.BENCH_LOG_FLUSH_MS) } : {}),
      // When billing is on, the bench user is a paying user with plenty of credit, so every call is
      // admitted and charged as in production (fields a given build does not know are ignored).
      trialCredit: 1_000_000_000,
      // BENCH_JOURNAL_SYNC=false measures the charge journal without its fsync (what durability costs).
      ...(process.env.BENCH_JOURNAL_SYNC === 'false' ? { journalSync: false } : {}),
      // BENCH_JOURNAL_FINAL_SYNC=true: each charge row fsync'd before its answer completes, instead
      // of the call's intent while the provider answers (the gateway's `journalFinalSync`).
      ...(process.env.BENCH_JOURNAL_FINAL_SYNC === 'true' ? { journalFinalSync: true } : {}),
      // BENCH_JOURNAL_INLINE_BUSY_MAX_US=0: journal groups written under load go to the thread pool
      // (the gateway's `journalInlineBusyMaxUs`; default: on the event loop while the device is quick).
      ...(process.env.BENCH_JOURNAL_INLINE_BUSY_MAX_US ? { journalInlineBusyMaxUs: Number(process.env.BENCH_JOURNAL_INLINE_BUSY_MAX_US) } : {}),
      // BENCH_METRICS_TOKEN turns /metrics on (every call is then recorded): what metrics cost.
      ...(process.env.BENCH_METRICS_TOKEN ? { metricsToken: process.env.BENCH_METRICS_TOKEN } : {}),
    },
  });
  // As `apigpt serve` does before it starts the gateway (a build without it measures without it).
  tuneHeap?.(config.heapGrowingPercent);
  const gw = await startGateway(config, { log: createLogger('silent') }).finally(releaseYoung);
  try {
    // One channel per simulator (one for the relay bench, several for the failover bench), through
    // the gateway's own channel store.
    for (const [i, url] of upstream.split(',').entries())
      await gw.services.channels.create({ provider: 'openai-compatible', name: `bench-sim-${i}`, baseUrl: `${url}/v1`, models: [BENCH_MODEL] });
    // A real user, app and key, through the gateway's own HTTP API (as the console does).
    // With node:http, not the global fetch or undici's index: either would load modules into the
    // gateway's process (undici's fetch, Node's own copy of undici) that the gateway never loads.
    const post = (path, body, headers = {}) =>
      new Promise((resolve, reject) => {
        const req = httpRequest(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => (res.statusCode === 200 ? resolve({ headers: res.headers, json: JSON.parse(text) }) : reject(new Error(`${path} failed: ${res.statusCode} ${text}`))));
        });
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    const email = `bench-${randomBytes(4).toString('hex')}@bench.local`;
    const signup = await post('/api/auth/signup', { email, password: 'bench-password-123' });
    const setCookie = signup.headers['set-cookie'];
    const cookie = String(Array.isArray(setCookie) ? setCookie[0] : (setCookie ?? '')).split(';')[0];
    const { key } = (await post('/api/apps', { name: 'bench' }, { cookie })).json;
    return {
      info: { url: gw.url, key: key.key, dataDir },
      async stats() {
        await gw.services.logWriter.flush();
        const db = gw.services.db;
        const byStatus = await db.selectFrom('request_logs').select((eb) => ['status', eb.fn.countAll().as('n')]).groupBy('status').execute();
        const statuses = Object.fromEntries(byStatus.map((r) => [String(r.status), Number(r.n)]));
        const rows = Object.values(statuses).reduce((a, b) => a + b, 0);
        return { requestLogRows: rows, requestLogNon200: rows - (statuses['200'] ?? 0), requestLogByStatus: statuses };
      },
      async close() {
        await gw.close();
        rmSync(dataDir, { recursive: true, force: true });
        await dropSchema().catch(() => undefined);
      },
    };
  } catch (err) {
    await gw.close().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    await dropSchema().catch(() => undefined);
    throw err;
  }
}

/** The pids of `root` and every process below it (a cluster's primary and its workers). */
function tree(root) {
  const parent = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, pp] of parent) if (pp === out[i]) out.push(pid);
  return out;
}

/** CPU time (µs, user and system) and resident set (bytes) of a process tree, from /proc (Linux). */
function treeUsage(root) {
  const tick = 1e6 / 100; // USER_HZ is 100 on Linux
  let user = 0;
  let system = 0;
  let rss = 0;
  for (const pid of tree(root)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(f[11]) * tick;
      system += Number(f[12]) * tick;
      rss += Number(f[21]) * 4096;
    } catch {
      /* gone */
    }
  }
  return { user, system, rss };
}

/**
 * \`apigpt serve --workers N\` as a user starts it (the CLI, Node's cluster module: N processes on one
 * port), on a fresh SQLite file with shared state in Redis (BENCH_REDIS_URL, which several workers
 * need), or on PostgreSQL with BENCH_DATABASE_URL. Set up through its HTTP API with a root token.
 * CPU and memory are the whole process tree's (primary and workers), read from /proc.
 */
async function startCluster() {
  const workers = Number(process.env.BENCH_WORKERS ?? 2);
  const redisUrl = process.env.BENCH_REDIS_URL;
  if (workers > 1 && !redisUrl) throw new Error('several workers need BENCH_REDIS_URL');
  const dataDir = mkdtempSync(join(tmpdir(), 'apigpt-bench-'));
  const rootToken = `bench-root-${randomBytes(12).toString('hex')}`;
  const prefix = `bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const cli = fileURLToPath(new URL('../apps/gateway/bin/apigpt.js', import.meta.url));
  // A free port: the workers share it, so it is chosen before they start.
  const port = await new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
  const env = {
    ...process.env,
    PORT: String(port),
    APIGPT_HOST: '127.0.0.1',
    APIGPT_DATA_DIR: dataDir,
    APIGPT_SECRET: `bench-${randomBytes(8).toString('hex')}`,
    APIGPT_ADMIN_EMAIL: 'admin@bench.local',
    APIGPT_ADMIN_PASSWORD: 'bench-admin-password-9',
    APIGPT_ROOT_TOKEN: rootToken,
    APIGPT_DEMO_CHANNEL: 'off',
    APIGPT_LOG_LEVEL: 'silent',
    APIGPT_TRIAL_CREDIT: '1000000000',
    ...(redisUrl ? { REDIS_URL: redisUrl, APIGPT_REDIS_PREFIX: `${prefix}:` } : {}),
  };
  // Node flags for the primary; cluster.fork gives its workers the same (process.execArgv).
  const nodeArgs = (process.env.BENCH_CLUSTER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, cli, 'serve', '--workers', String(workers)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const stopProc = async () => {
    if (proc.exitCode !== null) return;
    const done = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await done;
    clearTimeout(t);
  };
  // SIGTERM: the primary then stops its workers itself (a killed primary would leave them running).
  process.on('exit', () => proc.exitCode === null && proc.kill('SIGTERM'));
  try {
    for (let i = 0; ; i++) {
      if (proc.exitCode !== null) throw new Error(`apigpt serve exited with ${proc.exitCode}`);
      if (!process.connected) throw new Error('the bench went away');
      const ok = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
      if (ok) break;
      if (i > 1700) throw new Error('apigpt serve --workers: not ready after 170 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const root = { 'content-type': 'application/json', authorization: `Bearer ${rootToken}` };
    const ch = await fetch(`${url}/api/admin/channels`, { method: 'POST', headers: root, body: JSON.stringify({ provider: 'openai-compatible', name: 'bench-sim', baseUrl: `${upstream}/v1`, models: [BENCH_MODEL] }) });
    if (ch.status !== 200) throw new Error(`channel create failed: ${ch.status} ${await ch.text()}`);
    const email = `bench-${randomBytes(4).toString('hex')}@bench.local`;
    const signup = await fetch(`${url}/api/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'bench-password-123' }) });
    if (signup.status !== 200) throw new Error(`signup failed: ${signup.status} ${await signup.text()}`);
    const cookie = (signup.headers.get('set-cookie') ?? '').split(';')[0];
    const created = await fetch(`${url}/api/apps`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ name: 'bench' }) });
    if (created.status !== 200) throw new Error(`app create failed: ${created.status} ${await created.text()}`);
    const { key } = await created.json();
    // The workers' idle size: once every one serves (the channel made above reached them all).
    const idle = treeUsage(proc.pid).rss;
    let peak = idle;
    setInterval(() => {
      const { rss } = treeUsage(proc.pid);
      if (rss > peak) peak = rss;
    }, 200).unref();
    return {
      info: { url, key: key.key, dataDir, workers },
      cpu: () => treeUsage(proc.pid),
      mem: () => {
        const { rss } = treeUsage(proc.pid);
        const out = { idle, rss, peak: Math.max(peak, rss) };
        peak = rss;
        return out;
      },
      stats: async () => ({}),
      async close() {
        await stopProc();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopProc();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

const starters = { sim: startSim, sims: startSims, bare: startBare, gateway: startGw, cluster: startCluster };

let target;
try {
  if (!starters[role]) throw new Error(`unknown role ${role}`);
  if (role !== 'sim' && role !== 'sims' && !upstream) throw new Error('BENCH_UPSTREAM is required');
  target = await starters[role]();
} catch (err) {
  process.send({ type: 'error', message: String(err?.stack ?? err) });
  process.exit(1);
}

// Memory: the resident set sampled every 50 ms, its peak since the last `mem` reset; the first
// sample, taken once the target is ready and before any load, is its idle size. memoryUsage.rss()
// reads the resident set alone: memoryUsage() also walks the heap spaces, a cost the sampler would
// add to every target's profile 20 times a second.
const idleRss = process.memoryUsage.rss();
let peakRss = idleRss;
setInterval(() => {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
}, 50).unref();
// Event-loop lag (the delay a timer sees), measured between `lagStart` and `lagStop`. Node's
// histogram records the time between two of its timer's runs, its own period included (an idle
// process reads p50 10.2 ms at a 10 ms resolution), so the period is taken off, as the gateway's
// back-pressure does (apps/gateway/src/relay/load.ts). Before 2026-12-06 the bench reported it
// with the period in (bench/RESULTS.md, session 25).
const LAG_RESOLUTION_MS = 10;
const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
const lagOf = (ns) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);

let stopping = false;
let allocSession = null;
let profSession = null;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await target.close().catch(() => {});
  process.exit(code);
}

process.on('message', async (msg) => {
  if (!msg || typeof msg !== 'object') return;
  let result;
  try {
    // cpuUsage covers every thread of the process; the event loop's own busy time (ms) is the
    // main thread's alone, which is what bounds a single-threaded server's throughput.
    if (msg.cmd === 'cpu') result = target.cpu ? target.cpu() : { ...process.cpuUsage(), loopBusyMs: performance.eventLoopUtilization().active };
    else if (msg.cmd === 'mem' && target.mem) result = target.mem();
    else if (msg.cmd === 'mem') {
      // The peak since the last reading (then it starts again from now).
      const rss = process.memoryUsage.rss();
      result = { idle: idleRss, rss, peak: Math.max(peakRss, rss) };
      peakRss = rss;
    } else if (msg.cmd === 'lagStart') {
      lag.reset();
      lag.enable();
      result = true;
    } else if (msg.cmd === 'lagStop') {
      lag.disable();
      result = { p50Ms: lagOf(lag.percentile(50)), p99Ms: lagOf(lag.percentile(99)), maxMs: lagOf(lag.max) };
    }
    else if (msg.cmd === 'heap') {
      // Where the memory is (a diagnosis aid, not a bench row): the process's split and each V8
      // heap space's committed and used bytes; with `snapshot`, a heap snapshot written there.
      const v8 = await import('node:v8');
      const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, { committedMB: +(s.physical_space_size / 2 ** 20).toFixed(1), usedMB: +(s.space_used_size / 2 ** 20).toFixed(1) }]));
      result = { memory: process.memoryUsage(), spaces, snapshot: msg.snapshot ? v8.writeHeapSnapshot(msg.snapshot) : undefined };
    } else if (msg.cmd === 'profStart') {
      // V8's CPU profiler over a window the caller chooses, not the whole life as --cpu-prof does
      // (bench/window-profile.js): what one load's calls cost, without the start and the rests.
      const { Session } = await import('node:inspector');
      profSession = new Session();
      profSession.connect();
      const post = (method, params) => new Promise((res, rej) => profSession.post(method, params, (e, r) => (e ? rej(e) : res(r))));
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: msg.interval ?? 100 });
      await post('Profiler.start');
      result = true;
    } else if (msg.cmd === 'profStop') {
      const { writeFileSync } = await import('node:fs');
      const { profile } = await new Promise((res, rej) => profSession.post('Profiler.stop', (e, r) => (e ? rej(e) : res(r))));
      profSession.disconnect();
      profSession = null;
      writeFileSync(msg.file, JSON.stringify(profile));
      result = msg.file;
    } else if (msg.cmd === 'allocStart') {
      // V8's sampling heap profiler, keeping the samples of objects the GC has since collected: what
      // the calls allocate, not what stays (bench/alloc-profile.js).
      const { Session } = await import('node:inspector');
      allocSession = new Session();
      allocSession.connect();
      const post = (method, params) => new Promise((res, rej) => allocSession.post(method, params, (e, r) => (e ? rej(e) : res(r))));
      await post('HeapProfiler.startSampling', { samplingInterval: msg.interval ?? 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      result = true;
    } else if (msg.cmd === 'allocStop') {
      const { writeFileSync } = await import('node:fs');
      const { profile } = await new Promise((res, rej) => allocSession.post('HeapProfiler.stopSampling', (e, r) => (e ? rej(e) : res(r))));
      allocSession.disconnect();
      writeFileSync(msg.path, JSON.stringify(profile));
      result = msg.path;
    } else if (msg.cmd === 'stats') result = await target.stats();
    else if (msg.cmd === 'stop') {
      const stats = await target.stats().catch(() => ({}));
      process.send({ id: msg.id, result: stats }, () => void stop(0));
      return;
    }
    process.send({ id: msg.id, result });
  } catch (err) {
    process.send({ id: msg.id, error: String(err?.message ?? err) });
  }
});
process.on('disconnect', () => void stop(0));
process.send({ type: 'ready', role, pid: process.pid, ...target.info });

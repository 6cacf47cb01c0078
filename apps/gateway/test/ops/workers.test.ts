import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { launchServe, spawnServe, userWithKey } from '../chaos/procs.js';
import { apigptBin } from '../built-cli.js';
import { WORKER_READY } from '../../src/cli/cluster.js';
import { REDIS_URL } from '../harness.js';
import { loadConfig } from '../../src/config/config.js';
import { quotaCores, usableCores } from '../../src/config/cores.js';
import { eventually } from '../eventually.js';
import { parseProm } from './prom-text.js';

/**
 * `apigpt serve --workers N` as a user runs it (the built binary): N processes on one port over one
 * SQLite file and one Redis, behaving as one gateway — one banner, one balance, metrics summed over
 * the workers, a dead worker replaced, and SIGTERM draining them all.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** One HTTP exchange on a connection of its own: the cluster's primary hands each new connection to the next worker. */
function fresh(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A data folder of its own, removed once the file's tests are done. */
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-workers-'));
  dirs.push(dir);
  return dir;
}

/** A Redis key prefix of its own. */
const ownPrefix = (): string => `apigpt-test:${randomBytes(6).toString('hex')}:`;

/** Resolves with the process's exit code (null when a signal ended it). */
const exitOf = (child: ChildProcess): Promise<number | null> => new Promise((r) => child.once('exit', (code) => r(code)));

/** Every worker pid seen, so none outlives a failed test. */
const seen = new Set<number>();

/** The primary's child processes (its workers). */
function workersOf(pid: number): number[] {
  try {
    const pids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)]).toString().trim().split(/\s+/).filter(Boolean).map(Number);
    for (const p of pids) seen.add(p);
    return pids;
  } catch {
    return []; // ps exits 1 when there is none
  }
}

describe('apigpt serve --workers', () => {
  it('--workers 0 means one worker per CPU core the process may use; unset, the same with REDIS_URL and one without', () => {
    // This machine's cgroup sets no CPU quota (the next test reads quotas), so every CPU counts.
    expect(usableCores()).toBe(Math.min(64, availableParallelism()));
    expect(loadConfig({ env: { APIGPT_WORKERS: '0' } }).workers).toBe(Math.min(64, availableParallelism()));
    expect(loadConfig({ env: { REDIS_URL: 'redis://127.0.0.1:6379' } }).workers).toBe(Math.min(64, availableParallelism()));
    expect(loadConfig({ env: {} }).workers).toBe(1);
    expect(loadConfig({ env: { REDIS_URL: 'redis://127.0.0.1:6379', APIGPT_WORKERS: '1' } }).workers).toBe(1);
  });

  it('a container\'s CPU quota bounds the cores (cgroup v2 cpu.max, cgroup v1 cfs quota over period)', () => {
    expect(quotaCores({ cpuMax: 'max 100000\n' })).toBeUndefined();
    expect(quotaCores({ cpuMax: '150000 100000\n' })).toBe(2);
    expect(quotaCores({ cpuMax: '50000 100000\n' })).toBe(1);
    expect(quotaCores({ cfsQuotaUs: '-1\n', cfsPeriodUs: '100000\n' })).toBeUndefined();
    expect(quotaCores({ cfsQuotaUs: '300000\n', cfsPeriodUs: '100000\n' })).toBe(3);
    expect(quotaCores({})).toBeUndefined();
    // Read through the same paths a container sees: one CPU allowed means one worker on any host.
    const files: Record<string, string> = { '/sys/fs/cgroup/cpu.max': '100000 100000\n' };
    expect(usableCores((path) => files[path])).toBe(1);
    expect(usableCores(() => undefined)).toBe(Math.min(64, availableParallelism()));
  });

  it('with REDIS_URL and no --workers, serve starts one worker per core', async () => {
    // The machines this runs on have two cores; with one, serve would rightly run one process, which
    // this test cannot tell from a default that ignores the cores: said, not skipped.
    const cores = usableCores();
    expect(cores, 'this test needs a machine with at least two usable cores').toBeGreaterThanOrEqual(2);
    const dir = dataDir();
    const { child, out, stderr } = await spawnServe(dir, { REDIS_URL, APIGPT_REDIS_PREFIX: ownPrefix(), APIGPT_LOG_LEVEL: 'info' }, /-d '\{/);
    const exited = exitOf(child);
    try {
      await eventually(() => expect(stderr()).toContain(`${cores} workers serving`), { timeoutMs: 90_000, intervalMs: 100 });
      expect(out).toContain(`Workers:   ${cores} processes`);
      expect(workersOf(child.pid!)).toHaveLength(cores);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 120_000);

  it('refuses several workers without Redis, saying why (balances and limits would be per process)', async () => {
    const dir = dataDir();
    await expect(spawnServe(dir, { APIGPT_WORKERS: '2' }, /Console:/)).rejects.toThrow(/serve exited with 1: .*--workers 2 needs REDIS_URL/s);
  });

  it('two workers on SQLite + Redis act as one gateway: one banner, both serving, one balance, summed metrics; a killed worker is replaced; SIGTERM drains them all', async () => {
    const dir = dataDir();
    const rootToken = `root-${randomBytes(8).toString('hex')}`;
    const metricsToken = `m-${randomBytes(8).toString('hex')}`;
    const { child, out, stderr } = await spawnServe(
      dir,
      // A Redis command timeout for a saturated host (the setting's own advice): two workers that
      // have just started take 40 calls at once while other test files share the two cores. A CI
      // run (2026-12-04) had 31 of the 40 answered 503 here with no cause on record; a starved event
      // loop failing Redis commands at the default 2 s is the likely one (the log is now shown).
      { APIGPT_WORKERS: '2', REDIS_URL, APIGPT_REDIS_PREFIX: ownPrefix(), APIGPT_ROOT_TOKEN: rootToken, APIGPT_METRICS_TOKEN: metricsToken, APIGPT_LOG_LEVEL: 'info', APIGPT_REDIS_TIMEOUT_MS: '10000' },
      /-d '\{/,
    );
    const exited = exitOf(child);
    try {
      // The banner is the first worker's; the second starts after it (the primary logs when both serve).
      // A ceiling: two workers compile the gateway at once, on two cores other test files share.
      await eventually(() => expect(stderr()).toContain('2 workers serving'), { timeoutMs: 90_000, intervalMs: 100 });
      const base = /Console:\s+(http:\/\/\S+)\//.exec(out)![1];
      expect(out.match(/APIGPT is running/g)).toHaveLength(1);
      expect(out).toContain('Workers:   2 processes');
      const pids = workersOf(child.pid!);
      expect(pids).toHaveLength(2);
      // Each worker is a whole gateway with its own charge journal (its lock names its pid).
      const locks = readdirSync(join(dir, 'journal')).filter((f) => f.endsWith('.lock'));
      expect(locks.map((f) => JSON.parse(readFileSync(join(dir, 'journal', f), 'utf8')).pid).sort()).toEqual([...pids].sort());
      // Each worker starts with glibc's mmap threshold fixed (cli/cluster.ts, workerEnv): a password
      // hash's 16 MiB is given back when freed.
      for (const pid of pids) expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_MMAP_THRESHOLD_=131072');

      // Prices: 1 P per 1K input tokens, 2 P per 1K output; the user's balance is brought to 1 P.
      const admin = { authorization: `Bearer ${rootToken}`, 'content-type': 'application/json' };
      expect((await fresh(`${base}/api/admin/prices/gpt-4o-mini`, { method: 'PUT', headers: admin, body: JSON.stringify({ input: 1, output: 2 }) })).status).toBe(200);
      const user = await userWithKey(base);
      const account = async () => JSON.parse((await fresh(`${base}/api/billing/account`, { headers: { authorization: `Bearer ${user.key}` } })).body) as { balance: number };
      const start = (await account()).balance;
      expect((await fresh(`${base}/api/admin/users/${user.userId}/credit`, { method: 'POST', headers: admin, body: JSON.stringify({ amount: 1 - start, reason: 'test' }) })).status).toBe(200);

      // Many more calls at once than 1 P can pay for, each on its own connection, so both workers
      // take them: one balance in Redis admits only what it covers.
      const call = () =>
        fresh(`${base}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 40, messages: [{ role: 'user', content: 'Hello there' }] }),
        });
      const results = await Promise.all(Array.from({ length: 40 }, call));
      const served = results.filter((r) => r.status === 200);
      expect(served.length).toBeGreaterThan(0);
      // The rest are refused for credit (429 insufficient_quota); anything else is shown whole, with
      // the workers' log, which names a 503's cause.
      expect(results.filter((r) => r.status !== 200 && r.status !== 429).map((r) => `${r.status} ${r.body}`), `workers' log:\n${stderr().slice(-6000)}`).toEqual([]);
      expect(served.length).toBeLessThan(40);
      const charged = served.reduce((sum, r) => {
        const u = (JSON.parse(r.body) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
        return sum + (u.prompt_tokens + 2 * u.completion_tokens) * 1000; // micro-points
      }, 0);
      // Every charge of both workers lands in the one balance: never below zero, exactly what the answers cost.
      await eventually(async () => expect(Math.round((1 - (await account()).balance) * 1e6)).toBe(charged), { timeoutMs: 10_000, intervalMs: 100 });
      expect((await account()).balance).toBeGreaterThanOrEqual(0);

      // /metrics, reached on any worker, answers the sum over both.
      for (let i = 0; i < 3; i++) {
        const m = parseProm((await fresh(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).body);
        expect(m.sum('apigpt_requests_total')).toBe(40);
        expect(m.sum('apigpt_requests_total', { status: '200' })).toBe(served.length);
      }

      // A worker killed outright is replaced; calls are answered throughout.
      process.kill(pids[0], 'SIGKILL');
      await eventually(() => {
        const now = workersOf(child.pid!);
        expect(now).toHaveLength(2);
        expect(now).not.toContain(pids[0]);
        expect(stderr()).toMatch(new RegExp(`worker ${now.find((p) => p !== pids[1])} serving`));
      }, { timeoutMs: 30_000, intervalMs: 200 });
      await eventually(async () => expect((await fresh(`${base}/healthz`)).status).toBe(200), { timeoutMs: 10_000 });

      // SIGTERM to the primary: a slow stream in flight still ends whole, then every process is gone.
      expect((await fresh(`${base}/api/admin/users/${user.userId}/credit`, { method: 'POST', headers: admin, body: JSON.stringify({ amount: 10, reason: 'test' }) })).status).toBe(200);
      const slow = fresh(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, max_tokens: 40, messages: [{ role: 'user', content: 'slow [[sim ttft=1500]]' }] }),
      });
      await eventually(async () => {
        const m = parseProm((await fresh(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).body);
        expect(m.sum('apigpt_inflight_calls')).toBe(1);
      });
      const workers = workersOf(child.pid!);
      child.kill('SIGTERM');
      const answer = await slow;
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('data: [DONE]');
      expect(await exited).toBe(0);
      for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
      // Both journals were committed and closed: nothing is left for a next start to replay.
      expect(readdirSync(join(dir, 'journal'))).toEqual([]);
      const db = new BetterSqlite3(join(dir, 'apigpt.db'), { readonly: true });
      try {
        const rows = db.prepare('select count(*) as n from request_logs where user_id = ?').get(user.userId) as { n: number };
        expect(rows.n).toBe(41);
      } finally {
        db.close();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const pid of seen) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }, 180_000);

  it('SIGTERM while the workers are still starting stops them all with exit 0 and no error: before the first serves, and right after it', async () => {
    // Each start on a data folder and a Redis prefix of its own.
    const env = () => ({ APIGPT_WORKERS: '2', REDIS_URL, APIGPT_LOG_LEVEL: 'info', APIGPT_REDIS_PREFIX: ownPrefix() });
    // Before the first worker serves: it is forked (a child of the primary), the banner not printed yet.
    const { child: early, stdout: earlyOut, stderr: earlyErr } = launchServe(dataDir(), env());
    const earlyExit = exitOf(early);
    await eventually(() => expect(workersOf(early.pid!)).toHaveLength(1), { timeoutMs: 30_000, intervalMs: 20 });
    expect(earlyOut()).not.toContain('Console:');
    early.kill('SIGTERM');
    expect(await earlyExit).toBe(0);
    expect(earlyErr()).toContain('SIGTERM received: draining 1 worker"');
    expect(earlyErr()).not.toMatch(/"level":"(error|fatal)"|before serving|could not start/);

    // Right after the first serves (its banner): the second is forked and still starting.
    const { child, stderr } = await spawnServe(dataDir(), env(), /-d '\{/);
    const exited = exitOf(child);
    // The banner is printed before the primary hears "serving" and forks the second: wait for that fork.
    await eventually(() => expect(workersOf(child.pid!)).toHaveLength(2), { timeoutMs: 30_000, intervalMs: 20 });
    expect(stderr()).not.toContain('workers serving');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr()).toContain('SIGTERM received: draining 2 workers');
    expect(stderr()).not.toContain('workers serving');
    expect(stderr()).not.toMatch(/"level":"(error|fatal)"|before serving|exited \(/);
  }, 120_000);

  it('a stop that reaches the primary before the first worker\'s "serving" starts no other worker: exit 0 at once', async () => {
    // The primary of the built CLI (dist/cli/cluster.js) over stand-in workers that do what a real one
    // does when SIGTERM lands after its gateway started and before it told the primary it serves: it
    // still sends "serving", then ends cleanly. A worker forked after that would get no SIGTERM.
    const dir = dataDir();
    const workerScript = join(dir, 'worker.mjs');
    writeFileSync(
      workerScript,
      `process.once('SIGTERM', () => process.send({ type: ${JSON.stringify(WORKER_READY)} }, () => process.exit(0)));
console.log('worker ' + process.pid + ' started');
setInterval(() => {}, 60_000);
`,
    );
    const primaryScript = join(dir, 'primary.mjs');
    writeFileSync(
      primaryScript,
      `import cluster from 'node:cluster';
const { runPrimary } = await import(process.env.CLUSTER_DIST);
cluster.setupPrimary({ exec: process.env.WORKER_SCRIPT });
const log = { info: (msg) => console.error(JSON.stringify({ level: 'info', msg })), error: (msg) => console.error(JSON.stringify({ level: 'error', msg })) };
process.exitCode = await runPrimary({ redisUrl: 'redis://127.0.0.1:6379', shutdownGraceMs: 0 }, 2, log);
`,
    );
    const cli = pathToFileURL(join(dirname(apigptBin()), '../dist/cli/cluster.js')).href;
    const child = spawn(process.execPath, [primaryScript], { env: { ...process.env, CLUSTER_DIST: cli, WORKER_SCRIPT: workerScript, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = exitOf(child);
    await eventually(() => expect(out).toContain(' started'), { timeoutMs: 30_000, intervalMs: 20 });
    for (const pid of workersOf(child.pid!)) seen.add(pid);
    child.kill('SIGTERM');
    // Before the fix the primary forked the second worker here and killed it 15 s later: exit 1.
    expect(await exited).toBe(0);
    expect(out.match(/ started/g)).toHaveLength(1);
    expect(err).toContain('SIGTERM received: draining 1 worker"');
    expect(err).not.toMatch(/"level":"error"/);
  }, 60_000);

  it('workers whose primary is killed outright do not linger: no new connection can reach them, so they drain and end', async () => {
    const dir = dataDir();
    const { child, stderr } = await spawnServe(dir, { APIGPT_WORKERS: '2', REDIS_URL, APIGPT_REDIS_PREFIX: ownPrefix(), APIGPT_LOG_LEVEL: 'info' }, /-d '\{/);
    try {
      // A ceiling: two workers compile the gateway at once, on two cores other test files share.
      await eventually(() => expect(stderr()).toContain('2 workers serving'), { timeoutMs: 90_000, intervalMs: 100 });
      const pids = workersOf(child.pid!);
      expect(pids).toHaveLength(2);
      child.kill('SIGKILL');
      await eventually(() => {
        for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
      }, { timeoutMs: 30_000, intervalMs: 200 });
    } finally {
      for (const pid of seen) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }, 180_000);
});

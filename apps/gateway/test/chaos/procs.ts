/**
 * Real gateway processes for the chaos tests: `apigpt serve` from the built binary, killed with
 * SIGKILL mid-load, started again on the same data folder; and the load that counts, per call, what
 * the client really received.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import { apigptBin } from '../built-cli.js';

export interface Proc {
  child: ChildProcess;
  base: string;
  stderr: () => string;
}

/**
 * Starts `apigpt serve` on a free port as a user would, without waiting for it: its output so far
 * comes from `stdout()` and `stderr()`.
 */
export function launchServe(dataDir: string, env: Record<string, string>): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [apigptBin(), 'serve', '--data', dataDir, '--port', '0', '--host', '127.0.0.1'], {
    env: { PATH: process.env.PATH, APIGPT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  return { child, stdout: () => out, stderr: () => err };
}

/**
 * Starts `apigpt serve` (`launchServe`), and resolves with what it printed once its output matches
 * `ready` (the banner). Shared with serve.test.ts.
 */
export async function spawnServe(dataDir: string, env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; out: string; stderr: () => string }> {
  const { child, stdout, stderr } = launchServe(dataDir, env);
  await new Promise<void>((resolve, reject) => {
    // A ceiling: on a CI machine three test files share two cores, and a start can take a while.
    const timer = setTimeout(() => reject(new Error(`no banner in 90 s; stderr: ${stderr()}`)), 90_000);
    const check = () => {
      if (!ready.test(stdout())) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve();
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr()}`)));
  });
  return { child, out: stdout(), stderr };
}

/** Starts `apigpt serve` with this environment; resolves once it listens. */
export async function startProc(dataDir: string, env: Record<string, string>): Promise<Proc> {
  const { child, out, stderr } = await spawnServe(dataDir, env, /Console:\s+http:\/\/\S+\//);
  return { child, base: /Console:\s+(http:\/\/\S+)\//.exec(out)![1], stderr };
}

export async function kill9(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const gone = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGKILL');
  await gone;
}

export async function stopProc(p: Proc): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  const gone = new Promise<number | null>((r) => p.child.once('exit', (code) => r(code)));
  p.child.kill('SIGTERM');
  return gone;
}

/** A signed-up user with an app key, through the management API. */
export async function userWithKey(base: string): Promise<{ userId: string; key: string }> {
  const email = `chaos-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}@test.local`;
  const su = await fetch(`${base}/api/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'harness-password-17' }) });
  if (su.status !== 200) throw new Error(`signup: ${su.status} ${await su.text()}`);
  const cookie = (su.headers.get('set-cookie') ?? '').split(';')[0];
  const user = ((await su.json()) as { user: { id: string } }).user;
  const app = await fetch(`${base}/api/apps`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ name: 'chaos' }) });
  if (app.status !== 200) throw new Error(`app: ${app.status} ${await app.text()}`);
  return { userId: user.id, key: ((await app.json()) as { key: { key: string } }).key.key };
}

export interface LoadTally {
  /** Request ids of calls whose whole 200 answer the client received. */
  served: Set<string>;
  /** Request ids of calls whose answer began but broke (the connection died under them). */
  broken: Set<string>;
  /** Calls that got no answer at all (connection refused or reset before the headers). */
  refused: number;
  /** Statuses other than 200 that came back whole. */
  statuses: Map<number, number>;
}

/**
 * `clients` loops calling chat completions (every other call streamed) on the given bases, until
 * `stop()`. A streamed answer counts as served only when its terminal `[DONE]` arrived and the
 * response ended; a plain one when its whole JSON body arrived.
 */
export function runLoad(bases: () => string[], key: string, clients: number): { tally: LoadTally; stop: () => Promise<void> } {
  const tally: LoadTally = { served: new Set(), broken: new Set(), refused: 0, statuses: new Map() };
  let stopping = false;
  let n = 0;
  const one = async (base: string, stream: boolean) => {
    let res: Response;
    try {
      res = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `call ${n++}` }], max_tokens: 40, stream }),
      });
    } catch {
      tally.refused++;
      return;
    }
    const id = res.headers.get('x-request-id') ?? '';
    let body: string;
    try {
      body = await res.text();
    } catch {
      if (id) tally.broken.add(id);
      return;
    }
    if (res.status !== 200) {
      tally.statuses.set(res.status, (tally.statuses.get(res.status) ?? 0) + 1);
      return;
    }
    const whole = stream ? body.includes('data: [DONE]') : body.trimEnd().endsWith('}');
    (whole ? tally.served : tally.broken).add(id);
  };
  const loops = Array.from({ length: clients }, async (_, i) => {
    let k = 0;
    while (!stopping) {
      const list = bases();
      await one(list[(i + k) % list.length], (i + k) % 2 === 1);
      k++;
    }
  });
  return {
    tally,
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/** `apigpt billing check --json` as an operator runs it; resolves to its exit code and report. */
export function billingCheck(dataDir: string, env: Record<string, string>): Promise<{ code: number | null; report: any }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [apigptBin(), 'billing', 'check', '--json', '--data', dataDir], { env: { PATH: process.env.PATH, APIGPT_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      try {
        resolve({ code, report: JSON.parse(out) });
      } catch {
        reject(new Error(`billing check printed no JSON (exit ${code}): ${out} ${err}`));
      }
    });
  });
}

/** The audit an operator runs after the processes stopped: `billing check` finds no problem and exits 0. */
export async function expectCleanAudit(dataDir: string, env: Record<string, string>): Promise<void> {
  const check = await billingCheck(dataDir, env);
  expect(check.report.problems).toEqual([]);
  expect(check.code).toBe(0);
}

/**
 * The gateway's process runs out of file descriptors (a burst of connections past its limit, a
 * leak elsewhere on a shared host): a call whose provider connection cannot even be opened gets a
 * retryable 503 (`EMFILE` is the gateway's condition, not the provider's), and the failure does not
 * count against the provider's channel. Before, it was `502 upstream_unreachable` and counted: a few
 * such calls opened a healthy channel's circuit, which then refused its calls after the descriptors
 * came back. Likewise the background health probe: one it cannot make leaves the channel's circuit
 * as it was (before, it counted as a failed probe and re-opened the circuit).
 *
 * A real `apigpt serve`, its descriptor limit lowered from outside to what it has open (util-linux's
 * `prlimit --pid`, Linux; scripts/test-prereqs.sh checks it is there), the test's own connection to
 * it kept alive from before; the call goes to a channel on a provider the gateway has no connection
 * to yet, so it must open one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startProc, stopProc, userWithKey, type Proc } from './procs.js';
import { eventually } from '../eventually.js';
import { freePort } from '../redis-servers.js';

const ROOT_TOKEN = `root-${randomBytes(12).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'apigpt-fds-'));
const sims: Simulator[] = [];
let proc: Proc | null = null;
// One kept-alive connection to the gateway, opened before its descriptors run out.
const client = new Agent({ connections: 1, keepAliveTimeout: 60_000 });

afterAll(async () => {
  await client.close();
  if (proc) await stopProc(proc);
  for (const s of sims) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `body` with the process's soft descriptor limit at its lowest free descriptor number: no new descriptor fits. */
async function withoutDescriptors(pid: number, body: () => Promise<void>): Promise<void> {
  const soft = execFileSync('prlimit', ['--pid', String(pid), '--nofile', '--output=SOFT', '--noheadings', '--raw']).toString().trim();
  // A new descriptor takes the lowest free number, and the limit bounds that number: set to the
  // lowest free one, no new descriptor fits. The soft limit only; the hard one stays, to go back.
  const used = new Set(readdirSync(`/proc/${pid}/fd`).map(Number));
  let lowestFree = 0;
  while (used.has(lowestFree)) lowestFree++;
  execFileSync('prlimit', ['--pid', String(pid), `--nofile=${lowestFree}:`]);
  try {
    await body();
  } finally {
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${soft}:`]);
  }
}

/** The request log's writer thread (started by the first call's row) has its files open: asked over the kept-alive connection. */
async function writerReady(base: string): Promise<void> {
  await eventually(async () => {
    const r = await request(`${base}/readyz`, { dispatcher: client });
    expect(((await r.body.json()) as { checks: { log_writer: string } }).checks.log_writer).toBe('ok');
  }, { timeoutMs: 30_000, intervalMs: 100 });
}

/** The management API as root, over the kept-alive connection (no new descriptor on either side). */
async function admin<T>(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await request(`${base}${path}`, {
    method,
    dispatcher: client,
    headers: { authorization: `Bearer ${ROOT_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.statusCode, body: (await r.body.json()) as T };
}

async function call(base: string, key: string, model: string): Promise<{ status: number; retryAfter: string | null; body: { error?: { code?: string } } }> {
  const r = await request(`${base}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: client,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const retryAfter = r.headers['retry-after'];
  return { status: r.statusCode, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, body: (await r.body.json()) as { error?: { code?: string } } };
}

describe('the gateway out of file descriptors', () => {
  it('a call that cannot open its provider connection gets a retryable 503, and the channel is not blamed: served again once descriptors are back', async () => {
    const first = await startSimulator();
    const second = await startSimulator();
    sims.push(first, second);
    // Two failures in a row would open a channel's circuit: the three calls below would, if counted.
    const env = { APIGPT_ROOT_TOKEN: ROOT_TOKEN, OPENAI_COMPATIBLE_BASE_URL: `${first.url}/v1`, OPENAI_COMPATIBLE_MODELS: 'gpt-4o-mini', APIGPT_ADMIN_PASSWORD: 'admin-password-1', APIGPT_CIRCUIT_FAILURES: '2' };
    const p = await startProc(dir, env);
    proc = p;
    const created = await fetch(`${p.base}/api/admin/channels`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ROOT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'openai-compatible', name: 'second', baseUrl: `${second.url}/v1`, models: ['gpt-4o'] }),
    });
    expect(created.status).toBe(200);
    const u = await userWithKey(p.base);
    expect((await call(p.base, u.key, 'gpt-4o-mini')).status).toBe(200);
    // No descriptor of the gateway's opens or closes after this but the provider connection asked for.
    await writerReady(p.base);
    await withoutDescriptors(p.child.pid!, async () => {
      for (let i = 0; i < 3; i++) {
        const r = await call(p.base, u.key, 'gpt-4o');
        expect([r.status, r.retryAfter, r.body.error?.code]).toEqual([503, '2', 'service_unavailable']);
      }
    });
    // Had the three counted against the channel, its circuit would be open and the call refused.
    expect((await call(p.base, u.key, 'gpt-4o')).status).toBe(200);
    expect(second.requests.length).toBe(1);
    await stopProc(p);
    proc = null;
  }, 120_000);

  it("a background probe the gateway cannot make (no descriptor for its connection) is not the channel's failure: the circuit stays half-open, and the next probe closes it", async () => {
    // Nothing listens on the channel's port at first: its calls are refused (the channel's own
    // failure), its circuit opens, and the gateway keeps no connection to it.
    const port = await freePort();
    const first = await startSimulator();
    sims.push(first);
    const env = {
      APIGPT_ROOT_TOKEN: ROOT_TOKEN,
      OPENAI_COMPATIBLE_BASE_URL: `${first.url}/v1`,
      OPENAI_COMPATIBLE_MODELS: 'gpt-4o-mini',
      APIGPT_ADMIN_PASSWORD: 'admin-password-1',
      APIGPT_CIRCUIT_FAILURES: '2',
      APIGPT_CIRCUIT_COOLDOWN_MS: '200',
      APIGPT_HEALTH_PROBE_INTERVAL_MS: '0', // rounds only when asked (POST /api/admin/health/check)
    };
    const p = await startProc(mkdtempSync(join(dir, 'probe-')), env);
    proc = p;
    const created = await admin<{ channel: { id: string } }>(p.base, 'POST', '/api/admin/channels', { provider: 'openai-compatible', name: 'late', baseUrl: `http://127.0.0.1:${port}/v1`, models: ['gpt-4o'] });
    expect(created.status).toBe(200);
    const id = created.body.channel.id;
    const circuit = async () => (await admin<{ items: { id: string; state: string; trips: number }[] }>(p.base, 'GET', '/api/admin/channels/health')).body.items.find((c) => c.id === id)!;
    const events = async () => (await admin<{ items: { kind: string }[] }>(p.base, 'GET', `/api/admin/channels/${id}/events`)).body.items.map((e) => e.kind);
    const u = await userWithKey(p.base);
    const refused = await call(p.base, u.key, 'gpt-4o');
    expect([refused.status, refused.body.error?.code]).toEqual([502, 'upstream_unreachable']);
    expect((await circuit()).trips).toBe(1); // the refusals opened the circuit
    // The provider comes up on that port; the cool-down ends: one probe may try the channel.
    const late = await startSimulator({ port });
    sims.push(late);
    await eventually(async () => expect((await circuit()).state).toBe('half_open'), { timeoutMs: 30_000, intervalMs: 50 });
    const trips = (await circuit()).trips;
    expect((await call(p.base, u.key, 'gpt-4o-mini')).status).toBe(200);
    await writerReady(p.base);

    await withoutDescriptors(p.child.pid!, async () => {
      expect((await admin(p.base, 'POST', '/api/admin/health/check')).status).toBe(200);
    });
    // Not tried, so not failed: the circuit as it was, no failed probe in the channel's history.
    expect(await circuit()).toMatchObject({ state: 'half_open', trips });
    expect(await events()).not.toContain('probe_failed');
    expect(late.requests.length).toBe(0);

    expect((await admin(p.base, 'POST', '/api/admin/health/check')).status).toBe(200);
    expect((await circuit()).state).toBe('closed');
    expect(await events()).toContain('probe_ok');
    expect(late.requests.length).toBe(1);
  }, 120_000);
});

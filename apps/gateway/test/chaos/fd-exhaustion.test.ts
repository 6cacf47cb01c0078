/**
 * The gateway's process runs out of file descriptors (a burst of connections past its limit, a
 * leak elsewhere on a shared host): a call whose provider connection cannot even be opened gets a
 * retryable 503 (`EMFILE` is the gateway's condition, not the provider's), and the failure does not
 * count against the provider's channel. Before, it was `502 upstream_unreachable` and counted: a few
 * such calls opened a healthy channel's circuit, which then refused its calls after the descriptors
 * came back.
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
    // The request log's writer thread (started by the first call's row) has its files open, asked
    // over the same kept-alive connection: no descriptor of the gateway's opens or closes after this.
    await eventually(async () => {
      const r = await request(`${p.base}/readyz`, { dispatcher: client });
      expect(((await r.body.json()) as { checks: { log_writer: string } }).checks.log_writer).toBe('ok');
    }, { timeoutMs: 30_000, intervalMs: 100 });

    const pid = p.child.pid!;
    const soft = execFileSync('prlimit', ['--pid', String(pid), '--nofile', '--output=SOFT', '--noheadings', '--raw']).toString().trim();
    // A new descriptor takes the lowest free number, and the limit bounds that number: set to the
    // lowest free one, no new descriptor fits. The soft limit only; the hard one stays, to go back.
    const used = new Set(readdirSync(`/proc/${pid}/fd`).map(Number));
    let lowestFree = 0;
    while (used.has(lowestFree)) lowestFree++;
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${lowestFree}:`]);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await call(p.base, u.key, 'gpt-4o');
        expect([r.status, r.retryAfter, r.body.error?.code]).toEqual([503, '2', 'service_unavailable']);
      }
    } finally {
      execFileSync('prlimit', ['--pid', String(pid), `--nofile=${soft}:`]);
    }
    // Had the three counted against the channel, its circuit would be open and the call refused.
    expect((await call(p.base, u.key, 'gpt-4o')).status).toBe(200);
    expect(second.requests.length).toBe(1);
  }, 120_000);
});

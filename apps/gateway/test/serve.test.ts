import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { launchServe, spawnServe } from './chaos/procs.js';
import { eventually } from './eventually.js';

/** Starts `apigpt serve` as a user would (no provider key in the environment) and reads its banner. */
async function serve(dataDir: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; banner: string }> {
  const { child, out } = await spawnServe(dataDir, env, /-d '\{/);
  return { child, banner: out };
}

/**
 * Launches `apigpt serve` on a fresh folder and resolves while it is starting: its database file
 * exists once the start is under way; the admin, the key and the banner come later. `exited`: its
 * exit code and signal.
 */
async function midStart(dataDir: string) {
  const { child, stdout, stderr } = launchServe(dataDir, { APIGPT_LOG_LEVEL: 'info' });
  const exited = new Promise<[number | null, string | null]>((r) => child.once('exit', (code, signal) => r([code, signal])));
  await eventually(() => expect(existsSync(join(dataDir, 'apigpt.db'))).toBe(true), { timeoutMs: 60_000, intervalMs: 5 });
  return { child, stdout, stderr, exited };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('apigpt serve on a fresh data folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-serve-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the console, the admin login and a curl call that works as pasted, on the simulated demo channel', async () => {
    const { child, banner } = await serve(dir);
    try {
      const base = /Console:\s+(http:\/\/\S+)\//.exec(banner)![1];
      expect(banner).toMatch(/Admin:\s+admin@apigpt\.local\s+password: \S{12,}/);
      expect(banner).toContain('Demo (simulated) [simulated]');
      const key = /Bearer (sk-[0-9A-Za-z]{48})/.exec(banner)![1];
      const model = /"model":"([^"]+)"/.exec(banner)![1];
      const client = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });
      const res = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello!' }] });
      expect(res.choices[0].message.content).toContain('simulated');
      const page = await fetch(`${base}/api/docs`);
      expect(page.status).toBe(200);
      // The master key file that seals channel secrets is private to its owner.
      expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'apigpt.db')).isFile()).toBe(true);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it('a second start keeps the data, prints no password again, and the demo channel follows the simulator', async () => {
    const { child, banner } = await serve(dir);
    try {
      expect(banner).not.toMatch(/password:/);
      expect(banner).toContain('Demo (simulated) [simulated]');
      expect(banner).toContain('$APIGPT_KEY');
      const base = /Console:\s+(http:\/\/\S+)\//.exec(banner)![1];
      const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'nobody@x.io', password: 'whatever1' }) });
      expect(login.status).toBe(401);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it('with APIGPT_ADMIN_PASSWORD and OPENAI_COMPATIBLE_BASE_URL a real channel is created instead of the demo', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'apigpt-serve-'));
    const { startSimulator } = await import('@apigpt/simulator');
    const upstream = await startSimulator();
    const { child, banner } = await serve(fresh, { APIGPT_ADMIN_PASSWORD: 'chosen-password-1', OPENAI_COMPATIBLE_BASE_URL: `${upstream.url}/v1`, OPENAI_COMPATIBLE_MODELS: 'llama3,qwen2' });
    try {
      expect(banner).not.toContain('Demo (simulated)');
      expect(banner).toContain('OpenAI-compatible');
      expect(banner).toContain('(from APIGPT_ADMIN_PASSWORD)');
      const base = /Console:\s+(http:\/\/\S+)\//.exec(banner)![1];
      const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@apigpt.local', password: 'chosen-password-1' }) });
      expect(login.status).toBe(200);
      const key = /Bearer (sk-[0-9A-Za-z]{48})/.exec(banner)![1];
      const res = await new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'qwen2', messages: [{ role: 'user', content: 'hi' }] });
      expect(res.choices[0].message.content).toBeTruthy();
      expect(upstream.requests.at(-1)!.body).toMatchObject({ model: 'qwen2' });
    } finally {
      await stop(child);
      await upstream.close();
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('a SIGTERM during the first start still shows the admin password, then stops cleanly (exit 0); that password signs in', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'apigpt-serve-'));
    try {
      const { child, stdout, stderr, exited } = await midStart(fresh);
      expect(stdout()).not.toContain('APIGPT is running');
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
      expect(stderr()).toContain('SIGTERM received while starting: stopping once started');
      expect(stderr()).toContain('SIGTERM received during the start, shutting down');
      const password = /Admin:\s+admin@apigpt\.local\s+password: (\S{12,})/.exec(stdout())![1];
      // The next start on the same folder: the printed password is the admin's.
      const { child: again, banner } = await serve(fresh);
      try {
        const base = /Console:\s+(http:\/\/\S+)\//.exec(banner)![1];
        const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@apigpt.local', password }) });
        expect(login.status).toBe(200);
      } finally {
        expect(await stop(again)).toBe(0);
      }
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  }, 120_000);

  it('a second SIGINT during the start stops the process at once, by the signal', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'apigpt-serve-'));
    try {
      const { child, stdout, stderr, exited } = await midStart(fresh);
      child.kill('SIGINT');
      await eventually(() => expect(stderr()).toContain('SIGINT received while starting'), { timeoutMs: 30_000, intervalMs: 5 });
      child.kill('SIGINT');
      expect(await exited).toEqual([null, 'SIGINT']);
      expect(stdout()).not.toContain('APIGPT is running');
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  }, 120_000);
});

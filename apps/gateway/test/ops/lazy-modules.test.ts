import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { apigptBin } from '../built-cli.js';

/**
 * What a gateway keeps out of memory until it needs it (docs/architecture.md, "Start and idle
 * memory"). It must be a process of its own: this test runner's process has every module loaded by
 * other test files. The child starts the built gateway on SQLite with no Redis and no SMTP, lists the packages it has loaded, then signs a user up (the password strength check)
 * and lists them again.
 */
const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const CHILD = `
import { createRequire } from 'node:module';
const { startGateway, loadConfig, createLogger } = await import(process.env.GATEWAY_DIST);
const loaded = () => [...new Set(Object.keys(createRequire(import.meta.url).cache).map((k) => /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(k)?.[1]).filter(Boolean))].sort();
const config = loadConfig({ env: {}, file: undefined, overrides: { port: 0, host: '127.0.0.1', dataDir: process.env.DATA_DIR, demoChannel: 'off', logLevel: 'silent' } });
const gw = await startGateway(config, { log: createLogger('silent') });
const atStart = loaded();
const signup = await fetch(gw.url + '/api/auth/signup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'lazy@example.com', password: 'correct horse battery staple 42' }) });
const afterSignup = loaded();
await gw.close();
console.log(JSON.stringify({ atStart, afterSignup, signup: signup.status }));
`;

describe('start and idle memory', () => {
  it('a SQLite gateway without Redis, SMTP or a config file has not loaded pg, ioredis, nodemailer or zxcvbn; a sign-up loads the strength checker', async () => {
    const dist = pathToFileURL(join(dirname(apigptBin()), '../dist/index.js')).href;
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-lazy-'));
    dirs.push(dir);
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', CHILD], { env: { ...process.env, GATEWAY_DIST: dist, DATA_DIR: dir }, timeout: 60_000 });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { atStart: string[]; afterSignup: string[]; signup: number };
    // Loaded by every gateway (the check would pass vacuously if the list were empty).
    expect(out.atStart).toEqual(expect.arrayContaining(['fastify', 'better-sqlite3', 'undici']));
    for (const lazy of ['pg', 'ioredis', 'nodemailer', '@zxcvbn-ts/core', '@zxcvbn-ts/language-common']) expect(out.atStart).not.toContain(lazy);
    expect(out.signup).toBe(200);
    expect(out.afterSignup).toContain('@zxcvbn-ts/core');
    expect(out.afterSignup).not.toContain('pg');
  }, 90_000);
});

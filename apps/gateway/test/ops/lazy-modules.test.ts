import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
const config = loadConfig({ env: {}, file: undefined, overrides: { port: 0, host: '127.0.0.1', dataDir: process.env.DATA_DIR, demoChannel: process.env.DEMO, logLevel: 'silent' } });
const gw = await startGateway(config, { log: createLogger('silent') });
const atStart = loaded();
const signup = await fetch(gw.url + '/api/auth/signup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'lazy@example.com', password: 'correct horse battery staple 42' }) });
const afterSignup = loaded();
let chat = null;
if (process.env.DEMO === 'on') {
  const cookie = (signup.headers.get('set-cookie') ?? '').split(';')[0];
  const { key } = await (await fetch(gw.url + '/api/apps', { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ name: 'demo' }) })).json();
  chat = (await fetch(gw.url + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + key.key }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }) })).status;
}
const afterChat = loaded();
await gw.close();
console.log(JSON.stringify({ atStart, afterSignup, signup: signup.status, chat, afterChat }));
`;

type Loaded = { atStart: string[]; afterSignup: string[]; signup: number; chat: number | null; afterChat: string[] };

async function startAndList(demo: 'on' | 'off'): Promise<Loaded> {
  const dist = pathToFileURL(join(dirname(apigptBin()), '../dist/index.js')).href;
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-lazy-'));
  dirs.push(dir);
  // A file, not `--input-type=module -e`: the writer thread inherits the process's flags, and that one is refused in a thread.
  const script = join(dir, 'child.mjs');
  writeFileSync(script, CHILD);
  const { stdout } = await run(process.execPath, [script], { env: { ...process.env, GATEWAY_DIST: dist, DATA_DIR: dir, DEMO: demo }, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Loaded;
}

describe('start and idle memory', () => {
  it('a SQLite gateway without Redis or SMTP has not loaded pg, ioredis, nodemailer or zxcvbn; a sign-up loads the strength checker', async () => {
    const out = await startAndList('off');
    // Loaded by every gateway (the check would pass vacuously if the list were empty).
    expect(out.atStart).toEqual(expect.arrayContaining(['fastify', 'better-sqlite3', 'undici']));
    for (const lazy of ['pg', 'ioredis', 'nodemailer', '@zxcvbn-ts/core', '@zxcvbn-ts/language-common', 'gpt-tokenizer']) expect(out.atStart).not.toContain(lazy);
    expect(out.signup).toBe(200);
    expect(out.afterSignup).toContain('@zxcvbn-ts/core');
    expect(out.afterSignup).not.toContain('pg');
  }, 90_000);

  it('with the demo channel the simulator runs in the process, and the tokenizer tables load with the first call, not at start', async () => {
    const out = await startAndList('on');
    expect(out.atStart).not.toContain('gpt-tokenizer');
    expect(out.chat).toBe(200);
    expect(out.afterChat).toContain('gpt-tokenizer');
  }, 90_000);
});

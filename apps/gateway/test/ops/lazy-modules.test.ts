import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { countTokens } from 'gpt-tokenizer';
import { startSimulator } from '@apigpt/simulator';
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
import { request } from 'node:http';
const { startGateway, loadConfig, createLogger } = await import(process.env.GATEWAY_DIST);
const cache = () => Object.keys(createRequire(import.meta.url).cache);
const loaded = () => [...new Set(cache().map((k) => /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(k)?.[1]).filter(Boolean))].sort();
// node:http rather than fetch: fetch would itself load what the last check looks for.
const post = (url, body, headers = {}) => new Promise((resolve, reject) => {
  const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
    let text = '';
    res.on('data', (c) => (text += c));
    res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
  });
  req.on('error', reject);
  req.end(JSON.stringify(body));
});
const config = loadConfig({ env: {}, file: undefined, overrides: { port: 0, host: '127.0.0.1', dataDir: process.env.DATA_DIR, demoChannel: process.env.DEMO, logLevel: 'silent' } });
const gw = await startGateway(config, { log: createLogger('silent') });
const atStart = loaded();
const signup = await post(gw.url + '/api/auth/signup', { email: 'lazy@example.com', password: 'correct horse battery staple 42' });
const afterSignup = loaded();
let chat = null;
let demoTokens = null;
if (process.env.SIM_URL) await gw.services.channels.create({ provider: 'openai-compatible', name: 'sim', baseUrl: process.env.SIM_URL + '/v1', models: ['gpt-4o-mini'] });
if (process.env.DEMO === 'on' || process.env.SIM_URL) {
  const cookie = String(signup.headers['set-cookie']?.[0] ?? '').split(';')[0];
  const { key } = JSON.parse((await post(gw.url + '/api/apps', { name: 'demo' }, { cookie })).text);
  const ask = (content) => post(gw.url + '/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }, { authorization: 'Bearer ' + key.key });
  chat = (await ask(process.env.SIM_URL ? 'hi [[sim no-usage]]' : 'hi')).status;
  // The demo simulator's prompt counts for one "中" and for a run of them (one piece to a tokenizer).
  if (process.env.LONG) demoTokens = await Promise.all([1, Number(process.env.LONG)].map(async (n) => JSON.parse((await ask('中'.repeat(n))).text).usage.prompt_tokens));
}
const afterChat = loaded();
// undici's index (its fetch, WebSocket, cookies) and Node's own bundled undici, which the index
// pulls in: neither is needed to relay a call (src/core/undici.ts).
const undiciIndex = cache().some((k) => /node_modules\\/undici\\/index\\.js$/.test(k));
const nodeUndici = process.moduleLoadList.some((m) => m.includes('internal/deps/undici'));
await gw.close();
console.log(JSON.stringify({ atStart, afterSignup, signup: signup.status, chat, demoTokens, afterChat, undiciIndex, nodeUndici }));
`;

type Loaded = { atStart: string[]; afterSignup: string[]; signup: number; chat: number | null; demoTokens: [number, number] | null; afterChat: string[]; undiciIndex: boolean; nodeUndici: boolean };

async function startAndList(demo: 'on' | 'off', simUrl = '', long = ''): Promise<Loaded> {
  const dist = pathToFileURL(join(dirname(apigptBin()), '../dist/index.js')).href;
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-lazy-'));
  dirs.push(dir);
  // A file, not `--input-type=module -e`: the writer thread inherits the process's flags, and that one is refused in a thread.
  const script = join(dir, 'child.mjs');
  writeFileSync(script, CHILD);
  const { stdout } = await run(process.execPath, [script], { env: { ...process.env, GATEWAY_DIST: dist, DATA_DIR: dir, DEMO: demo, SIM_URL: simUrl, LONG: long }, timeout: 60_000 });
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

  it('with the demo channel the simulator runs in the process and counts with the gateway’s own table: gpt-tokenizer never loads, and a prompt of 100,000 "中" (one piece) is counted exactly', async () => {
    // One "中" is one o200k_base token wherever it stands (checked with the independent tokenizer).
    expect(countTokens('中'.repeat(2_000))).toBe(2_000);
    const out = await startAndList('on', '', '100000');
    expect(out.chat).toBe(200);
    expect(out.demoTokens![1] - out.demoTokens![0]).toBe(99_999);
    // gpt-tokenizer merges a piece in quadratic time (100,000 "中": about 45 s with the process stopped).
    expect(out.afterChat).not.toContain('gpt-tokenizer');
  }, 90_000);

  it('the gateway counts tokens from its own compact table: a relayed call whose provider reports no usage is counted without loading gpt-tokenizer', async () => {
    const sim = await startSimulator({ host: '127.0.0.1', defaults: { ttftMs: 0, chunkDelayMs: 0 } });
    try {
      const out = await startAndList('off', sim.url);
      expect(out.chat).toBe(200);
      expect(out.afterChat).toContain('undici');
      expect(out.afterChat).not.toContain('gpt-tokenizer');
    } finally {
      await sim.close();
    }
  }, 90_000);

  it('a relayed call loads undici’s dispatcher only: not its index (fetch, WebSocket, cookies) nor Node’s own copy of undici', async () => {
    const out = await startAndList('on');
    expect(out.chat).toBe(200);
    expect(out.afterChat).toContain('undici');
    expect(out.undiciIndex).toBe(false);
    expect(out.nodeUndici).toBe(false);
  }, 90_000);
});

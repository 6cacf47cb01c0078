import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { loadConfig, ConfigError } from '../src/config/config.js';
import { startTestGateway, type TestGateway } from './harness.js';
import { eventually } from './eventually.js';
import { apigptBin } from './built-cli.js';

const run = promisify(execFile);

/** Runs the real `apigpt` binary (the built dist, checked to be current) with an environment of our choosing. */
async function apigpt(args: string[], env: Record<string, string> = {}) {
  const bin = apigptBin(); // outside the try: a stale build fails the test with its own message
  try {
    const r = await run(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('apigpt CLI against a running server on the same SQLite file', () => {
  let t: TestGateway;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await startTestGateway();
    // The CLI must open the same database and the same master key as the server.
    env = { APIGPT_DATA_DIR: t.config.dataDir, APIGPT_SECRET: t.config.secret! };
  });
  afterAll(() => t?.close());

  it('user create, app create (prints a working key), key create, key revoke — while the server runs', async () => {
    const user = await apigpt(['user', 'create', '--email', 'cli@test.local', '--password', 'cli-password-1', '--json'], env);
    expect(user.code, user.stderr).toBe(0);
    expect(JSON.parse(user.stdout)).toMatchObject({ email: 'cli@test.local', role: 'user' });

    const app = await apigpt(['app', 'create', '--email', 'cli@test.local', '--name', 'From CLI', '--json'], env);
    expect(app.code, app.stderr).toBe(0);
    const { key } = JSON.parse(app.stdout) as { key: string };
    const client = new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0 });
    const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0].message.content).toBeTruthy();

    const second = await apigpt(['key', 'create', '--email', 'cli@test.local', '--app', 'From CLI', '--name', 'second', '--json'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout).key).toMatch(/^sk-/);

    const revoke = await apigpt(['key', 'revoke', key.slice(0, 14), '--json'], env);
    expect(revoke.code, revoke.stderr).toBe(0);
    const err = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('channel add and list: the secret is stored sealed and never printed; the server routes to it', async () => {
    const add = await apigpt(
      ['channel', 'add', '--provider', 'openai-compatible', '--name', 'cli channel', '--base-url', `${t.sim.url}/v1`, '--key', 'sk-cli-secret-value', '--models', 'cli-model,other', '--priority', '5', '--json'],
      env,
    );
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ name: 'cli channel', priority: 5, hasSecret: true, models: ['cli-model', 'other'] });
    // A model needs a price before it can be called.
    const price = await apigpt(['price', 'set', '--model', 'cli-model', '--input', '0.5', '--output', '1.5', '--json'], env);
    expect(price.code, price.stderr).toBe(0);
    const list = await apigpt(['channel', 'list', '--json'], env);
    expect(list.stdout).not.toContain('sk-cli-secret-value');
    expect((JSON.parse(list.stdout) as { name: string }[]).map((c) => c.name)).toContain('cli channel');
    const { key } = await t.newUserWithKey();
    const client = new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0 });
    // The server sees a channel another process added once its channel snapshot reloads: the call
    // is refused (unknown model) until then.
    const res = await eventually(() => client.chat.completions.create({ model: 'cli-model', messages: [{ role: 'user', content: 'hi' }] }), { timeoutMs: 3000 });
    expect(res.choices[0].message.content).toBeTruthy();
    expect(t.sim.requests.at(-1)!.headers.authorization).toBe('Bearer sk-cli-secret-value');
  });

  it('usage errors and bad input exit non-zero with one clear line', async () => {
    const missing = await apigpt(['app', 'create', '--email', 'cli@test.local'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--name is required/);
    const noUser = await apigpt(['app', 'create', '--email', 'nobody@test.local', '--name', 'x', '--json'], env);
    expect(noUser.code).toBe(1);
    expect(JSON.parse(noUser.stdout).error.message).toMatch(/No user with email/);
    const badProvider = await apigpt(['channel', 'add', '--provider', 'nope', '--name', 'x', '--base-url', 'http://x', '--models', 'a'], env);
    expect(badProvider.code).toBe(1);
    expect(badProvider.stderr).toMatch(/provider must be one of/);
  });

  it('--help for the program and for each command', async () => {
    const top = await apigpt(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['serve', 'migrate', 'simulator', 'user create', 'app create', 'key create', 'key revoke', 'channel add', 'channel list']) expect(top.stdout).toContain(`apigpt ${cmd}`);
    const one = await apigpt(['channel', 'add', '--help']);
    expect(one.stdout).toMatch(/--base-url URL/);
  });

  it('migrate reports an up-to-date database', async () => {
    const r = await apigpt(['migrate', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).applied).toEqual([]);
  });
});

describe('configuration validation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the field and what it expected', () => {
    expect(() => loadConfig({ env: { PORT: 'abc' } })).toThrow(new ConfigError('PORT must be a whole number (got "abc")'));
    expect(() => loadConfig({ env: { PORT: '70000' } })).toThrow(/PORT must be a whole number from 0 to 65535/);
    expect(() => loadConfig({ env: { APIGPT_BODY_LIMIT: 'lots' } })).toThrow(/APIGPT_BODY_LIMIT must be a size such as 20mb/);
    expect(() => loadConfig({ env: { APIGPT_SIGNUP: 'maybe' } })).toThrow(/APIGPT_SIGNUP must be true or false/);
    expect(() => loadConfig({ env: { DATABASE_URL: 'mysql://u:p@h/db' } })).toThrow(/DATABASE_URL must be a postgres:\/\/ URL/);
    expect(() => loadConfig({ env: { OPENAI_BASE_URL: 'not a url' } })).toThrow(/OPENAI_BASE_URL must be a URL/);
    expect(() => loadConfig({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } })).toThrow('OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (got "grpc": OTLP over gRPC is not offered, use http/protobuf to port 4318)');
    expect(() => loadConfig({ env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/xml' } })).toThrow('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be http/protobuf or http/json (got "http/xml")');
    expect(loadConfig({ env: {} }).otlpProtocol).toBe('http/protobuf');
  });

  it('reads apigpt.yaml, lets the environment win, and rejects unknown fields', () => {
    const file = join(dir, 'apigpt.yaml');
    writeFileSync(file, 'port: 4000\nbodyLimit: 1mb\nsignupEnabled: false\n');
    const c = loadConfig({ env: {}, file });
    expect(c.port).toBe(4000);
    expect(c.bodyLimit).toBe(1024 * 1024);
    expect(c.signupEnabled).toBe(false);
    expect(loadConfig({ env: { PORT: '5000' }, file }).port).toBe(5000);
    writeFileSync(file, 'prot: 4000\n');
    expect(() => loadConfig({ env: {}, file })).toThrow(/unknown field "prot"/);
    writeFileSync(file, 'port: [1, 2\n');
    expect(() => loadConfig({ env: {}, file })).toThrow(/is not valid YAML/);
  });

  it('the serve command stops with one clear line on a wrong value', async () => {
    const r = await apigpt(['serve', '--data', dir], { PORT: 'eighty' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('Error: PORT must be a whole number (got "eighty")');
  });
});

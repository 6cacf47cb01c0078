/**
 * Test harness: a real gateway on a real database (a SQLite file in a temp folder, or a fresh
 * PostgreSQL schema), a real simulator as upstream, over real HTTP on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startSimulator, type Simulator, type SimulatorOptions } from '@apigpt/simulator';
import { loadConfig, type Config } from '../src/config/config.js';
import { startGateway, type Gateway, type StartOptions } from '../src/gateway.js';
import { createLogger } from '../src/core/logger.js';
import type { ChannelInput } from '../src/channels/channels.js';

export type DbKind = 'sqlite' | 'postgres';
export const PG_URL = process.env.APIGPT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.APIGPT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-3.5-turbo-instruct', 'text-embedding-3-small'];

export interface TestGatewayOptions {
  db?: DbKind;
  config?: Partial<Config>;
  simulator?: SimulatorOptions;
  /** Channels to create; default one openai-compatible channel on the harness's simulator. */
  channels?: (sim: Simulator) => ChannelInput[];
  start?: StartOptions;
  /** Reuse a database of another harness (several gateway processes on one database). */
  shareWith?: TestGateway;
}

export interface TestGateway {
  gw: Gateway;
  url: string;
  sim: Simulator;
  config: Config;
  rootToken: string;
  admin: { email: string; password: string };
  /** Signs up a user and returns its session cookie. */
  signup(email?: string, password?: string): Promise<{ cookie: string; user: { id: string; email: string } }>;
  /** Management API call with a cookie or the root token. */
  api<T = any>(method: string, path: string, body?: unknown, auth?: { cookie?: string; token?: string }): Promise<{ status: number; body: T }>;
  /** A user with an app and key, ready to call the relay. */
  newUserWithKey(email?: string): Promise<{ cookie: string; userId: string; appId: string; key: string }>;
  flushLogs(): Promise<void>;
  close(): Promise<void>;
}

let counter = 0;

export async function startTestGateway(opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const sim = await startSimulator({ ...opts.simulator });
  const db = opts.db ?? 'sqlite';
  const shared = opts.shareWith;
  const dataDir = shared ? shared.config.dataDir : mkdtempSync(join(tmpdir(), 'apigpt-test-'));
  const schema = shared ? shared.config.databaseSchema : db === 'postgres' ? `t_${process.pid}_${Date.now().toString(36)}_${counter++}` : undefined;
  const rootToken = shared?.rootToken ?? `root-${randomBytes(12).toString('hex')}`;
  const admin = shared?.admin ?? { email: 'admin@test.local', password: 'admin-password-1' };
  const config = loadConfig({
    env: {},
    file: undefined,
    overrides: {
      port: 0,
      host: '127.0.0.1',
      dataDir,
      ...(db === 'postgres' || shared?.config.databaseUrl ? { databaseUrl: PG_URL, databaseSchema: schema } : {}),
      rootToken,
      adminEmail: admin.email,
      adminPassword: admin.password,
      secret: shared?.config.secret ?? `secret-${randomBytes(8).toString('hex')}`,
      demoChannel: 'off',
      logLevel: 'silent',
      logFlushMs: 5,
      // Every test user signs up from 127.0.0.1: the per-address sign-up limit is tested on its own.
      signupsPerIpHour: 0,
      ...opts.config,
    },
  });
  const gw = await startGateway(config, { log: createLogger('silent'), ...opts.start });
  if (!shared) {
    const channels = opts.channels ? opts.channels(sim) : [{ provider: 'openai-compatible', name: 'sim', baseUrl: `${sim.url}/v1`, models: DEFAULT_MODELS }];
    for (const c of channels) await gw.services.channels.create(c);
  }
  const url = gw.url;

  async function api<T>(method: string, path: string, body?: unknown, auth: { cookie?: string; token?: string } = {}) {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth.cookie) headers.cookie = auth.cookie;
    if (auth.token) headers.authorization = `Bearer ${auth.token}`;
    const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  // A password the sign-up strength check (zxcvbn, score 3) accepts.
  async function signup(email = `user${counter++}-${randomBytes(3).toString('hex')}@test.local`, password = 'harness-password-17') {
    const res = await fetch(`${url}/api/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    if (res.status !== 200) throw new Error(`signup failed: ${res.status} ${await res.text()}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
    const body = (await res.json()) as { user: { id: string; email: string } };
    return { cookie, user: body.user };
  }

  async function newUserWithKey(email?: string) {
    const { cookie, user } = await signup(email);
    const res = await api<{ app: { id: string }; key: { key: string } }>('POST', '/api/apps', { name: 'test app' }, { cookie });
    if (res.status !== 200) throw new Error(`app create failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { cookie, userId: user.id, appId: res.body.app.id, key: res.body.key.key };
  }

  return {
    gw,
    url,
    sim,
    config,
    rootToken,
    admin,
    signup,
    api,
    newUserWithKey,
    flushLogs: () => gw.services.logWriter.flush(),
    async close() {
      await gw.close();
      await sim.close();
      if (shared) return;
      if (config.databaseSchema) {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${config.databaseSchema}" CASCADE`);
        await client.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The database kinds a storage-sensitive suite runs on. */
export const DB_KINDS: DbKind[] = ['sqlite', 'postgres'];

// The router on a real SQLite channel table: which channels serve a (model, group, operation), its
// refusals, and that a channel changed — here or by another connection (another process, the CLI) —
// is routed by the next call, although the router keeps an index per snapshot of the channels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChannelStore } from '../../src/channels/channels.js';
import { SecretBox } from '../../src/core/crypto.js';
import { GatewayError } from '../../src/core/errors.js';
import { Router } from '../../src/relay/router.js';
import { openDatabase, type DatabaseHandle } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrations.js';
import { eventually } from '../eventually.js';

describe('router', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-router-'));
  const box = new SecretBox(randomBytes(32));
  let dbh: DatabaseHandle;
  let other: DatabaseHandle;
  let store: ChannelStore;
  let router: Router;
  beforeAll(async () => {
    dbh = await openDatabase({ dataDir: dir });
    await migrateToLatest(dbh.db);
    // A second connection to the same file: what another gateway process or the CLI writes through.
    other = await openDatabase({ dataDir: dir });
    store = new ChannelStore(dbh.db, box, dbh.changeToken);
    // A fixed draw, so the order inside one priority is the weights' alone.
    router = new Router(store, () => 0.5);
  });
  afterAll(async () => {
    await other?.close();
    await dbh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    return (err as GatewayError).code;
  };
  const ids = async (model: string, group = 'default', operation: 'chat' | 'image' = 'chat') =>
    (await router.routes(model, group, operation)).map((r) => `${r.channel.name}:${r.upstreamModel}`);

  it('routes a model to the channels serving it, higher priority first; aliases map to the provider model', async () => {
    await store.create({ provider: 'openai-compatible', name: 'low', baseUrl: 'http://127.0.0.1:9/v1', models: ['m1'], priority: 0 });
    await store.create({ provider: 'openai-compatible', name: 'high', baseUrl: 'http://127.0.0.1:9/v1', models: ['m1'], modelMap: { alias: 'm1' }, priority: 5 });
    expect(await ids('m1')).toEqual(['high:m1', 'low:m1']);
    expect(await ids('alias')).toEqual(['high:m1']);
  });

  it('refuses an unknown model, a group the channel is not for, and an operation its provider lacks', async () => {
    await store.create({ provider: 'openai-compatible', name: 'vip', baseUrl: 'http://127.0.0.1:9/v1', models: ['m2'], groups: ['vip'] });
    await store.create({ provider: 'sd-webui', name: 'sd', baseUrl: 'http://127.0.0.1:9', models: ['m3'] });
    expect(await refusal(router.routes('no-such-model', 'default', 'chat'))).toBe('model_not_found');
    expect(await refusal(router.routes('m2', 'default', 'chat'))).toBe('model_not_allowed');
    expect(await ids('m2', 'vip')).toEqual(['vip:m2']);
    expect(await refusal(router.routes('m3', 'default', 'chat'))).toBe('unsupported_operation');
    expect(await ids('m3', 'default', 'image')).toEqual(['sd:m3']);
    // Asked again, the same refusals (refusals are not remembered as routes).
    expect(await refusal(router.routes('m2', 'default', 'chat'))).toBe('model_not_allowed');
  });

  it('a channel changed through this store is routed by the very next call', async () => {
    const c = await store.create({ provider: 'openai-compatible', name: 'later', baseUrl: 'http://127.0.0.1:9/v1', models: ['m4'] });
    expect(await ids('m4')).toEqual(['later:m4']);
    await store.update(c.id, { models: ['m4', 'm5'], groups: ['vip'] });
    expect(await ids('m5', 'vip')).toEqual(['later:m5']);
    expect(await refusal(router.routes('m4', 'default', 'chat'))).toBe('model_not_allowed');
    await store.update(c.id, { enabled: false });
    expect(await refusal(router.routes('m4', 'vip', 'chat'))).toBe('model_not_found');
  });

  it('a channel added by another connection to the database is routed once its commit is seen', async () => {
    expect(await refusal(router.routes('m6', 'default', 'chat'))).toBe('model_not_found');
    const elsewhere = new ChannelStore(other.db, box, other.changeToken);
    await elsewhere.create({ provider: 'openai-compatible', name: 'elsewhere', baseUrl: 'http://127.0.0.1:9/v1', models: ['m6'] });
    await eventually(async () => expect(await ids('m6')).toEqual(['elsewhere:m6']));
  });
});

// PostgreSQL's change token: triggers NOTIFY, one connection listens, caches stay exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { installChangeCounters, WATCHED_TABLES } from '../../src/storage/change-counters.js';
import { openDatabase, type DatabaseHandle } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrations.js';
import { PG_URL, startTestGateway, type TestGateway } from '../harness.js';
import { chat, setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';

/**
 * Waits until every notification of what `client` committed so far has reached the listener: a
 * statement trigger notifies even when no row matched, and PostgreSQL delivers notifications in
 * commit order, so once this empty update's one is in, the earlier ones are too.
 */
async function delivered(client: pg.Client, token: (tables: string[]) => number): Promise<void> {
  const before = token(['channels']);
  await client.query('update channels set name = name where false');
  await eventually(() => token(['channels']) !== before);
}

describe('change counters on PostgreSQL', () => {
  const schema = `cc_${process.pid}_${Date.now().toString(36)}`;
  let dbh: DatabaseHandle;
  const other = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  beforeAll(async () => {
    dbh = await openDatabase({ dataDir: '/nonexistent', databaseUrl: PG_URL, schema });
    await migrateToLatest(dbh.db, { schema });
    await other.connect();
    await other.query(`insert into users (id, email, password_hash, role, group_name, status, created_at, updated_at) values ('usr_1', 'a@x', 'h', 'user', 'default', 'active', 0, 0)`);
    await other.query(`insert into apps (id, user_id, name, created_at) values ('app_1', 'usr_1', 'a', 0)`);
    await other.query(`insert into api_keys (id, user_id, app_id, name, key_hash, prefix, created_at, spent, billing_version) values ('key_1', 'usr_1', 'app_1', 'k', 'h1', 'sk-1', 0, 0, 0)`);
  });
  afterAll(async () => {
    await other.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    await other.end();
    await dbh?.close();
  });

  it("moves a table's token on another connection's commit to what caches read, and not on the batch's columns", async () => {
    const token = dbh.changeToken!;
    await eventually(() => token(['api_keys']) > 0); // the listener is up (tokens are negative without it)
    await delivered(other, token); // the set-up's own notifications are in
    const keys0 = token(['api_keys']);
    const prices0 = token(['prices']);
    await other.query('update api_keys set last_used_at = 1, spent = spent + 5, billing_version = billing_version + 1');
    await other.query(`update accounts set balance = balance - 5 where user_id = 'none'`);
    await delivered(other, token); // a notification of those updates would have arrived first
    expect(token(['api_keys'])).toBe(keys0);
    await other.query(`update api_keys set revoked_at = 1 where id = 'key_1'`);
    await eventually(() => token(['api_keys']) !== keys0);
    expect(token(['prices'])).toBe(prices0);
  });

  it("moves at once on this process's own writes to what caches read, and only for their table", async () => {
    const token = dbh.changeToken!;
    const keys = token(['api_keys']);
    const channels = token(['channels']);
    // The request-log batch's kind of write: columns no cache reads.
    await dbh.db.updateTable('api_keys').set({ last_used_at: 5 }).where('id', '=', 'key_1').execute();
    await dbh.db.insertInto('request_logs').values({ id: 'req_own', created_at: 0, user_id: 'usr_1', app_id: null, key_id: null, key_prefix: null, endpoint: '/v1/x', dialect: 'openai', model_requested: null, model_sent: null, channel_id: null, stream: 0, status: 200, error_code: null, error_message: null, latency_ms: 1, ttft_ms: null, prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, attempts: 1, client_ip: null, cost: 0, attempt_log: null, cache_hit: 0, reasoning_tokens: 0, searches: 0, images: 0, characters: 0, seconds: 0 }).execute();
    expect(token(['api_keys'])).toBe(keys);
    await dbh.db.updateTable('api_keys').set({ name: 'renamed' }).where('id', '=', 'key_1').execute();
    expect(token(['api_keys'])).not.toBe(keys); // at once, before its notification
    expect(token(['channels'])).toBe(channels);
  });

  it('is installed once, watches every column but the batch ones, and watches a new column after the next run', async () => {
    const count = async () => Number((await other.query(`select count(*) as n from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace s on s.oid = c.relnamespace where s.nspname = $1 and t.tgname like 'apigpt_cc_%'`, [schema])).rows[0].n);
    const oids = async () => (await other.query(`select t.oid from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace s on s.oid = c.relnamespace where s.nspname = $1 and t.tgname like 'apigpt_cc_%' order by t.oid`, [schema])).rows.map((r) => r.oid);
    expect(await count()).toBe(Object.keys(WATCHED_TABLES).length);
    const before = await oids();
    await installChangeCounters(dbh.db, { schema });
    expect(await oids()).toEqual(before); // nothing replaced
    const def = (await other.query(`select pg_get_triggerdef(t.oid) as d from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace s on s.oid = c.relnamespace where s.nspname = $1 and t.tgname = 'apigpt_cc_api_keys'`, [schema])).rows[0].d as string;
    expect(def).toContain('revoked_at');
    expect(def).not.toContain('last_used_at');
    await other.query('alter table api_keys add column note text');
    await installChangeCounters(dbh.db, { schema });
    const token = dbh.changeToken!;
    const t0 = token(['api_keys']);
    await other.query(`update api_keys set note = 'x'`);
    await eventually(() => token(['api_keys']) !== t0);
  });

  it('bypasses the caches while the listener is down, and trusts them again once it is back', async () => {
    const token = dbh.changeToken!;
    const killed = await other.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`, [`apigpt-changes:${schema}`]);
    expect(killed.rowCount).toBe(1);
    await eventually(() => token(['prices']) !== token(['prices'])); // a new token on every call
    await eventually(() => token(['prices']) === token(['prices']), { timeoutMs: 5000 }); // reconnected
  });
});

describe('caches of two gateways on one PostgreSQL database', () => {
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    a = await startTestGateway({ db: 'postgres' });
    b = await startTestGateway({ shareWith: a });
    await setPrice(a, 'gpt-4o-mini', 1, 1);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('a key revoked through one gateway stops working on the other', async () => {
    const u = await a.newUserWithKey();
    expect((await chat(a, u.key, { messages: [{ role: 'user', content: 'warm the cache' }] })).status).toBe(200);
    expect((await chat(a, u.key, { messages: [{ role: 'user', content: 'cached' }] })).status).toBe(200);
    const keys = await b.api('GET', `/api/apps/${u.appId}/keys`, undefined, { cookie: u.cookie });
    const id = keys.body.items[0].id;
    expect((await b.api('POST', `/api/keys/${id}/revoke`, undefined, { cookie: u.cookie })).status).toBe(200);
    // Gateway a hears of it through its notification, a moment after the commit.
    await eventually(async () => expect((await chat(a, u.key, { messages: [{ role: 'user', content: 'after' }] })).status).toBe(401), { timeoutMs: 2000 });
  });
});

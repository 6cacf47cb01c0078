/**
 * The hot path's view of content safety and privacy (issue 19): what applies to a caller is decided
 * from plans kept per caller and reloaded only when an admin changed a rule or policy — in this
 * process or another one, seen through the database's change token. With nothing for the caller
 * the plan says so without a reload or an await; a change is seen by the next call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { openDatabase, type DatabaseHandle } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrations.js';
import { SafetyGuard } from '../../src/safety/guard.js';
import { PolicyStore } from '../../src/safety/policies.js';
import { SafetyStore } from '../../src/safety/store.js';
import { createPrivacy, type Privacy } from '../../src/privacy/index.js';
import { eventually } from '../eventually.js';
import { startTestGateway, type TestGateway } from '../harness.js';

/**
 * Waits for the call that sees another connection's change (SQLite's token looks at the file at most
 * once a millisecond) and for the one reload it starts.
 */
async function changeSeen(g: { fresh(): Promise<void> | null }): Promise<void> {
  await eventually(async () => {
    const wait = g.fresh();
    if (wait === null) throw new Error('the change is not seen yet');
    await wait;
  });
}

describe('policy snapshot on one SQLite file, changed by another connection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-snapshot-'));
  let mine: DatabaseHandle;
  let theirs: DatabaseHandle;
  let guard: SafetyGuard;
  let privacy: Privacy;
  let reloads = 0;

  beforeAll(async () => {
    mine = await openDatabase({ dataDir: dir });
    await migrateToLatest(mine.db);
    // Another connection on the same file: what the CLI or a second gateway process is.
    theirs = await openDatabase({ dataDir: dir });
    const store = new SafetyStore(mine.db);
    const policies = new PolicyStore(mine.db);
    // Counts the loads of the rule list: a reload reads it only when something changed.
    const list = store.list.bind(store);
    store.list = () => {
      reloads++;
      return list();
    };
    guard = new SafetyGuard(store, policies, createLogger('silent'), mine.changeToken);
    await guard.reload();
    privacy = await createPrivacy(mine.db, createLogger('silent'), { start: false, changeToken: mine.changeToken });
  });
  afterAll(async () => {
    await privacy?.close();
    await theirs?.close();
    await mine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with no rule and no policy: one shared "nothing" plan, no reload, nothing to wait for', async () => {
    const before = reloads;
    for (let i = 0; i < 1000; i++) {
      expect(guard.fresh()).toBeNull();
      expect(privacy.guard.fresh()).toBeNull();
    }
    const a = guard.plan('default', 'app_a');
    const b = guard.plan('vip', null);
    expect(a).toBe(b);
    expect(a).toMatchObject({ input: false, output: false, moderation: null });
    expect(privacy.guard.applies('default', 'app_a')).toBe(false);
    expect(reloads).toBe(before);
  });

  it("a rule another connection adds applies at this process's next call", async () => {
    await new SafetyStore(theirs.db).create({ name: 'vip only', words: ['blorptastic'], groups: ['vip'], directions: ['output'] });
    // The next call finds the token moved and waits for the one reload.
    await changeSeen(guard);
    expect(guard.fresh()).toBeNull();
    expect(guard.plan('vip', 'app_a')).toMatchObject({ input: false, output: true, moderation: null });
    // The plan is kept per group: the same object at the next call, and other groups still have nothing.
    expect(guard.plan('vip', 'app_b')).toBe(guard.plan('vip', 'app_a'));
    expect(guard.plan('default', null)).toMatchObject({ input: false, output: false });
    const loaded = reloads;
    for (let i = 0; i < 100; i++) expect(guard.fresh()).toBeNull();
    expect(reloads).toBe(loaded);
  });

  it("an App's moderation policy set elsewhere is that App's alone", async () => {
    await new PolicyStore(theirs.db).put({ scope: 'app', target: 'app_m', moderation: { model: 'omni-moderation-latest', thresholds: {}, action: 'block', timeoutMs: 1000, failMode: 'open' } });
    await changeSeen(guard);
    expect(guard.plan('default', 'app_m').moderation?.model).toBe('omni-moderation-latest');
    expect(guard.plan('default', 'app_x').moderation).toBeNull();
  });

  it("a privacy policy another connection sets applies at this process's next call", async () => {
    const { PolicyStore: PrivacyPolicies } = await import('../../src/privacy/store.js');
    await new PrivacyPolicies(theirs.db, () => Date.now()).put('group', 'default', { contentLogging: false, retentionDays: 30, redaction: 'mask', kinds: ['email'], patterns: [] });
    await changeSeen(privacy.guard);
    expect(privacy.guard.applies('default', 'app_a')).toBe(true);
    expect(privacy.guard.applies('vip', 'app_a')).toBe(false);
    // An App's own policy replaces its group's as a whole, even one that asks nothing.
    await new PrivacyPolicies(theirs.db, () => Date.now()).put('app', 'app_off', { contentLogging: false, retentionDays: 30, redaction: 'off', kinds: [], patterns: [] });
    await changeSeen(privacy.guard);
    expect(privacy.guard.applies('default', 'app_off')).toBe(false);
  });
});

describe('two gateways on one PostgreSQL database', () => {
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    a = await startTestGateway({ db: 'postgres' });
    b = await startTestGateway({ shareWith: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  async function chat(gw: TestGateway, key: string, text: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] }) });
    return { status: res.status, text: await res.text() };
  }

  it('a rule and a privacy policy added through one gateway apply on the other within a second', async () => {
    const u = await a.newUserWithKey();
    expect((await chat(b, u.key, 'tell me about zorblific things')).status).toBe(200);
    const made = await a.api('POST', '/api/admin/safety/rules', { name: 'made-up word', words: ['zorblific'] }, { token: a.rootToken });
    expect(made.status).toBe(200);
    await eventually(async () => expect((await chat(b, u.key, 'tell me about zorblific things')).status).toBe(400), { timeoutMs: 1000 });

    const set = await a.api('PUT', `/api/admin/privacy/policies/app/${u.appId}`, { redaction: 'mask', kinds: ['email'] }, { token: a.rootToken });
    expect(set.status).toBe(200);
    // The simulator echoes the prompt: masked before it left gateway b.
    await eventually(async () => expect((await chat(b, u.key, 'Mail ada@example.com please')).text).toContain('[EMAIL_1]'), { timeoutMs: 1000 });
  });
});

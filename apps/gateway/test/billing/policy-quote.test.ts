import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyContext } from '../../src/apps/keys.js';
import { inlineBatchStore } from '../../src/batch/inline.js';
import { Billing } from '../../src/billing/index.js';
import { NO_LIMITS } from '../../src/billing/key-limits.js';
import { userPool } from '../../src/billing/ledger.js';
import type { BillingPolicy } from '../../src/billing/policy.js';
import { loadConfig } from '../../src/config/config.js';
import type { Quote, Usage } from '../../src/core/calls.js';
import { createLogger } from '../../src/core/logger.js';
import { RequestLogWriter, type RequestLogRow } from '../../src/relay/request-log.js';
import { MemoryState } from '../../src/state/memory.js';
import { openDatabase, type DatabaseHandle } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrations.js';

/**
 * The billing policy as the relay drives it: a call states its quote (never a body), billing reserves
 * the worst case of it and settles the units it used. Real SQLite ledger, in-memory shared state.
 */
describe('billing policy with typed quotes (SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-quote-'));
  let dbh: DatabaseHandle;
  let billing: Billing;
  let writer: RequestLogWriter;
  let policy: BillingPolicy;
  const state = new MemoryState();
  let n = 0;

  beforeAll(async () => {
    dbh = await openDatabase({ dataDir: dir });
    await migrateToLatest(dbh.db);
    const log = createLogger('silent');
    billing = await Billing.create({ config: loadConfig({ env: {}, file: undefined, overrides: { dataDir: dir, trialCredit: 1000 } }), db: dbh.db, log, state });
    writer = new RequestLogWriter(inlineBatchStore(dbh.db, dbh.insertMany), 5, log);
    policy = billing.policy(writer);
    await billing.prices.set({ model: 'whisper-x', input: 0, output: 0, cachedInput: 0, perImage: null, perKChars: null, perSecond: 100_000, perKSearches: null, maxOutput: 0 });
    // 1 P per 1K input, 2 P per 1K output.
    await billing.prices.set({ model: 'chat-x', input: 1_000_000, output: 2_000_000, cachedInput: 1_000_000, perImage: null, perKChars: null, perSecond: null, perKSearches: null, maxOutput: 4096 });
  });
  afterAll(async () => {
    await writer?.close();
    await billing?.close();
    await dbh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A user with the trial credit (1,000 P) and the given per-minute token limit. */
  async function newUser(userTpm: number | null = null): Promise<KeyContext> {
    const id = `usr_q${n++}`;
    await dbh.db.insertInto('users').values({ id, email: `${id}@test.local`, password_hash: 'x', display_name: null, role: 'user', group_name: 'default', status: 'active', created_at: 0, updated_at: 0 }).execute();
    await billing.onUserCreated(dbh.db, { id });
    // Shared state learns a balance at its first reservation; load it so the tests can read it before.
    await billing.pools.load(userPool(id));
    return { keyId: null, prefix: 'sk-test', appId: 'app_q', userId: id, group: 'default', role: 'user', limits: { ...NO_LIMITS, userTpm } };
  }

  // The call's id is its log row's (as the relay makes them): the hold is filed under it.
  let callId = '';
  const call = (key: KeyContext, model: string, quote: Quote) => {
    callId = `req_q${n++}`;
    return { requestId: callId, log: logRow(key.userId, model), key, dialect: 'openai', operation: 'chat' as const, endpoint: '/v1/x', model, stream: false, clientIp: null, quote };
  };
  const quote = (units: Partial<Usage>, over: Partial<Omit<Quote, 'units'>> = {}): Quote => ({ units: { promptTokens: 0, completionTokens: 0, cachedTokens: 0, estimated: true, ...units }, maxOutputTokens: 0, choices: 1, ...over });
  const usage = (u: Partial<Usage>): Usage => ({ promptTokens: 0, completionTokens: 0, cachedTokens: 0, estimated: false, ...u });

  function logRow(userId: string, model: string): RequestLogRow {
    return {
      id: callId, created_at: Date.now(), user_id: userId, app_id: null, key_id: null, key_prefix: null, endpoint: '/v1/x', dialect: 'openai', model_requested: model, model_sent: model,
      channel_id: null, stream: 0, status: 200, error_code: null, error_message: null, latency_ms: 1, ttft_ms: null, prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, attempts: 1,
      attempt_log: null, cache_hit: 0, client_ip: null, cost: 0, reasoning_tokens: 0, images: 0, characters: 0, seconds: 0, searches: 0,
    };
  }

  const available = async (key: KeyContext) => state.available(userPool(key.userId));

  it('reserves the quoted seconds and charges the seconds heard (whisper: 0.1 P a second)', async () => {
    const key = await newUser();
    const before = await available(key);
    expect(before).toBe(1_000_000_000);
    const admission = await policy.admit(call(key, 'whisper-x', quote({ seconds: 95 })));
    // 95 s × 0.1 P = 9.5 P held.
    expect(await available(key)).toBe(before! - 9_500_000);
    const log = { ...logRow(key.userId, 'whisper-x'), seconds: 95 };
    admission.settle({ usage: usage({ seconds: 95 }), failed: false, log });
    await writer.flush();
    const row = await dbh.db.selectFrom('request_logs').selectAll().where('id', '=', log.id).executeTakeFirstOrThrow();
    expect(Number(row.cost)).toBe(9_500_000);
    const ledger = await dbh.db.selectFrom('ledger').select('amount').where('request_id', '=', log.id).executeTakeFirstOrThrow();
    expect(Number(ledger.amount)).toBe(-9_500_000);
    expect(await available(key)).toBe(990_500_000); // 1,000 P − 9.5 P
  });

  it('reserves the prompt plus every choice’s output, then charges the tokens used (reasoning priced as output)', async () => {
    const key = await newUser();
    // 100 prompt × 1 P/1K = 0.1 P; 3 choices × 50 out × 2 P/1K = 0.3 P → 0.4 P held.
    const admission = await policy.admit(call(key, 'chat-x', quote({ promptTokens: 100 }, { maxOutputTokens: 50, choices: 3 })));
    expect(await available(key)).toBe(1_000_000_000 - 400_000);
    const log = logRow(key.userId, 'chat-x');
    // 100 in (0.1 P) + 120 out of which 100 reasoning (120 × 2 P/1K = 0.24 P) → 0.34 P.
    admission.settle({ usage: usage({ promptTokens: 100, completionTokens: 120, reasoningTokens: 100 }), failed: false, log });
    await writer.flush();
    expect(log.cost).toBe(340_000);
    expect(await available(key)).toBe(1_000_000_000 - 340_000);
  });

  it('the per-minute token window admits the prompt plus the output of every choice, corrected to what was used', async () => {
    const key = await newUser(400);
    // Admitted with 100 + 50 × 3 = 250 tokens; used 220.
    const first = await policy.admit(call(key, 'chat-x', quote({ promptTokens: 100 }, { maxOutputTokens: 50, choices: 3 })));
    first.settle({ usage: usage({ promptTokens: 100, completionTokens: 120 }), failed: false, log: logRow(key.userId, 'chat-x') });
    await writer.flush();
    // 220 + 250 > 400: refused (counting one choice, 220 + 150, would have let it through).
    await expect(policy.admit(call(key, 'chat-x', quote({ promptTokens: 100 }, { maxOutputTokens: 50, choices: 3 })))).rejects.toMatchObject({ code: 'rate_limit_exceeded' });
    // 220 + 150 ≤ 400: admitted.
    const third = await policy.admit(call(key, 'chat-x', quote({ promptTokens: 100 }, { maxOutputTokens: 50, choices: 1 })));
    third.settle({ usage: usage({ promptTokens: 100, completionTokens: 50 }), failed: false, log: logRow(key.userId, 'chat-x') });
    await writer.flush();
  });

  it('a free quote needs no price and holds nothing; a priced call to an unpriced model is refused', async () => {
    const key = await newUser();
    const admission = await policy.admit(call(key, 'no-price-model', quote({ promptTokens: 5000 }, { maxOutputTokens: null, free: true })));
    expect(await available(key)).toBe(1_000_000_000);
    const log = logRow(key.userId, 'no-price-model');
    admission.settle({ usage: usage({ promptTokens: 5000 }), failed: false, log });
    await writer.flush();
    expect(log.cost).toBe(0);
    await expect(policy.admit(call(key, 'no-price-model', quote({ promptTokens: 5 })))).rejects.toMatchObject({ code: 'model_not_priced' });
  });

  it('refuses a call whose quoted units the balance cannot cover, naming the worst case', async () => {
    const key = await newUser();
    // 20,000 s × 0.1 P = 2,000 P > 1,000 P.
    const err = await policy.admit(call(key, 'whisper-x', quote({ seconds: 20_000 }))).catch((e) => e);
    expect(err).toMatchObject({ code: 'insufficient_quota' });
    expect(String(err.message)).toContain('2,000 P');
    expect(await available(key)).toBe(1_000_000_000);
  });

  it('a failed call is charged nothing and releases its reservation', async () => {
    const key = await newUser();
    const admission = await policy.admit(call(key, 'whisper-x', quote({ seconds: 60 })));
    const log = logRow(key.userId, 'whisper-x');
    admission.settle({ usage: usage({ seconds: 60 }), failed: true, log });
    await writer.flush();
    expect(log.cost).toBe(0);
    expect(await available(key)).toBe(1_000_000_000);
  });
});

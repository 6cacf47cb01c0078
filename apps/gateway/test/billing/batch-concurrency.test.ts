// Two gateways on one PostgreSQL database commit request-log batches at the same time, over the same
// users and keys but listed in opposite orders, with some keys charged in one batch and only used
// (a free call) in the other. Each batch locks the accounts and then the keys it touches
// (billing/batch-accounts.ts); if two batches could take those row locks in different orders,
// PostgreSQL would find a deadlock and fail one of them. Every batch must commit, and at the end each
// balance, ledger, key spending, billing version and last use must add up to exactly what was sent.
// (SQLite is not here: a write transaction holds its whole database, so there is no row-lock order.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLogRow } from '../../src/batch/types.js';
import { writeBatch } from '../../src/batch/write.js';
import { baseLog } from '../../src/relay/call.js';
import type { DatabaseHandle } from '../../src/storage/database.js';
import { dropTestDatabase, EACH_DATABASE, openTestDatabase } from '../storage/each-database.js';

const USERS = 12;
const ROUNDS = 25;
const user = (i: number) => `usr_${String(i).padStart(2, '0')}`;
const key = (i: number) => `key_${String(i).padStart(2, '0')}`;

let seq = 0;
function call(userIndex: number, cost: number, at: number): RequestLogRow {
  const base = baseLog({ key: { keyId: key(userIndex), prefix: 'sk-test', appId: 'app_x', userId: user(userIndex), group: 'default', role: 'user' } as never, dialect: 'openai', operation: 'chat', endpoint: '/v1/chat/completions', model: 'gpt-4o-mini', stream: false, clientIp: null });
  return { ...base, id: `req_${++seq}`, status: 200, cost, created_at: at };
}

const [, postgres] = EACH_DATABASE('batch-concurrency')[1];

describe('two gateways committing batches over the same users and keys at once (PostgreSQL)', () => {
  const where = postgres();
  let a: DatabaseHandle;
  let b: DatabaseHandle;
  beforeAll(async () => {
    a = await openTestDatabase(where);
    b = await openTestDatabase(where);
    const now = Date.now();
    for (let i = 0; i < USERS; i++) {
      await a.db.insertInto('users').values({ id: user(i), email: `${user(i)}@x`, password_hash: 'h', display_name: null, role: 'user', group_name: 'default', status: 'active', created_at: now, updated_at: now }).execute();
      await a.db.insertInto('accounts').values({ user_id: user(i), balance: 1_000_000, version: 1, low_balance_threshold: null, low_balance_notified: 0, rpm: null, tpm: null }).execute();
      await a.db.insertInto('ledger').values({ id: `led_trial_${i}`, user_id: user(i), created_at: now, kind: 'trial', amount: 1_000_000, balance_after: 1_000_000, reason: 'trial', request_id: null }).execute();
      await a.db.insertInto('apps').values({ id: `app_${i}`, user_id: user(i), name: 'x', created_at: now }).execute();
      await a.db.insertInto('api_keys').values({ id: key(i), user_id: user(i), app_id: `app_${i}`, name: 'k', key_hash: `h${i}`, prefix: `sk-${i}`, created_at: now, spent: 0, billing_version: 0, credit_limit: 10_000_000 }).execute();
    }
  });
  afterAll(async () => {
    await b?.close();
    await dropTestDatabase(where, a);
  });

  it('commits every batch, and every balance, ledger and key adds up', async () => {
    const charged = new Array<number>(USERS).fill(0);
    const spentIn = new Array<number>(USERS).fill(0); // batches in which the key spent
    const lastAt = new Array<number>(USERS).fill(0);
    const batch = (order: number[], chargedUsers: (i: number) => boolean, at: number) => {
      const rows = order.map((i) => call(i, chargedUsers(i) ? 3 + i : 0, at + i));
      for (const r of rows) {
        const i = Number(r.user_id.slice(4));
        charged[i] += r.cost;
        if (r.cost > 0) spentIn[i]++;
        lastAt[i] = Math.max(lastAt[i], r.created_at);
      }
      return rows;
    };
    const ascending = [...Array(USERS).keys()];
    const descending = [...ascending].reverse();
    for (let round = 0; round < ROUNDS; round++) {
      const at = 1_000_000 + round * 100;
      // One gateway charges the even users' keys and only uses the odd ones'; the other the reverse.
      const first = batch(ascending, (i) => i % 2 === 0, at);
      const second = batch(descending, (i) => i % 2 === 1, at + 50);
      const results = await Promise.allSettled([writeBatch(a.db, a.insertMany, { rows: first }), writeBatch(b.db, b.insertMany, { rows: second })]);
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'committed'))).toEqual(['committed', 'committed']);
    }
    const accounts = await a.db.selectFrom('accounts').select(['user_id', 'balance', 'version']).orderBy('user_id').execute();
    const keys = await a.db.selectFrom('api_keys').select(['id', 'spent', 'billing_version', 'last_used_at']).orderBy('id').execute();
    for (let i = 0; i < USERS; i++) {
      expect(Number(accounts[i].balance)).toBe(1_000_000 - charged[i]);
      expect(Number(accounts[i].version)).toBe(1 + ROUNDS); // charged once a round, by one gateway or the other
      const sums = await a.db.selectFrom('ledger').select('amount').where('user_id', '=', user(i)).execute();
      expect(sums.reduce((n, r) => n + Number(r.amount), 0)).toBe(1_000_000 - charged[i]);
      expect({ spent: Number(keys[i].spent), billing_version: Number(keys[i].billing_version), last_used_at: Number(keys[i].last_used_at) }).toEqual({ spent: charged[i], billing_version: spentIn[i], last_used_at: lastAt[i] });
    }
    expect(Number((await a.db.selectFrom('request_logs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)).toBe(2 * ROUNDS * USERS);
  });
});

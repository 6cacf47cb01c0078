// One batch of calls from several users, committed by the gateway's own batch write (batch/write.ts)
// on each database: every user's balance moves by their calls' total, each charged call gets one
// ledger row whose balance_after runs down that user's calls in order, a call whose user has no
// account is logged free, a key's spending moves by its calls, and each balance equals the sum of its
// ledger. The ledger rows of all users go in one insert (billing/charges.ts): this is what that
// insert must keep.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLogRow } from '../../src/batch/types.js';
import { writeBatch } from '../../src/batch/write.js';
import { baseLog } from '../../src/relay/call.js';
import type { DatabaseHandle } from '../../src/storage/database.js';
import { dropTestDatabase, EACH_DATABASE, openTestDatabase } from '../storage/each-database.js';

function call(id: string, userId: string, cost: number, keyId: string | null = null): RequestLogRow {
  const base = baseLog({ key: { keyId, prefix: 'sk-test', appId: 'app_x', userId, group: 'default', role: 'user' } as never, dialect: 'openai', operation: 'chat', endpoint: '/v1/chat/completions', model: 'gpt-4o-mini', stream: false, clientIp: null });
  return { ...base, id, status: 200, cost };
}

describe.each(EACH_DATABASE('batch-charges'))('a batch of several users’ calls (%s)', (_name, target) => {
  const opts = target();
  let dbh: DatabaseHandle;
  beforeAll(async () => {
    dbh = await openTestDatabase(opts);
    const now = Date.now();
    for (const [id, balance] of [
      ['usr_a', 1000],
      ['usr_b', 500],
    ] as const) {
      await dbh.db.insertInto('users').values({ id, email: `${id}@x`, password_hash: 'h', display_name: null, role: 'user', group_name: 'default', status: 'active', created_at: now, updated_at: now }).execute();
      await dbh.db.insertInto('accounts').values({ user_id: id, balance, version: 1, low_balance_threshold: null, low_balance_notified: 0, rpm: null, tpm: null }).execute();
      await dbh.db.insertInto('ledger').values({ id: `led_trial_${id}`, user_id: id, created_at: now, kind: 'trial', amount: balance, balance_after: balance, reason: 'trial', request_id: null }).execute();
    }
    await dbh.db.insertInto('apps').values({ id: 'app_x', user_id: 'usr_b', name: 'x', created_at: now }).execute();
    await dbh.db.insertInto('api_keys').values({ id: 'key_b', user_id: 'usr_b', app_id: 'app_x', name: 'k', key_hash: 'h', prefix: 'sk-b', created_at: now, spent: 0, billing_version: 0, credit_limit: 100 }).execute();
  });
  afterAll(() => dropTestDatabase(opts, dbh));

  it('charges each user their own calls, in order, in one transaction with their log rows', async () => {
    const rows = [call('req_1', 'usr_b', 10, 'key_b'), call('req_2', 'usr_a', 5), call('req_3', 'usr_b', 7, 'key_b'), call('req_4', 'usr_a', 0), call('req_5', 'usr_nobody', 4), call('req_6', 'usr_a', 3)];
    const entries = await writeBatch(dbh.db, dbh.insertMany, { rows });
    expect(entries).toEqual([
      { pool: 'u:usr_a', balance: 992, version: 2 },
      { pool: 'u:usr_b', balance: 483, version: 2 },
      { pool: 'k:key_b', balance: 83, version: 1 },
    ]);
    const ledger = await dbh.db.selectFrom('ledger').select(['user_id', 'request_id', 'amount', 'balance_after']).where('kind', '=', 'charge').orderBy('user_id').orderBy('balance_after', 'desc').execute();
    expect(ledger.map((r) => ({ ...r, amount: Number(r.amount), balance_after: Number(r.balance_after) }))).toEqual([
      { user_id: 'usr_a', request_id: 'req_2', amount: -5, balance_after: 995 },
      { user_id: 'usr_a', request_id: 'req_6', amount: -3, balance_after: 992 },
      { user_id: 'usr_b', request_id: 'req_1', amount: -10, balance_after: 490 },
      { user_id: 'usr_b', request_id: 'req_3', amount: -7, balance_after: 483 },
    ]);
    const logged = await dbh.db.selectFrom('request_logs').select(['id', 'cost']).orderBy('id').execute();
    expect(logged.map((r) => ({ id: r.id, cost: Number(r.cost) }))).toEqual([
      { id: 'req_1', cost: 10 },
      { id: 'req_2', cost: 5 },
      { id: 'req_3', cost: 7 },
      { id: 'req_4', cost: 0 },
      { id: 'req_5', cost: 0 }, // no account: nothing could have been reserved, so logged free
      { id: 'req_6', cost: 3 },
    ]);
    for (const user of ['usr_a', 'usr_b']) {
      const { balance } = await dbh.db.selectFrom('accounts').select('balance').where('user_id', '=', user).executeTakeFirstOrThrow();
      const sums = await dbh.db.selectFrom('ledger').select('amount').where('user_id', '=', user).execute();
      expect(Number(balance)).toBe(sums.reduce((n, r) => n + Number(r.amount), 0));
    }
    expect(Number((await dbh.db.selectFrom('api_keys').select('spent').where('id', '=', 'key_b').executeTakeFirstOrThrow()).spent)).toBe(17);
  });

  it('a batch that fails part-way leaves every balance and ledger as it was', async () => {
    // req_2 is already logged: the log insert fails after the charges were written in the transaction.
    await expect(writeBatch(dbh.db, dbh.insertMany, { rows: [call('req_7', 'usr_a', 50), call('req_8', 'usr_b', 60), call('req_2', 'usr_a', 1)] })).rejects.toThrow();
    const balances = await dbh.db.selectFrom('accounts').select(['user_id', 'balance']).orderBy('user_id').execute();
    expect(balances.map((r) => ({ ...r, balance: Number(r.balance) }))).toEqual([
      { user_id: 'usr_a', balance: 992 },
      { user_id: 'usr_b', balance: 483 },
    ]);
    expect(await dbh.db.selectFrom('ledger').select('id').where('request_id', 'in', ['req_7', 'req_8']).execute()).toEqual([]);
  });
});

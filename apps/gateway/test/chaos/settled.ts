// What every chaos test under load checks at the end: each call served is charged at its price, the
// audit is clean, and no credit stays held once the request log has caught up.
import { expect } from 'vitest';
import { checkBilling } from '../../src/billing/check.js';
import { userPool } from '../../src/billing/ledger.js';
import type { TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';

/** Every request id has its request-log row at `cost` and its ledger charge (waits for the writer). */
export async function expectEveryServedCallCharged(t: TestGateway, ids: readonly string[], cost: number, timeoutMs = 30_000): Promise<void> {
  const db = t.gw.services.db;
  await eventually(
    async () => {
      await t.flushLogs();
      const logged = new Map((await db.selectFrom('request_logs').select(['id', 'cost', 'status']).where('id', 'in', ids).execute()).map((r) => [r.id, r]));
      const charged = new Map((await db.selectFrom('ledger').select(['request_id', 'amount']).where('kind', '=', 'charge').where('request_id', 'in', ids).execute()).map((r) => [r.request_id, Number(r.amount)]));
      const wrong = ids.filter((id) => Number(logged.get(id)?.cost) !== cost || charged.get(id) !== -cost);
      expect(wrong.map((id) => `${id}: logged ${logged.get(id)?.cost ?? 'nothing'}, charged ${charged.get(id) ?? 'nothing'}`)).toEqual([]);
    },
    { timeoutMs, intervalMs: 200 },
  );
  // The audit: balances equal their ledgers, every charge has its log row and the reverse.
  expect((await checkBilling(db)).problems).toEqual([]);
}

/**
 * No credit left held: what shared state says is available is the balance in the database (once the
 * last batch is in and its holds released). Returns how long that took. With `reload` (the default)
 * shared state is first given the database's balance when its own is older (as a reservation that
 * finds it missing would); without it, what shared state counts must be right by itself.
 */
export async function expectNothingHeld(t: TestGateway, userId: string, { timeoutMs = 30_000, reload = true } = {}): Promise<number> {
  const db = t.gw.services.db;
  const pool = userPool(userId);
  const settling = Date.now();
  await eventually(
    async () => {
      await t.flushLogs();
      if (reload) await t.gw.services.billing.pools.load(pool);
      const available = await t.gw.services.billing.state.available(pool);
      const { balance } = await db.selectFrom('accounts').select('balance').where('user_id', '=', userId).executeTakeFirstOrThrow();
      expect({ available, held: Number(balance) - Number(available) }).toEqual({ available: Number(balance), held: 0 });
    },
    { timeoutMs, intervalMs: 200 },
  );
  return Date.now() - settling;
}

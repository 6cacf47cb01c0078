/**
 * Migration 0026: unpaid orders made before migration 0024 (no `next_check_at`) are scheduled for
 * the reconciler's next sweep when they are still within its horizon, so a payment whose callback
 * was lost around an upgrade is found without anyone asking. Shown on both databases by running the
 * migration again over orders whose schedule was cleared, as a database upgraded from before 0024
 * holds them.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrateToLatest } from '../../src/storage/migrations.js';
import { DB_KINDS, startTestGateway, type TestGateway } from '../harness.js';
import { balance, order, orderStatus, payOnPage, startPaySim, type PaySim } from './helpers.js';

describe.each(DB_KINDS)('migration 0026_order_checks_backfill (%s)', (db) => {
  let pay: PaySim;
  let t: TestGateway;

  beforeAll(async () => {
    pay = await startPaySim();
    // The reconciler's own schedule is an hour: only what the migration schedules is due.
    t = await startTestGateway({ db, config: { ...pay.config, topupCheckSeconds: 3600 } });
  }, 60_000);
  afterAll(async () => {
    pay.sim.payments.hold = false;
    await t?.close();
    await pay?.sim.close();
  });

  it('schedules unpaid orders within the horizon (a paid one whose notify was lost is then credited by the sweep), not credited ones or those long expired', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const db = t.gw.services.db;
    const epay = (amount: string) => order(t, cookie, { provider: 'epay', method: 'alipay', amount });
    const lost = await epay('5');
    const unpaid = await epay('6');
    const old = await epay('7');
    const credited = await epay('8');
    await payOnPage(credited.payUrl!);
    await expect.poll(async () => (await orderStatus(t, cookie, credited.id)).status).toBe('credited');
    // Paid, its notify lost (held at the aggregator).
    pay.sim.payments.hold = true;
    await payOnPage(lost.payUrl!);
    const ids = [lost.id, unpaid.id, old.id, credited.id];
    // As an upgraded database holds them: never scheduled; one expired two days ago.
    await db.updateTable('topup_orders').set({ next_check_at: null, checks: 0 }).where('id', 'in', ids).execute();
    await db.updateTable('topup_orders').set({ status: 'expired', expires_at: Date.now() - 2 * 24 * 3600_000 }).where('id', '=', old.id).execute();
    // The migration, run again over them.
    const schema = t.config.databaseSchema;
    await sql`delete from ${schema ? sql.table(`${schema}.kysely_migration`) : sql.table('kysely_migration')} where name = '0026_order_checks_backfill'`.execute(db);
    const ran = Date.now();
    expect(await migrateToLatest(db, { schema }, MIGRATIONS)).toEqual(['0026_order_checks_backfill']);
    const rows = await db.selectFrom('topup_orders').select(['id', 'next_check_at']).where('id', 'in', ids).execute();
    const at = Object.fromEntries(rows.map((r) => [r.id, r.next_check_at === null ? null : Number(r.next_check_at)]));
    expect(at[lost.id]).toBeGreaterThanOrEqual(ran);
    expect(at[unpaid.id]).toBe(at[lost.id]);
    expect([at[old.id], at[credited.id]]).toEqual([null, null]);
    // The next sweep asks about the two: the paid one is credited, the unpaid one asked again later.
    expect(await t.gw.services.payments.reconciler.runOnce()).toBe(2);
    expect((await orderStatus(t, cookie, lost.id)).status).toBe('credited');
    expect(await balance(t, cookie)).toBe(before + 8 * 140 + 5 * 140);
    const next = await db.selectFrom('topup_orders').select(['status', 'checks', 'next_check_at']).where('id', '=', unpaid.id).executeTakeFirstOrThrow();
    expect([next.status, Number(next.checks)]).toEqual(['created', 1]);
    expect(Number(next.next_check_at)).toBeGreaterThan(ran + 3_600_000);
  });
});

/**
 * The gateway's Redis reaches its `maxmemory` with `noeviction` (the policy the README asks for, so
 * that held credit is never evicted): Redis then refuses every write with "OOM command not allowed".
 * A call is refused with a retryable 503 in its dialect — before, a 500 — nothing is charged for it,
 * and once memory is freed calls are served again and every hold is released.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBilling } from '../../src/billing/check.js';
import { userPool } from '../../src/billing/ledger.js';
import { createLogger } from '../../src/core/logger.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';
import { redisServers } from '../redis-servers.js';
import { balanceOf, chat, MICRO, setBalance, setPrice } from '../billing/helpers.js';

const servers = redisServers();
const open: TestGateway[] = [];
const clients: Redis[] = [];
afterAll(async () => {
  for (const t of open) await t.close();
  for (const c of clients) c.disconnect();
  servers.stopAll();
});

describe('Redis full (maxmemory reached, noeviction)', () => {
  it('a call is refused with a retryable 503, not a 500, and charged nothing; once memory is freed calls are served and no credit stays held', async () => {
    const redis = await servers.start(['--maxmemory', '4mb', '--maxmemory-policy', 'noeviction']);
    const prefix = `apigpt-test:${randomBytes(4).toString('hex')}:`;
    const logged: string[] = [];
    const t = await startTestGateway({ config: { healthProbeIntervalMs: 0, redisUrl: `redis://127.0.0.1:${redis.port}`, redisPrefix: prefix }, start: { log: createLogger('warn', (line) => logged.push(line)) } });
    open.push(t);
    await setPrice(t, 'gpt-4o-mini', 0, 1000);
    const u = await t.newUserWithKey();
    await setBalance(t, u.userId, u.cookie, 100);
    const ask = { max_tokens: 10, messages: [{ role: 'user', content: 'hello' }] };
    expect((await chat(t, u.key, ask)).status).toBe(200);

    // Another program's keys fill Redis to its limit.
    const filler = new Redis({ port: redis.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    clients.push(filler);
    // Smaller and smaller values until even a 16-byte one is refused: Redis refuses a write only
    // once it is over its limit, so then it is (a write that crosses it is still taken).
    let filled = 0;
    for (const size of [16 * 1024, 1024, 16]) {
      const piece = 'x'.repeat(size);
      for (;;) {
        try {
          await filler.set(`filler:${filled}`, piece);
          filled++;
        } catch (err) {
          expect(String((err as Error).message)).toMatch(/^OOM /);
          break;
        }
      }
    }

    const refused = await chat(t, u.key, ask);
    const body = await refused.text();
    expect([refused.status, refused.headers.get('retry-after'), JSON.parse(body).error?.code], body).toEqual([503, '2', 'service_unavailable']);
    expect(logged.some((l) => l.includes('answered 503: redis unavailable (OOM command not allowed'))).toBe(true);

    for (let i = 0; i < filled; i += 500) await filler.del(...Array.from({ length: Math.min(500, filled - i) }, (_, j) => `filler:${i + j}`));
    await eventually(async () => expect((await chat(t, u.key, ask)).status).toBe(200), { timeoutMs: 10_000, intervalMs: 100 });
    await t.flushLogs();

    // Two calls served and charged; the refused one charged nothing; nothing held.
    const rows = await t.gw.services.db.selectFrom('request_logs').select(['status', 'cost']).where('user_id', '=', u.userId).where('status', '=', 200).execute();
    expect(rows.length).toBe(2);
    const cost = rows.reduce((s, r) => s + r.cost, 0);
    expect(await balanceOf(t, u.cookie)).toBe((100 * MICRO - cost) / MICRO);
    await eventually(async () => expect(await t.gw.services.billing.state.available(userPool(u.userId))).toBe(100 * MICRO - cost), { timeoutMs: 10_000, intervalMs: 100 });
    expect((await checkBilling(t.gw.services.db, { state: t.gw.services.billing.state })).problems).toEqual([]);
  }, 60_000);
});

import { countChatTokens } from '../../src/formats/tokens.js';
import { checkBilling } from '../../src/billing/check.js';
import type { TestGateway } from '../harness.js';

export const MICRO = 1_000_000;

/** Gives a model a round price (P per 1K tokens) so expected costs are easy to state. */
export async function setPrice(t: TestGateway, model: string, input: number, output: number, extra: Record<string, unknown> = {}) {
  const r = await t.api('PUT', `/api/admin/prices/${encodeURIComponent(model)}`, { input, output, ...extra }, { token: t.rootToken });
  if (r.status !== 200) throw new Error(`price set failed: ${r.status} ${JSON.stringify(r.body)}`);
}

/** Moves a user's balance to exactly `points` P through the admin API (so the ledger records it). */
export async function setBalance(t: TestGateway, userId: string, cookie: string, points: number) {
  const acc = await t.api<{ balance: number }>('GET', '/api/billing/account', undefined, { cookie });
  const delta = Math.round((points - acc.body.balance) * MICRO) / MICRO;
  if (delta === 0) return;
  const r = await t.api('POST', `/api/admin/users/${userId}/credit`, { amount: delta, reason: 'test setup' }, { token: t.rootToken });
  if (r.status !== 200) throw new Error(`credit failed: ${r.status} ${JSON.stringify(r.body)}`);
}

export async function balanceOf(t: TestGateway, cookie: string): Promise<number> {
  return (await t.api<{ balance: number }>('GET', '/api/billing/account', undefined, { cookie })).body.balance;
}

export function chatTokens(content: string): number {
  return countChatTokens([{ role: 'user', content }]);
}

export async function chat(t: TestGateway, key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(`${t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', ...body }),
  });
}

/** Flushes every gateway sharing the database, then audits it. */
export async function audit(...gateways: TestGateway[]) {
  for (const g of gateways) await g.flushLogs();
  return checkBilling(gateways[0].gw.services.db);
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { BILLING_COMMANDS } from '../../src/cli/billing-commands.js';
import { UsageError } from '../../src/cli/args.js';

/** Amounts beyond what the ledger can hold exactly are refused with a 400 naming the field and its range. */
describe('out-of-range amounts', () => {
  let t: TestGateway;
  let user: Awaited<ReturnType<TestGateway['newUserWithKey']>>;
  let keyId: string;
  beforeAll(async () => {
    t = await startTestGateway();
    user = await t.newUserWithKey();
    const keys = await t.api<{ items: { id: string }[] }>('GET', '/api/keys', undefined, { cookie: user.cookie });
    keyId = keys.body.items[0].id;
  });
  afterAll(() => t?.close());

  const refused = (r: { status: number; body: any }, field: string) => {
    expect(r.status).toBe(400);
    expect(r.body.error.param).toBe(field);
    expect(r.body.error.message).toContain(`'${field}'`);
    expect(r.body.error.message).toMatch(/from 0 to 1000000000|at most|between/);
  };

  it("a key's creditLimit of 1e300 gets 400 naming creditLimit and its range", async () => {
    refused(await t.api('PATCH', `/api/keys/${keyId}`, { creditLimit: 1e300 }, { cookie: user.cookie }), 'creditLimit');
  });

  it('a code worth 1e12 gets 400 naming value and its range', async () => {
    refused(await t.api('POST', '/api/admin/codes', { count: 1, value: 1e12 }, { token: t.rootToken }), 'value');
  });

  it('a price of 1e300 gets 400 naming the price field and its range', async () => {
    const r = await t.api('PUT', '/api/admin/prices/gpt-4o-mini', { input: 1e300, output: 1 }, { token: t.rootToken });
    expect(r.status).toBe(400);
    expect(r.body.error.param).toBe('input');
    expect(r.body.error.message).toMatch(/'input'.*from 0 to \d+/);
  });

  it('a credit grant of -1e300 gets 400 naming amount and its range', async () => {
    const r = await t.api('POST', `/api/admin/users/${user.userId}/credit`, { amount: -1e300, reason: 'x' }, { token: t.rootToken });
    expect(r.status).toBe(400);
    expect(r.body.error.param).toBe('amount');
    expect(r.body.error.message).toMatch(/'amount'.*from -1000000000 to 1000000000/);
  });

  it('trial credit and a low-balance threshold of 1e300 get 400', async () => {
    refused(await t.api('PUT', '/api/admin/settings', { trialCredit: 1e300 }, { token: t.rootToken }), 'trialCredit');
    refused(await t.api('PUT', '/api/billing/low-balance', { threshold: 1e300 }, { cookie: user.cookie }), 'threshold');
  });

  it('amounts inside the range are still accepted', async () => {
    expect((await t.api('PATCH', `/api/keys/${keyId}`, { creditLimit: 1_000_000_000 }, { cookie: user.cookie })).status).toBe(200);
    expect((await t.api('POST', '/api/admin/codes', { count: 1, value: 1_000_000 }, { token: t.rootToken })).status).toBe(200);
  });
});

describe('out-of-range amounts on the CLI', () => {
  const run = (args: string[]) => BILLING_COMMANDS[`${args[0]} ${args[1]}`].run(args.slice(2));

  it('a code value of 10^12 P is a usage error naming --value and its range', async () => {
    await expect(run(['code', 'create', '--count', '1', '--value', '1000000000000'])).rejects.toThrow(new UsageError('--value must be from 0 to 1000000000 points (got 1000000000000)'));
  });

  it('a price of 10^300 P is a usage error naming --input and its range', async () => {
    await expect(run(['price', 'set', '--model', 'm', '--input', `1${'0'.repeat(300)}`, '--output', '1'])).rejects.toThrow(/^--input must be from 0 to 1000000 points/);
  });

  it('a deduction beyond the range is a usage error naming --amount', async () => {
    await expect(run(['credit', 'grant', '--email', 'a@b.c', '--amount=-2000000000', '--reason', 'x'])).rejects.toThrow(/^--amount must be from -1000000000 to 1000000000 points/);
  });
});

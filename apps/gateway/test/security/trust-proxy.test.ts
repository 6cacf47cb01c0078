import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { startTestGateway, type TestGateway } from '../harness.js';

/**
 * A key limited to some addresses is checked against the client's address. `X-Forwarded-For` names
 * that address only when it comes from a proxy the operator trusts (APIGPT_TRUST_PROXY), and then
 * the address nearest the trusted proxy counts, not whatever the client wrote further left.
 */
const open: TestGateway[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function gateway(trustProxy?: string) {
  const t = await startTestGateway(trustProxy === undefined ? {} : { config: { trustProxy } });
  open.push(t);
  return t;
}

/** A key that may only be used from 10.9.9.9. */
async function keyFor(t: TestGateway): Promise<string> {
  const u = await t.newUserWithKey();
  const keys = await t.api('GET', '/api/keys', undefined, { cookie: u.cookie });
  const r = await t.api('PATCH', `/api/keys/${keys.body.items[0].id}`, { ips: ['10.9.9.9'] }, { cookie: u.cookie });
  expect(r.status).toBe(200);
  return u.key;
}

async function callFrom(t: TestGateway, key: string, forwardedFor: string) {
  const res = await fetch(`${t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, code: body.error?.code ?? null, message: body.error?.message ?? null };
}

describe('X-Forwarded-For and key IP lists', () => {
  it('by default the header is ignored: X-Forwarded-For 10.9.9.9 from 127.0.0.1 does not satisfy a key limited to 10.9.9.9', async () => {
    const t = await gateway();
    expect(t.config.trustProxy).toBe('false');
    const r = await callFrom(t, await keyFor(t), '10.9.9.9');
    expect(r).toMatchObject({ status: 403, code: 'ip_not_allowed' });
    expect(r.message).toContain('127.0.0.1');
  });

  it('with APIGPT_TRUST_PROXY=127.0.0.1 the forwarded address counts, and only the one nearest the proxy', async () => {
    const t = await gateway('127.0.0.1');
    const key = await keyFor(t);
    expect((await callFrom(t, key, '10.9.9.9')).status).toBe(200);
    // The client wrote 10.9.9.9 itself; the trusted proxy appended the address it saw.
    const spoofed = await callFrom(t, key, '10.9.9.9, 203.0.113.7');
    expect(spoofed).toMatchObject({ status: 403, code: 'ip_not_allowed' });
    expect(spoofed.message).toContain('203.0.113.7');
  });

  it('a CIDR of proxies is trusted hop by hop: the first untrusted address from the right is the client', async () => {
    const t = await gateway('127.0.0.0/8, 10.200.0.0/16');
    const key = await keyFor(t);
    expect((await callFrom(t, key, '203.0.113.7, 10.9.9.9, 10.200.1.1')).status).toBe(200);
  });

  it('a hop count trusts that many proxies in front', async () => {
    const t = await gateway('1');
    const key = await keyFor(t);
    expect((await callFrom(t, key, '10.9.9.9')).status).toBe(200);
    expect(await callFrom(t, key, '10.9.9.9, 203.0.113.7')).toMatchObject({ status: 403, code: 'ip_not_allowed' });
  });

  it('refuses a setting that is neither false, a hop count nor addresses, and `true` (trust everyone)', () => {
    for (const bad of ['true', 'proxy.example', '10.0.0.0/33', '10.0.0.1/8/1']) {
      expect(() => loadConfig({ env: { APIGPT_TRUST_PROXY: bad }, file: undefined })).toThrow(ConfigError);
    }
    expect(() => loadConfig({ env: { APIGPT_TRUST_PROXY: 'true' }, file: undefined })).toThrow(/APIGPT_TRUST_PROXY must be false, a number of proxy hops, or proxy addresses/);
    expect(loadConfig({ env: { APIGPT_TRUST_PROXY: '10.0.0.5,::1' }, file: undefined }).trustProxy).toBe('10.0.0.5,::1');
  });
});

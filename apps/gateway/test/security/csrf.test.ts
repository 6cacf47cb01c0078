/**
 * A page on another port of the same host is "same-site" to the browser, so SameSite cookies ride
 * along on its form posts. Management calls authenticated by the session cookie that change state
 * are refused when the browser says they come from another origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';

describe('cross-origin requests on cookie-authenticated management routes', () => {
  let t: TestGateway;
  let withPublicUrl: TestGateway;
  let u: Awaited<ReturnType<TestGateway['newUserWithKey']>>;
  let keyId: string;
  let adminCookie: string;
  /** A page served by another port of the same host. */
  let otherPort: string;

  const call = (method: string, path: string, headers: Record<string, string>, body?: string, base = t.url) =>
    fetch(base + path, { method, headers, body });

  beforeAll(async () => {
    t = await startTestGateway();
    withPublicUrl = await startTestGateway({ config: { publicUrl: 'https://gw.example.com' } });
    u = await t.newUserWithKey();
    keyId = (await t.api<{ items: { id: string }[] }>('GET', '/api/keys', undefined, { cookie: u.cookie })).body.items[0].id;
    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(t.admin) });
    adminCookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const port = Number(new URL(t.url).port);
    otherPort = `http://127.0.0.1:${port === 65535 ? port - 1 : port + 1}`;
  });
  afterAll(async () => {
    await t?.close();
    await withPublicUrl?.close();
  });

  const refused = async (res: Response) => {
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('cross_site_request');
  };
  const keyRevoked = async () => (await t.api<{ key: { revoked_at: number | null } }>('GET', `/api/keys/${keyId}`, undefined, { cookie: u.cookie })).body.key.revoked_at !== null;

  it('a body-less revoke posted from another port (Origin of that page) is refused and the key stays active', async () => {
    await refused(await call('POST', `/api/keys/${keyId}/revoke`, { cookie: u.cookie, origin: otherPort }));
    expect(await keyRevoked()).toBe(false);
  });

  it('a text/plain form post with Sec-Fetch-Site: same-site is refused', async () => {
    await refused(await call('POST', `/api/keys/${keyId}/revoke`, { cookie: u.cookie, 'content-type': 'text/plain', 'sec-fetch-site': 'same-site' }, 'x=y'));
    expect(await keyRevoked()).toBe(false);
  });

  it('Sec-Fetch-Site: cross-site is refused, and Origin: null (a sandboxed page) too', async () => {
    await refused(await call('PATCH', `/api/keys/${keyId}`, { cookie: u.cookie, 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, '{"name":"x"}'));
    await refused(await call('DELETE', `/api/apps/${u.appId}`, { cookie: u.cookie, origin: 'null' }));
  });

  it("an admin's channel disable and channel test from another port are refused", async () => {
    const channel = (await t.api<{ items: { id: string }[] }>('GET', '/api/admin/channels', undefined, { token: t.rootToken })).body.items[0].id;
    await refused(await call('POST', `/api/admin/channels/${channel}/disable`, { cookie: adminCookie, origin: otherPort }));
    await refused(await call('POST', `/api/admin/channels/${channel}/test`, { cookie: adminCookie, 'sec-fetch-site': 'same-site' }));
    const after = await t.api<{ channel?: { enabled: boolean }; enabled?: boolean }>('GET', `/api/admin/channels/${channel}`, undefined, { token: t.rootToken });
    expect(after.body.channel?.enabled ?? after.body.enabled).toBe(true);
  });

  it('a logout from another port is refused and the session keeps working', async () => {
    await refused(await call('POST', '/api/auth/logout', { cookie: u.cookie, origin: otherPort }));
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie: u.cookie })).status).toBe(200);
  });

  it("the console's own calls pass: same Origin, Sec-Fetch-Site same-origin or none", async () => {
    const own = new URL(t.url).origin;
    const r1 = await call('PATCH', `/api/keys/${keyId}`, { cookie: u.cookie, 'content-type': 'application/json', origin: own, 'sec-fetch-site': 'same-origin' }, '{"name":"renamed"}');
    expect(r1.status).toBe(200);
    const r2 = await call('PATCH', `/api/keys/${keyId}`, { cookie: u.cookie, 'content-type': 'application/json', 'sec-fetch-site': 'none' }, '{"name":"again"}');
    expect(r2.status).toBe(200);
  });

  it('reads are not refused, and the root token (not a browser credential) is not checked', async () => {
    expect((await call('GET', '/api/keys', { cookie: u.cookie, origin: otherPort, 'sec-fetch-site': 'same-site' })).status).toBe(200);
    const channel = (await t.api<{ items: { id: string }[] }>('GET', '/api/admin/channels', undefined, { token: t.rootToken })).body.items[0].id;
    const r = await call('POST', `/api/admin/channels/${channel}/test`, { authorization: `Bearer ${t.rootToken}`, origin: otherPort, 'content-type': 'application/json' }, '{}');
    expect(r.status).toBe(200);
  });

  it('with a public URL configured, its origin is the gateway\'s own even when the Host differs', async () => {
    const v = await withPublicUrl.newUserWithKey();
    const ok = await call('POST', '/api/apps', { cookie: v.cookie, 'content-type': 'application/json', origin: 'https://gw.example.com' }, '{"name":"from console"}', withPublicUrl.url);
    expect(ok.status).toBe(200);
    await refused(await call('POST', '/api/apps', { cookie: v.cookie, 'content-type': 'application/json', origin: 'https://gw.example.com:8443' }, '{"name":"other"}', withPublicUrl.url));
  });
});

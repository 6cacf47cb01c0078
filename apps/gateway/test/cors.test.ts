import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.js';
import { eventually } from './eventually.js';

/** Browser keys: the relay answers CORS, a key's origin list decides, the console's cookie path stays closed. */
describe('CORS and browser keys', () => {
  let t: TestGateway;
  let user: Awaited<ReturnType<TestGateway['newUserWithKey']>>;
  beforeAll(async () => {
    t = await startTestGateway();
    user = await t.newUserWithKey();
  });
  afterAll(() => t?.close());

  it('answers a preflight only from an origin some live key allows', async () => {
    const preflight = (origin: string, path = '/v1/chat/completions') =>
      fetch(`${t.url}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    // No key names the page: refused, nothing a browser would accept.
    const refused = await preflight('https://shop.example.org');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    // Another user's browser key names it: allowed (the key itself is checked on the call).
    const owner = await t.newUserWithKey();
    const keys = await t.api<{ items: { id: string }[] }>('GET', '/api/keys', undefined, { cookie: owner.cookie });
    const keyId = keys.body.items[0].id;
    expect((await t.api('PATCH', `/api/keys/${keyId}`, { origins: ['https://shop.example.org'] }, { cookie: owner.cookie })).status).toBe(200);
    const allowed = await preflight('https://shop.example.org');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example.org');
    // The account reads a page needs (balance, prices) answer too; the rest of /api does not.
    expect((await preflight('https://shop.example.org', '/api/billing/account')).headers.get('access-control-allow-origin')).toBe('https://shop.example.org');
    expect((await preflight('https://shop.example.org', '/api/models')).status).toBe(204);
    expect((await preflight('https://shop.example.org', '/api/keys')).headers.get('access-control-allow-origin')).toBeNull();
    // Revoked with its key, at once (the set follows the keys table's changes).
    expect((await t.api('POST', `/api/keys/${keyId}/revoke`, undefined, { cookie: owner.cookie })).status).toBe(200);
    expect((await preflight('https://shop.example.org')).status).toBe(403);
    // An expired key allows nothing either.
    const later = await t.newUserWithKey();
    const laterKeys = await t.api<{ items: { id: string }[] }>('GET', '/api/keys', undefined, { cookie: later.cookie });
    expect((await t.api('PATCH', `/api/keys/${laterKeys.body.items[0].id}`, { origins: ['https://old.example.org'], expiresAt: Date.now() + 1500 }, { cookie: later.cookie })).status).toBe(200);
    await eventually(async () => expect((await preflight('https://old.example.org')).status).toBe(403));
  });

  it('answers the preflight for the relay with the SDK headers, but never the playground header or credentials', async () => {
    const keys = await t.api<{ items: { id: string }[] }>('GET', '/api/keys', undefined, { cookie: user.cookie });
    expect((await t.api('PATCH', `/api/keys/${keys.body.items[0].id}`, { origins: ['https://app.example.com'] }, { cookie: user.cookie })).status).toBe(200);
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const allowed = res.headers.get('access-control-allow-headers')!;
    expect(allowed).toContain('authorization');
    expect(allowed).toContain('x-stainless-os');
    // A page may name its calls with its own id, and read it back.
    expect(allowed.split(', ')).toContain('x-client-request-id');
    expect(allowed).not.toContain('x-apigpt-playground');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    const api = await fetch(`${t.url}/api/apps`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' } });
    expect(api.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a key limited to some origins works from them (streamed too), and only from them', async () => {
    const keys = await t.api<{ items: { id: string }[] }>('GET', '/api/keys', undefined, { cookie: user.cookie });
    const patched = await t.api('PATCH', `/api/keys/${keys.body.items[0].id}`, { origins: ['https://app.example.com'] }, { cookie: user.cookie });
    expect(patched.status).toBe(200);
    const call = (origin: string, stream = false) =>
      fetch(`${t.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { origin, authorization: `Bearer ${user.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'hi' }] }),
      });
    const ok = await call('https://app.example.com');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(ok.headers.get('access-control-expose-headers')!.split(', ')).toEqual(expect.arrayContaining(['x-request-id', 'x-client-request-id']));
    const streamed = await call('https://app.example.com', true);
    expect(streamed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    await streamed.text();
    const foreign = await call('https://evil.example.net');
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBe('https://evil.example.net'); // readable, so the page sees why
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed');
  });
});

/**
 * The welcome step after sign-up, over the real API on SQLite and PostgreSQL: offered to a new
 * account only; submitting it saves the profile and makes the first App whose key may use exactly the
 * models of the ticked services this server has (and calls them); it is done once (a second submit,
 * even at the same moment, is refused and makes no second App); skipping ends it too; accounts an
 * administrator makes are never asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, DEFAULT_MODELS, startTestGateway, type TestGateway } from '../harness.js';
const SIM_KEY = 'simid.simsecret';

interface Onboarding {
  state: 'pending' | 'done' | 'skipped' | null;
  services: { id: string; models: string[] }[];
}
interface Submitted {
  app: { id: string; name: string; description: string | null };
  key: { key: string; record: { id: string; models: string[] | null } };
  models: string[] | null;
  unavailable: string[];
}

describe.each(DB_KINDS)('onboarding (%s)', (db) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      db,
      channels: (sim) => [
        { provider: 'openai-compatible', name: 'sim', baseUrl: `${sim.url}/v1`, models: DEFAULT_MODELS },
        { provider: 'anthropic', name: 'anthropic', baseUrl: sim.url, secret: SIM_KEY, models: ['claude-sonnet-4-5'] },
      ],
    });
  }, 60_000);
  afterAll(() => t?.close());

  it('a new account is offered the step; submitting it makes the first App whose key may use the ticked services’ models, once', async () => {
    const { cookie, user } = await t.signup();
    expect((await t.api<{ onboarding: boolean }>('GET', '/api/auth/me', undefined, { cookie })).body.onboarding).toBe(true);
    const offered = (await t.api<Onboarding>('GET', '/api/onboarding', undefined, { cookie })).body;
    expect(offered.state).toBe('pending');
    expect(offered.services.find((s) => s.id === 'claude')?.models).toEqual(['claude-sonnet-4-5']);
    expect(offered.services.find((s) => s.id === 'openai')?.models).toEqual([...DEFAULT_MODELS].sort());
    expect(offered.services.find((s) => s.id === 'gemini')?.models).toEqual([]);

    // Two tabs submit at the same moment: one App is made, the other is told the step is done.
    const body = { displayName: 'Lin Wei', organisation: 'Acme Robotics', building: 'A support bot', services: ['claude', 'gemini'] };
    const [a, b] = await Promise.all([t.api<Submitted>('POST', '/api/onboarding', body, { cookie }), t.api<Submitted>('POST', '/api/onboarding', body, { cookie })]);
    const ok = [a, b].filter((r) => r.status === 200);
    const refused = [a, b].filter((r) => r.status !== 200);
    expect(ok).toHaveLength(1);
    expect(refused.map((r) => [r.status, (r.body as unknown as { error: { code: string } }).error.code])).toEqual([[409, 'onboarding_done']]);
    const made = ok[0].body;
    expect(made.app).toMatchObject({ name: 'My first app', description: 'A support bot' });
    expect(made.key.key).toMatch(/^sk-/);
    expect(made.models).toEqual(['claude-sonnet-4-5']);
    expect(made.key.record.models).toEqual(['claude-sonnet-4-5']);
    expect(made.unavailable).toEqual(['gemini']);
    expect((await t.api<{ items: unknown[] }>('GET', '/api/apps', undefined, { cookie })).body.items).toHaveLength(1);

    // The key works for the ticked service's model and is refused another.
    const call = (model: string) => fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${made.key.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
    expect((await call('claude-sonnet-4-5')).status).toBe(200);
    const other = await call('gpt-4o-mini');
    expect(other.status).toBe(403);

    const me = (await t.api<{ onboarding: boolean; user: { display_name: string } }>('GET', '/api/auth/me', undefined, { cookie })).body;
    expect(me).toMatchObject({ onboarding: false, user: { display_name: 'Lin Wei' } });
    const row = await t.gw.services.db.selectFrom('user_onboarding').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'done', organisation: 'Acme Robotics', building: 'A support bot', services: '["claude","gemini"]', app_id: made.app.id });
    // Shown once: skipping afterwards is refused as well.
    expect((await t.api('POST', '/api/onboarding/skip', undefined, { cookie })).status).toBe(409);
  });

  it('nothing ticked, or only services this server lacks: the key is left unrestricted rather than useless', async () => {
    const { cookie } = await t.signup();
    const r = await t.api<Submitted>('POST', '/api/onboarding', { services: ['gemini'], appName: 'Bot' }, { cookie });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ app: { name: 'Bot', description: null }, models: null, unavailable: ['gemini'], key: { record: { models: null } } });
  });

  it('skipping ends the step without an App; an unknown service is refused by name', async () => {
    const { cookie } = await t.signup();
    const bad = await t.api<{ error: { param: string; message: string } }>('POST', '/api/onboarding', { services: ['skynet'] }, { cookie });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ param: 'services' });
    expect((await t.api('POST', '/api/onboarding/skip', undefined, { cookie })).status).toBe(200);
    expect((await t.api<Onboarding>('GET', '/api/onboarding', undefined, { cookie })).body.state).toBe('skipped');
    expect((await t.api<{ onboarding: boolean }>('GET', '/api/auth/me', undefined, { cookie })).body.onboarding).toBe(false);
    expect((await t.api<{ items: unknown[] }>('GET', '/api/apps', undefined, { cookie })).body.items).toHaveLength(0);
  });

  it('an App made by hand on the Integration page ends the step as skipped, with that App: the step is not offered again', async () => {
    const { cookie } = await t.signup();
    expect((await t.api<{ onboarding: boolean }>('GET', '/api/auth/me', undefined, { cookie })).body.onboarding).toBe(true);
    const made = await t.api<{ app: { id: string } }>('POST', '/api/apps', { name: 'by hand' }, { cookie });
    expect(made.status).toBe(200);
    expect((await t.api<{ onboarding: boolean }>('GET', '/api/auth/me', undefined, { cookie })).body.onboarding).toBe(false);
    expect((await t.api<Onboarding>('GET', '/api/onboarding', undefined, { cookie })).body.state).toBe('skipped');
    const row = await t.gw.services.db.selectFrom('user_onboarding').select(['state', 'app_id']).where('app_id', '=', made.body.app.id).executeTakeFirst();
    expect(row).toEqual({ state: 'skipped', app_id: made.body.app.id });
    // The step cannot be submitted afterwards (no second first App).
    expect((await t.api<{ error: { code: string } }>('POST', '/api/onboarding', { services: [] }, { cookie })).body.error.code).toBe('onboarding_done');
  });

  it('an account an administrator makes is never asked', async () => {
    const made = await t.api<{ user: { id: string } }>('POST', '/api/admin/users', { email: `made-${db}@test.local`, password: 'harness-password-17' }, { token: t.rootToken });
    expect(made.status).toBe(200);
    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `made-${db}@test.local`, password: 'harness-password-17' }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    expect((await t.api<{ onboarding: boolean }>('GET', '/api/auth/me', undefined, { cookie })).body.onboarding).toBe(false);
    expect((await t.api<Onboarding>('GET', '/api/onboarding', undefined, { cookie })).body.state).toBe(null);
  });
});

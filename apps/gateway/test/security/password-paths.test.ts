import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/core/logger.js';
import { startGateway } from '../../src/gateway.js';
import { startTestGateway, type TestGateway } from '../harness.js';

/**
 * Every way a password is set meets the sign-up's strength check (zxcvbn, score 3 by default): the
 * root admin from APIGPT_ADMIN_PASSWORD at the first start, and the accounts and passwords an admin
 * sets. (The CLI's `user create` and `user set-password` are checked in two-factor.test.ts, which
 * runs the built CLI anyway.)
 */
describe('password strength on the paths that are not sign-up', () => {
  it('a weak APIGPT_ADMIN_PASSWORD stops the first start with the variable named, and makes no account', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-weak-admin-'));
    try {
      const config = loadConfig({ env: {}, file: undefined, overrides: { port: 0, host: '127.0.0.1', dataDir: dir, adminPassword: 'password1', demoChannel: 'off', logLevel: 'silent', secret: 'weak-admin-test' } });
      const started = startGateway(config, { log: createLogger('silent'), listen: false });
      await expect(started).rejects.toMatchObject({ code: 'weak_password', message: expect.stringMatching(/^APIGPT_ADMIN_PASSWORD is not accepted for the root admin\. This password is too easy to guess: /) });
      // A strong one starts, on the same (still empty) database.
      const gw = await startGateway({ ...config, adminPassword: 'saffron-glacier-tunnel-64' }, { log: createLogger('silent'), listen: false });
      try {
        const admins = await gw.services.db.selectFrom('users').select('email').where('role', '=', 'admin').execute();
        expect(admins).toEqual([{ email: config.adminEmail }]);
      } finally {
        await gw.close();
      }
      expect(readdirSync(dir)).toContain('apigpt.db');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('admin-made accounts and passwords', () => {
    let t: TestGateway;
    beforeAll(async () => {
      t = await startTestGateway();
    });
    afterAll(async () => t?.close());
    const root = () => ({ token: t.rootToken });

    it('POST /api/admin/users refuses a weak password with 400 weak_password naming the field, and creates nobody', async () => {
      const email = 'weak-by-admin@test.local';
      const r = await t.api('POST', '/api/admin/users', { email, password: '12345678' }, root());
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ type: 'invalid_request', param: 'password', code: 'weak_password' });
      expect(r.body.error.message).toMatch(/^This password is too easy to guess: /);
      // Built from the account's own address: weak too.
      expect((await t.api('POST', '/api/admin/users', { email: 'marguerite.oakley@test.local', password: 'marguerite.oakley' }, root())).body.error.code).toBe('weak_password');
      expect((await t.api('GET', `/api/admin/users?search=weak-by-admin`, undefined, root())).body.total).toBe(0);
      expect((await t.api('POST', '/api/admin/users', { email, password: 'quartz-lily-orchard-19' }, root())).status).toBe(200);
    });

    it('PATCH /api/admin/users/:id refuses a weak password and keeps the old one', async () => {
      const { user } = await t.signup(undefined, 'plum-orbit-cactus-7');
      const r = await t.api('PATCH', `/api/admin/users/${user.id}`, { password: 'qwertyuiop' }, root());
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ param: 'password', code: 'weak_password' });
      const login = (password: string) => fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password }) }).then((res) => res.status);
      expect(await login('plum-orbit-cactus-7')).toBe(200);
      expect((await t.api('PATCH', `/api/admin/users/${user.id}`, { password: 'ember-canyon-violin-23' }, root())).status).toBe(200);
      expect(await login('ember-canyon-violin-23')).toBe(200);
    });
  });
});

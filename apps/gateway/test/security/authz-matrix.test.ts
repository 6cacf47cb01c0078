/**
 * Who may call each management route, as a table: anonymous, a user, another user (acting on the
 * first user's app, key or order: tenant isolation), an admin, and the first user's App key (which
 * reaches only its account's routes). The routes come from the server's own route
 * table (Fastify's `printRoutes`), so a route added without a row here fails the first test, and a
 * row whose route is gone fails it too. Every role sends the same request to the same resource;
 * fixtures are made fresh for each route, so a route that deletes or logs out spoils nothing else.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { routeTable } from './routes.js';

type Role = 'anonymous' | 'user' | 'other' | 'admin' | 'key';
/** The order the roles are tried in: the owner last, so its own delete, revoke or log-out runs after the refusals. */
const ROLES: Role[] = ['anonymous', 'other', 'admin', 'key', 'user'];

/** The users' password (both the first user's and the other's). */
const PASSWORD = `Matrix-${randomBytes(6).toString('hex')}-cobalt`;

interface Fixture {
  /** The first user, with an app and its App key (`key`, which the key role sends as `Bearer`). */
  user: { id: string; email: string; cookie: string; appId: string; keyId: string; key: string };
  other: { id: string; cookie: string };
  admin: { cookie: string };
  channelId: string;
  /** A model with a price, and a group name, made for this route's requests. */
  model: string;
  group: string;
  /** One redemption code per role, so each role's redemption has one of its own to try. */
  codes: Record<Role, string>;
  /** A recharge order of the first user (EPay, unpaid), and a recharge pack. */
  orderId: string;
  packId: string;
  /** A content-safety word-list rule, and a policy (of the fixture's group). */
  safetyRuleId: string;
  /** A support ticket the first user opened, and a published announcement. */
  ticketId: string;
  announcementId: string;
  safetyPolicyId: string;
  /** A call of the first user's whose content is logged (privacy; the group above has a policy). */
  contentId: string;
}

interface Row {
  /** The concrete path; the route's own path when left out. */
  path?: (f: Fixture) => string;
  body?: (f: Fixture, role: Role) => unknown;
  expect: Record<Role, number>;
}

/** Every caller alike (an App key included): `all(200)` is a public route. */
const all = (status: number): Record<Role, number> => ({ anonymous: status, other: status, admin: status, key: status, user: status });
const PUBLIC = all(200);
/** Any signed-in user, for themselves; an App key is refused (403 api_key_not_allowed). */
const SIGNED_IN = { anonymous: 401, other: 200, admin: 200, key: 403, user: 200 };
/** An account's routes an App key may call too (`config.keys`: balance, usage, its calls, models, redeem). */
const KEYED = { ...SIGNED_IN, key: 200 };
/** The first user's own resource: another user, and an admin acting as a user, are told it does not exist. */
const OWNED = { anonymous: 401, other: 404, admin: 404, key: 403, user: 200 };
const ADMIN = { anonymous: 401, other: 403, admin: 200, key: 403, user: 403 };

const fresh = () => randomBytes(4).toString('hex');
const strongPassword = () => `Kx7!${randomBytes(9).toString('base64url')}-violet-harbour`;

/** `METHOD /route` (Fastify's route path) → the row. */
const MATRIX: Record<string, Row> = {
  // Public: documentation, health, sign-up and log-in.
  'GET /api/docs': { expect: PUBLIC },
  'GET /api/docs/': { expect: PUBLIC },
  // Swagger UI sends its index page's own address back to the folder.
  'GET /api/docs/static/index.html': { expect: all(302) },
  'GET /api/docs/static/swagger-initializer.js': { expect: PUBLIC },
  'GET /api/docs/*': { path: () => '/api/docs/static/swagger-ui.css', expect: PUBLIC },
  'GET /api/docs/json': { expect: PUBLIC },
  'GET /api/docs/yaml': { expect: PUBLIC },
  'GET /api/openapi.json': { expect: PUBLIC },
  'GET /api/health': { expect: PUBLIC },
  'GET /api/config': { expect: PUBLIC },
  'POST /api/auth/signup': { body: () => ({ email: `m-${fresh()}@test.local`, password: strongPassword() }), expect: PUBLIC },
  'POST /api/auth/login': { body: (f) => ({ email: f.user.email, password: PASSWORD }), expect: PUBLIC },
  'POST /api/auth/logout': { expect: PUBLIC },
  // A reset request gets the same answer for any address; made-up tokens are refused.
  'POST /api/auth/password-reset': { body: (f) => ({ email: f.user.email, locale: 'en' }), expect: PUBLIC },
  'POST /api/auth/password-reset/confirm': { body: () => ({ token: 'made-up-token', newPassword: strongPassword() }), expect: all(400) },
  'POST /api/auth/verify-email': { body: () => ({ token: 'made-up-token' }), expect: all(400) },
  // The second log-in step: a made-up challenge opens nothing, whoever sends it.
  'POST /api/auth/login/two-factor': { body: () => ({ challenge: 'made-up-challenge-0000000000', code: '123456' }), expect: all(401) },

  // The signed-in user's own account.
  // The admin's current password is not the users': refused as wrong, after the session check.
  'POST /api/auth/password': { body: () => ({ currentPassword: PASSWORD, newPassword: strongPassword() }), expect: { anonymous: 401, other: 200, admin: 400, key: 403, user: 200 } },
  // The admin's address counts as confirmed already: nothing to resend.
  'POST /api/auth/verify-email/resend': { body: () => ({ locale: 'en' }), expect: { ...SIGNED_IN, admin: 400 } },
  'GET /api/auth/me': { expect: SIGNED_IN },
  // Two-factor sign-in of one's own account, from a session. The admin's password is not the users':
  // refused as wrong, after the session check. The users have not set it up: confirming, turning
  // off and new recovery codes are refused as such (400), after the session check.
  'GET /api/auth/two-factor': { expect: SIGNED_IN },
  'POST /api/auth/two-factor/setup': { body: () => ({ password: PASSWORD }), expect: { ...SIGNED_IN, admin: 400 } },
  'POST /api/auth/two-factor/confirm': { body: () => ({ code: '000000' }), expect: { anonymous: 401, other: 400, admin: 400, key: 403, user: 400 } },
  'POST /api/auth/two-factor/disable': { body: () => ({ password: PASSWORD, code: '000000' }), expect: { anonymous: 401, other: 400, admin: 400, key: 403, user: 400 } },
  'POST /api/auth/two-factor/recovery-codes': { body: () => ({ password: PASSWORD, code: '000000' }), expect: { anonymous: 401, other: 400, admin: 400, key: 403, user: 400 } },
  'GET /api/apps': { expect: SIGNED_IN },
  'POST /api/apps': { body: () => ({ name: 'matrix app' }), expect: SIGNED_IN },
  'GET /api/apps/:id': { path: (f) => `/api/apps/${f.user.appId}`, expect: OWNED },
  'PATCH /api/apps/:id': { path: (f) => `/api/apps/${f.user.appId}`, body: () => ({ name: 'renamed' }), expect: OWNED },
  'DELETE /api/apps/:id': { path: (f) => `/api/apps/${f.user.appId}`, expect: OWNED },
  'GET /api/apps/:id/keys': { path: (f) => `/api/apps/${f.user.appId}/keys`, expect: OWNED },
  'POST /api/apps/:id/keys': { path: (f) => `/api/apps/${f.user.appId}/keys`, body: () => ({ name: 'second' }), expect: OWNED },
  'GET /api/keys': { expect: SIGNED_IN },
  'GET /api/keys/:id': { path: (f) => `/api/keys/${f.user.keyId}`, expect: OWNED },
  'PATCH /api/keys/:id': { path: (f) => `/api/keys/${f.user.keyId}`, body: () => ({ name: 'renamed' }), expect: OWNED },
  'POST /api/keys/:id/revoke': { path: (f) => `/api/keys/${f.user.keyId}/revoke`, expect: OWNED },
  'GET /api/logs': { expect: KEYED },
  'GET /api/models': { expect: KEYED },
  'GET /api/billing/account': { expect: KEYED },
  'GET /api/billing/ledger': { expect: SIGNED_IN },
  'GET /api/billing/usage': { expect: KEYED },
  'PUT /api/billing/low-balance': { body: () => ({ threshold: 10 }), expect: SIGNED_IN },
  'POST /api/billing/redeem': { body: (f, role) => ({ code: f.codes[role] }), expect: KEYED },
  // The welcome step after sign-up: the users made by sign-up have it to do (once each); the admin
  // was never offered it, so submitting or skipping is refused as already done (409).
  'GET /api/onboarding': { expect: SIGNED_IN },
  // The first user made its App by hand, which ended its welcome step (skipped): refused as done.
  'POST /api/onboarding': { body: () => ({ services: [] }), expect: { ...SIGNED_IN, admin: 409, user: 409 } },
  'POST /api/onboarding/skip': { expect: { ...SIGNED_IN, admin: 409, user: 409 } },

  // Administration.
  'GET /api/admin/logs': { expect: ADMIN },
  'GET /api/admin/audit': { expect: ADMIN },
  'GET /api/admin/users': { expect: ADMIN },
  'POST /api/admin/users': { body: () => ({ email: `n-${fresh()}@test.local`, password: strongPassword() }), expect: ADMIN },
  'GET /api/admin/users/:id': { path: (f) => `/api/admin/users/${f.user.id}`, expect: ADMIN },
  'PATCH /api/admin/users/:id': { path: (f) => `/api/admin/users/${f.user.id}`, body: () => ({ group: 'vip' }), expect: ADMIN },
  'POST /api/admin/users/:id/credit': { path: (f) => `/api/admin/users/${f.user.id}/credit`, body: () => ({ amount: 1, reason: 'matrix' }), expect: ADMIN },
  // Deletes the second user (who has had their turn by then: the admin asks after them).
  'DELETE /api/admin/users/:id': { path: (f) => `/api/admin/users/${f.other.id}`, expect: ADMIN },
  'POST /api/admin/users/:id/two-factor/reset': { path: (f) => `/api/admin/users/${f.user.id}/two-factor/reset`, expect: ADMIN },
  'PUT /api/admin/users/:id/limits': { path: (f) => `/api/admin/users/${f.user.id}/limits`, body: () => ({ rpm: 100 }), expect: ADMIN },
  'GET /api/admin/providers': { expect: ADMIN },
  'GET /api/admin/prices': { expect: ADMIN },
  'PUT /api/admin/prices/:model': { path: (f) => `/api/admin/prices/${f.model}`, body: () => ({ input: 1, output: 2 }), expect: ADMIN },
  'DELETE /api/admin/prices/:model': { path: (f) => `/api/admin/prices/${f.model}`, expect: ADMIN },
  'GET /api/admin/groups': { expect: ADMIN },
  'PUT /api/admin/groups/:name': { path: (f) => `/api/admin/groups/${f.group}`, body: () => ({ multiplier: 1.5 }), expect: ADMIN },
  'GET /api/admin/channels': { expect: ADMIN },
  'POST /api/admin/channels': { body: (f) => ({ provider: 'openai-compatible', name: `m-${fresh()}`, baseUrl: 'http://127.0.0.1:9/v1', secret: 'sk-matrix-secret-000000', models: [f.model] }), expect: ADMIN },
  'GET /api/admin/channels/health': { expect: ADMIN },
  'GET /api/admin/channels/:id': { path: (f) => `/api/admin/channels/${f.channelId}`, expect: ADMIN },
  'PATCH /api/admin/channels/:id': { path: (f) => `/api/admin/channels/${f.channelId}`, body: () => ({ weight: 2 }), expect: ADMIN },
  'DELETE /api/admin/channels/:id': { path: (f) => `/api/admin/channels/${f.channelId}`, expect: ADMIN },
  'POST /api/admin/channels/:id/disable': { path: (f) => `/api/admin/channels/${f.channelId}/disable`, expect: ADMIN },
  'POST /api/admin/channels/:id/enable': { path: (f) => `/api/admin/channels/${f.channelId}/enable`, expect: ADMIN },
  'GET /api/admin/channels/:id/events': { path: (f) => `/api/admin/channels/${f.channelId}/events`, expect: ADMIN },
  'POST /api/admin/channels/models': { body: (f) => ({ channelId: f.channelId }), expect: ADMIN },
  'GET /api/admin/overview': { expect: ADMIN },
  'POST /api/admin/channels/:id/test': { path: (f) => `/api/admin/channels/${f.channelId}/test`, body: () => ({}), expect: ADMIN },
  'POST /api/admin/health/check': { expect: ADMIN },
  'GET /api/admin/codes': { expect: ADMIN },
  'POST /api/admin/codes': { body: () => ({ count: 1, value: 1 }), expect: ADMIN },
  'GET /api/admin/settings': { expect: ADMIN },
  'PUT /api/admin/settings': { body: () => ({ lowBalanceDefault: 0 }), expect: ADMIN },
  'GET /api/admin/billing/check': { expect: ADMIN },

  // Online recharge. Provider callbacks are public (they authenticate by signature): unsigned, refused.
  'GET /api/recharge/options': { expect: SIGNED_IN },
  'POST /api/recharge/orders': { body: () => ({ provider: 'epay', amount: '1' }), expect: SIGNED_IN },
  'GET /api/recharge/orders': { expect: SIGNED_IN },
  'GET /api/recharge/orders/:id': { path: (f) => `/api/recharge/orders/${f.orderId}`, expect: OWNED },
  // Asking the provider: this gateway's EPay is unreachable, so past the authorization the ask fails (502).
  'POST /api/recharge/orders/:id/check': { path: (f) => `/api/recharge/orders/${f.orderId}/check`, expect: { ...OWNED, user: 502 } },
  'GET /api/payments/:provider/notify': { path: () => '/api/payments/epay/notify', expect: all(400) },
  'POST /api/payments/:provider/notify': { path: () => '/api/payments/epay/notify', expect: all(400) },
  'GET /api/admin/topups': { expect: ADMIN },
  // The order is unpaid: the admin's refund is refused as such, after the permission check.
  'POST /api/admin/topups/:id/refund': { path: (f) => `/api/admin/topups/${f.orderId}/refund`, body: () => ({ reason: 'matrix' }), expect: { ...ADMIN, admin: 409 } },
  'POST /api/admin/topups/:id/check': { path: (f) => `/api/admin/topups/${f.orderId}/check`, expect: { ...ADMIN, admin: 502 } },
  'POST /api/admin/topups/:id/complete': { path: (f) => `/api/admin/topups/${f.orderId}/complete`, body: () => ({ reason: 'matrix' }), expect: ADMIN },
  'GET /api/admin/topup-packs': { expect: ADMIN },
  'POST /api/admin/topup-packs': { body: () => ({ name: 'matrix', points: 10 }), expect: ADMIN },
  'PATCH /api/admin/topup-packs/:id': { path: (f) => `/api/admin/topup-packs/${f.packId}`, body: () => ({ bonus: 1 }), expect: ADMIN },
  'DELETE /api/admin/topup-packs/:id': { path: (f) => `/api/admin/topup-packs/${f.packId}`, expect: ADMIN },
  // Content safety (issue 15).
  'GET /api/admin/safety/rules': { expect: ADMIN },
  'POST /api/admin/safety/rules': { body: () => ({ name: `r-${fresh()}`, words: ['matrixword'], action: 'flag' }), expect: ADMIN },
  'GET /api/admin/safety/rules/:id': { path: (f) => `/api/admin/safety/rules/${f.safetyRuleId}`, expect: ADMIN },
  'PATCH /api/admin/safety/rules/:id': { path: (f) => `/api/admin/safety/rules/${f.safetyRuleId}`, body: () => ({ enabled: false }), expect: ADMIN },
  'DELETE /api/admin/safety/rules/:id': { path: (f) => `/api/admin/safety/rules/${f.safetyRuleId}`, expect: ADMIN },
  'POST /api/admin/safety/rules/:id/import': { path: (f) => `/api/admin/safety/rules/${f.safetyRuleId}/import`, body: () => ({ text: 'one\ntwo\n' }), expect: ADMIN },
  'POST /api/admin/safety/test': { body: () => ({ text: 'a matrixword here' }), expect: ADMIN },
  'GET /api/admin/safety/decisions': { expect: ADMIN },
  // Support tickets (issue 18): a user's own; admins answer through their own routes.
  'GET /api/support/tickets': { expect: SIGNED_IN },
  'POST /api/support/tickets': { body: () => ({ subject: 'matrix', body: 'help' }), expect: SIGNED_IN },
  'GET /api/support/tickets/:id': { path: (f) => `/api/support/tickets/${f.ticketId}`, expect: OWNED },
  'POST /api/support/tickets/:id/replies': { path: (f) => `/api/support/tickets/${f.ticketId}/replies`, body: () => ({ body: 'more' }), expect: OWNED },
  'POST /api/support/tickets/:id/close': { path: (f) => `/api/support/tickets/${f.ticketId}/close`, expect: OWNED },
  'GET /api/support/unread': { expect: SIGNED_IN },
  'GET /api/admin/support/tickets': { expect: ADMIN },
  'GET /api/admin/support/tickets/:id': { path: (f) => `/api/admin/support/tickets/${f.ticketId}`, expect: ADMIN },
  'POST /api/admin/support/tickets/:id/replies': { path: (f) => `/api/admin/support/tickets/${f.ticketId}/replies`, body: () => ({ body: 'answer' }), expect: ADMIN },
  'POST /api/admin/support/tickets/:id/close': { path: (f) => `/api/admin/support/tickets/${f.ticketId}/close`, expect: ADMIN },
  'GET /api/admin/support/unread': { expect: ADMIN },
  // Announcements: every signed-in user reads and dismisses the published ones; admins write them.
  'GET /api/announcements': { expect: SIGNED_IN },
  'POST /api/announcements/:id/dismiss': { path: (f) => `/api/announcements/${f.announcementId}/dismiss`, expect: SIGNED_IN },
  'GET /api/admin/announcements': { expect: ADMIN },
  'POST /api/admin/announcements': { body: () => ({ titleEn: 'T', titleZh: '标题', bodyEn: 'B', bodyZh: '正文' }), expect: ADMIN },
  'PATCH /api/admin/announcements/:id': { path: (f) => `/api/admin/announcements/${f.announcementId}`, body: () => ({ published: false }), expect: ADMIN },
  'DELETE /api/admin/announcements/:id': { path: (f) => `/api/admin/announcements/${f.announcementId}`, expect: ADMIN },
  // Invitation rewards.
  'GET /api/referral': { expect: SIGNED_IN },
  'GET /api/admin/referrals': { expect: ADMIN },
  'GET /api/admin/referrals/policy': { expect: ADMIN },
  'PUT /api/admin/referrals/policy': { body: () => ({ enabled: false }), expect: ADMIN },
  'GET /api/admin/safety/policies': { expect: ADMIN },
  'PUT /api/admin/safety/policies': { body: (f) => ({ scope: 'group', target: f.group, ruleIds: [f.safetyRuleId] }), expect: ADMIN },
  'DELETE /api/admin/safety/policies/:id': { path: (f) => `/api/admin/safety/policies/${f.safetyPolicyId}`, expect: ADMIN },
  // Privacy protection (issue 15): policies, the content log, the account's own data.
  'GET /api/admin/privacy/policies': { expect: ADMIN },
  'PUT /api/admin/privacy/policies/:scope/:target': { path: (f) => `/api/admin/privacy/policies/group/${f.group}`, body: () => ({ contentLogging: false }), expect: ADMIN },
  'DELETE /api/admin/privacy/policies/:scope/:target': { path: (f) => `/api/admin/privacy/policies/group/${f.group}`, expect: ADMIN },
  'POST /api/admin/privacy/preview': { body: () => ({ text: 'mail a@b.co', kinds: ['email'] }), expect: ADMIN },
  'POST /api/admin/privacy/purge': { expect: ADMIN },
  'GET /api/admin/logs/:id/content': { path: (f) => `/api/admin/logs/${f.contentId}/content`, expect: ADMIN },
  'GET /api/logs/:id/content': { path: (f) => `/api/logs/${f.contentId}/content`, expect: OWNED },
  'GET /api/account/export': { expect: SIGNED_IN },
  // Each user deletes their own account; an administrator's account cannot delete itself.
  'POST /api/account/delete': { body: () => ({ password: PASSWORD }), expect: { anonymous: 401, other: 200, admin: 403, key: 403, user: 200 } },
};

describe('authorization of every management route', () => {
  let t: TestGateway;
  let routes: string[];

  beforeAll(async () => {
    // EPay configured (its orders are signed links; nothing is sent to it) so recharge orders can be
    // made, and mail on (to a closed port: mails are sent in the background and none arrives) so the
    // mail routes are open.
    t = await startTestGateway({ config: { epayUrl: 'http://127.0.0.1:9', epayPid: '1001', epayKey: 'matrix-epay-key', smtpUrl: 'smtp://127.0.0.1:9' } });
    routes = routeTable(t.gw.app).filter((r) => r.split(' ')[1].startsWith('/api/'));
  });
  afterAll(() => t?.close());

  async function login(email: string, password: string): Promise<string> {
    const res = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
    return (res.headers.get('set-cookie') ?? '').split(';')[0];
  }

  async function fixture(): Promise<Fixture> {
    const u = await t.signup(undefined, PASSWORD);
    const app = await t.api<{ app: { id: string }; key: { key: string; record: { id: string } } }>('POST', '/api/apps', { name: 'matrix' }, { cookie: u.cookie });
    const other = await t.signup(undefined, PASSWORD);
    const root = { token: t.rootToken };
    const model = `matrix-${fresh()}`;
    const group = `g-${fresh()}`;
    await t.api('PUT', `/api/admin/prices/${model}`, { input: 1, output: 1 }, root);
    const channel = await t.api<{ channel: { id: string } }>('POST', '/api/admin/channels', { provider: 'openai-compatible', name: `sim-${fresh()}`, baseUrl: `${t.sim.url}/v1`, models: [model], secret: 'sk-matrix-channel-0000000' }, root);
    const codes = await t.api<{ items: { code: string }[] }>('POST', '/api/admin/codes', { count: 5, value: 1 }, root);
    const [a, b, c, d, e] = codes.body.items.map((i) => i.code);
    const order = await t.api<{ id: string }>('POST', '/api/recharge/orders', { provider: 'epay', amount: '1' }, { cookie: u.cookie });
    const pack = await t.api<{ id: string }>('POST', '/api/admin/topup-packs', { name: `p-${fresh()}`, points: 10 }, root);
    const rule = await t.api<{ id: string }>('POST', '/api/admin/safety/rules', { name: `r-${fresh()}`, words: ['matrixword'], action: 'flag' }, root);
    const ticket = await t.api<{ id: string }>('POST', '/api/support/tickets', { subject: 'matrix', body: 'help' }, { cookie: u.cookie });
    const announcement = await t.api<{ id: string }>('POST', '/api/admin/announcements', { titleEn: 'T', titleZh: '标题', bodyEn: 'B', bodyZh: '正文', published: true }, root);
    const policy = await t.api<{ id: string }>('PUT', '/api/admin/safety/policies', { scope: 'group', target: group }, root);
    await t.api('PUT', `/api/admin/privacy/policies/group/${group}`, { contentLogging: true, retentionDays: 1 }, root);
    const contentId = `req_matrix${fresh()}`;
    const now = Date.now();
    t.gw.services.privacy.contents.write({ requestId: contentId, userId: u.user.id, appId: app.body.app.id, createdAt: now, expiresAt: now + 86_400_000, request: '{}', response: '{}' });
    await t.gw.services.privacy.contents.flush();
    return {
      user: { id: u.user.id, email: u.user.email, cookie: u.cookie, appId: app.body.app.id, keyId: app.body.key.record.id, key: app.body.key.key },
      other: { id: other.user.id, cookie: other.cookie },
      admin: { cookie: await login(t.admin.email, t.admin.password) },
      channelId: channel.body.channel.id,
      model,
      group,
      codes: { anonymous: a, other: b, admin: c, user: d, key: e },
      orderId: order.body.id,
      packId: pack.body.id,
      safetyRuleId: rule.body.id,
      ticketId: ticket.body.id,
      announcementId: announcement.body.id,
      safetyPolicyId: policy.body.id,
      contentId,
    };
  }

  it('every management route has a row, and every row a route', () => {
    expect(routes.length).toBeGreaterThan(50);
    expect(routes.filter((r) => !(r in MATRIX)), 'routes without a row in MATRIX').toEqual([]);
    expect(Object.keys(MATRIX).filter((r) => !routes.includes(r)), 'rows without a route').toEqual([]);
  });

  it.each(Object.keys(MATRIX))('%s', async (route) => {
    const row = MATRIX[route];
    const [method, routePath] = route.split(' ');
    const f = await fixture();
    const auth: Record<Role, Record<string, string>> = { anonymous: {}, user: { cookie: f.user.cookie }, other: { cookie: f.other.cookie }, admin: { cookie: f.admin.cookie }, key: { authorization: `Bearer ${f.user.key}` } };
    const got = {} as Record<Role, number>;
    for (const role of ROLES) {
      const body = row.body?.(f, role);
      const headers: Record<string, string> = { ...auth[role] };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(t.url + (row.path ? row.path(f) : routePath), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
      await res.arrayBuffer();
      got[role] = res.status;
    }
    expect(got).toEqual(row.expect);
  });
});

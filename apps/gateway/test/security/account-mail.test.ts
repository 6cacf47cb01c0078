import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_KINDS, startTestGateway, type DbKind, type TestGateway } from '../harness.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../smtp-sink.js';
import { eventually } from '../eventually.js';
import { createLogger } from '../../src/core/logger.js';

/**
 * Account mail against a real SMTP server started here (STARTTLS and a login, as a mail provider
 * asks): confirming the address before the trial credit, password reset by a single-use link, the
 * same answer for unknown addresses, the brakes on mail requests. Links are read from the mails the
 * server received and followed as a browser would (the console page posts the token).
 */
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

const PASSWORD = 'plum-orbit-cactus-7';
const NEW_PASSWORD = 'copper-lantern-42';
const TRIAL_P = 1234;

async function withMail(config: Record<string, unknown> = {}, db: DbKind = 'sqlite') {
  const smtp = await startSmtpSink();
  open.push(smtp);
  const t = await startTestGateway({ db, config: { smtpUrl: smtp.url, mailFrom: 'APIGPT <no-reply@apigpt.test>', trialCredit: TRIAL_P, ...config } });
  open.push(t);
  return { t, smtp };
}

async function post(t: TestGateway, path: string, body: unknown, cookie?: string) {
  const res = await fetch(t.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0], retryAfter: res.headers.get('retry-after') };
}

const signup = (t: TestGateway, email: string, password = PASSWORD, extra: Record<string, unknown> = {}) => post(t, '/api/auth/signup', { email, password, ...extra });
const login = (t: TestGateway, email: string, password: string) => post(t, '/api/auth/login', { email, password });
const balance = async (t: TestGateway, cookie: string) => (await t.api<{ balance: number }>('GET', '/api/billing/account', undefined, { cookie })).body.balance;
const me = (t: TestGateway, cookie: string) => t.api<{ user: Record<string, unknown> }>('GET', '/api/auth/me', undefined, { cookie });

/** Waits for the n-th mail to an address and returns it. */
async function mailTo(smtp: SmtpSink, address: string, n = 1): Promise<ReceivedMail> {
  let mail: ReceivedMail | undefined;
  await eventually(() => {
    mail = smtp.to(address)[n - 1];
    expect(mail).toBeDefined();
  });
  return mail!;
}

/** The one link of a mail, as the reader sees it in the plain-text part. */
function linkIn(mail: ReceivedMail): URL {
  const links = [...new Set(mail.text.match(/https?:\/\/\S+/g) ?? [])];
  expect(links).toHaveLength(1);
  return new URL(links[0]);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('email confirmation before the trial credit (mail on)', () => {
  it('sign-up grants nothing until the mailed link is followed; then the trial credit, once', async () => {
    const { t, smtp } = await withMail();
    const email = 'new.user@test.local';
    const s = await signup(t, email, PASSWORD, { locale: 'en' });
    expect(s.status).toBe(200);
    expect(s.body.user).toMatchObject({ email, email_pending: 1, email_verified_at: null });
    expect(await balance(t, s.cookie)).toBe(0);

    const mail = await mailTo(smtp, email);
    expect(mail.from).toBe('no-reply@apigpt.test');
    // Both languages, the one asked for first.
    expect(mail.subject).toBe('Confirm your email address / 确认你的邮箱 · APIGPT');
    expect(mail.text.indexOf('Follow the link below')).toBeLessThan(mail.text.indexOf('请点击下面的链接'));
    expect(mail.html).toContain('确认邮箱');
    const link = linkIn(mail);
    expect(link.origin).toBe(t.url);
    expect(link.pathname).toBe('/verify-email');
    const token = link.searchParams.get('token')!;
    // Only the token's hash is stored.
    const rows = await t.gw.services.db.selectFrom('account_tokens').selectAll().execute();
    expect(rows.map((r) => r.token_hash)).toEqual([sha256(token)]);
    expect(JSON.stringify(rows)).not.toContain(token);

    // Followed from a browser that is not logged in.
    expect(await post(t, '/api/auth/verify-email', { token })).toMatchObject({ status: 200, body: { ok: true, opened: true } });
    expect(await balance(t, s.cookie)).toBe(TRIAL_P);
    const after = (await me(t, s.cookie)).body.user;
    expect(after.email_pending).toBe(0);
    expect(typeof after.email_verified_at).toBe('number');

    const again = await post(t, '/api/auth/verify-email', { token });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('verify_link_invalid');
    expect(await balance(t, s.cookie)).toBe(TRIAL_P);
  });

  it.each(DB_KINDS)('%s: the same link followed five times at once opens the account once', async (db) => {
    const { t, smtp } = await withMail({}, db);
    const email = `race-${db}@test.local`;
    const s = await signup(t, email);
    const token = linkIn(await mailTo(smtp, email)).searchParams.get('token')!;
    const results = await Promise.all(Array.from({ length: 5 }, () => post(t, '/api/auth/verify-email', { token })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400]);
    expect(await balance(t, s.cookie)).toBe(TRIAL_P);
    const trials = await t.gw.services.db.selectFrom('ledger').select('kind').where('user_id', '=', s.body.user.id).where('kind', '=', 'trial').execute();
    expect(trials).toHaveLength(1);
  });

  it('a new link can be asked for from the console session; the mail leads with Chinese when asked in Chinese', async () => {
    const { t, smtp } = await withMail();
    const email = 'resend@test.local';
    const s = await signup(t, email);
    await mailTo(smtp, email);
    const r = await post(t, '/api/auth/verify-email/resend', { locale: 'zh-CN' }, s.cookie);
    expect(r.status).toBe(200);
    const second = await mailTo(smtp, email, 2);
    expect(second.subject).toBe('确认你的邮箱 / Confirm your email address · APIGPT');
    expect((await post(t, '/api/auth/verify-email', { token: linkIn(second).searchParams.get('token') })).status).toBe(200);
    const done = await post(t, '/api/auth/verify-email/resend', {}, s.cookie);
    expect(done.status).toBe(400);
    expect(done.body.error.code).toBe('email_confirmed');
  });

  it('accounts an admin makes are open at once, mail or not', async () => {
    const { t, smtp } = await withMail();
    const r = await t.api('POST', '/api/admin/users', { email: 'made@test.local', password: PASSWORD }, { token: t.rootToken });
    expect(r.status).toBe(200);
    expect(r.body.user.email_pending).toBe(0);
    const l = await login(t, 'made@test.local', PASSWORD);
    expect(await balance(t, l.cookie)).toBe(TRIAL_P);
    expect(smtp.to('made@test.local')).toHaveLength(0);
  });
});

describe('mail off (no SMTP server configured)', () => {
  it('sign-up grants the trial credit at once, and there is no reset by mail', async () => {
    const t = await startTestGateway({ config: { trialCredit: TRIAL_P } });
    open.push(t);
    expect((await t.api('GET', '/api/config')).body.mail).toBe(false);
    const s = await signup(t, 'plain@test.local');
    expect(s.body.user.email_pending).toBe(0);
    expect(await balance(t, s.cookie)).toBe(TRIAL_P);
    const r = await post(t, '/api/auth/password-reset', { email: 'plain@test.local' });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('mail_off');
  });
});

describe('password reset by mail', () => {
  it('the link sets a new password once: every session ends, the old password stops working, this browser is logged in', async () => {
    const { t, smtp } = await withMail();
    expect((await t.api('GET', '/api/config')).body.mail).toBe(true);
    const email = 'forgetful@test.local';
    const first = await signup(t, email);
    await mailTo(smtp, email); // the confirmation
    const other = await login(t, email, PASSWORD);

    const asked = await post(t, '/api/auth/password-reset', { email: 'Forgetful@Test.local', locale: 'en' });
    expect(asked).toMatchObject({ status: 200, body: { ok: true } });
    const mail = await mailTo(smtp, email, 2);
    expect(mail.subject).toBe('Reset your password / 重置密码 · APIGPT');
    const link = linkIn(mail);
    expect(link.origin).toBe(t.url);
    expect(link.pathname).toBe('/reset-password');
    const token = link.searchParams.get('token')!;

    // A weak password is refused and does not use the link up.
    const weak = await post(t, '/api/auth/password-reset/confirm', { token, newPassword: '12345678' });
    expect(weak.status).toBe(400);
    expect(weak.body.error).toMatchObject({ code: 'weak_password', param: 'newPassword' });

    const done = await post(t, '/api/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD });
    expect(done.status).toBe(200);
    expect(done.body.user.email).toBe(email);
    expect(done.cookie).toMatch(/^apigpt_session=./);
    expect((await me(t, done.cookie)).status).toBe(200);
    for (const c of [first.cookie, other.cookie]) expect((await me(t, c)).status).toBe(401);
    expect((await login(t, email, PASSWORD)).status).toBe(401);
    expect((await login(t, email, NEW_PASSWORD)).status).toBe(200);

    const reused = await post(t, '/api/auth/password-reset/confirm', { token, newPassword: 'tortoise-velvet-9' });
    expect(reused.status).toBe(400);
    expect(reused.body.error.code).toBe('reset_link_invalid');
    // The link proved the address: the account that waited for it is open.
    expect(await balance(t, done.cookie)).toBe(TRIAL_P);
  });

  it('an unknown address gets the same answer and no mail', async () => {
    const { t, smtp } = await withMail();
    const known = 'known@test.local';
    await signup(t, known);
    await mailTo(smtp, known);
    const unknown = await post(t, '/api/auth/password-reset', { email: 'nobody@test.local' });
    const real = await post(t, '/api/auth/password-reset', { email: known });
    expect(unknown.status).toBe(real.status);
    expect(unknown.body).toEqual(real.body);
    // Both requests' background work (look-up, link, mail) is over: one reset mail, to the known address.
    await t.gw.services.mailer!.idle();
    await mailTo(smtp, known, 2);
    expect(smtp.to('nobody@test.local')).toHaveLength(0);
    expect(smtp.mails).toHaveLength(2);
    expect(await t.gw.services.db.selectFrom('account_tokens').select('purpose').where('purpose', '=', 'reset_password').execute()).toHaveLength(1);
  });

  it('only the newest link works, and a link past its hour is refused', async () => {
    const { t, smtp } = await withMail();
    const email = 'twice@test.local';
    await signup(t, email);
    await mailTo(smtp, email);
    await post(t, '/api/auth/password-reset', { email });
    const older = linkIn(await mailTo(smtp, email, 2)).searchParams.get('token')!;
    await post(t, '/api/auth/password-reset', { email });
    const newer = linkIn(await mailTo(smtp, email, 3)).searchParams.get('token')!;
    expect((await post(t, '/api/auth/password-reset/confirm', { token: older, newPassword: NEW_PASSWORD })).body.error.code).toBe('reset_link_invalid');
    // The link's row as it is an hour and a second after the mail.
    await t.gw.services.db.updateTable('account_tokens').set({ expires_at: Date.now() - 1000 }).where('token_hash', '=', sha256(newer)).execute();
    expect((await post(t, '/api/auth/password-reset/confirm', { token: newer, newPassword: NEW_PASSWORD })).body.error.code).toBe('reset_link_invalid');
    expect((await login(t, email, PASSWORD)).status).toBe(200);
  });

  it('links point at the gateway, never at the Host header a request names', async () => {
    const { t, smtp } = await withMail();
    const email = 'victim@test.local';
    await signup(t, email);
    await mailTo(smtp, email);
    const status = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ email });
      const req = httpRequest(`${t.url}/api/auth/password-reset`, { method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    expect(linkIn(await mailTo(smtp, email, 2)).origin).toBe(t.url);
  });

  it('reset requests are limited per address and per client, the same for unknown addresses', async () => {
    const { t } = await withMail({ mailsPerAccountHour: 2 });
    for (const email of ['a@test.local', 'nobody@test.local']) {
      for (let i = 0; i < 2; i++) expect((await post(t, '/api/auth/password-reset', { email })).status).toBe(200);
      const third = await post(t, '/api/auth/password-reset', { email });
      expect(third.status).toBe(429);
      expect(third.body.error.code).toBe('mail_rate_limited');
      expect(third.body.error.message).toMatch(/^Too many mails were asked for this email address\. Try again in \d+ seconds\.$/);
      expect(Number(third.retryAfter)).toBeGreaterThan(0);
    }
    // One client may ask for four times an address's allowance (8) over all addresses; the six above count, refused or not.
    for (let i = 0; i < 2; i++) expect((await post(t, '/api/auth/password-reset', { email: `other${i}@test.local` })).status).toBe(200);
    const over = await post(t, '/api/auth/password-reset', { email: 'other9@test.local' });
    expect(over.status).toBe(429);
    expect(over.body.error.message).toMatch(/your address/);
  });

  it('a reset clears the log-in lock someone piled on the account', async () => {
    const { t, smtp } = await withMail({ loginLockMs: 600_000 });
    const email = 'locked@test.local';
    await signup(t, email);
    await mailTo(smtp, email);
    for (let i = 0; i < 5; i++) await login(t, email, 'wrong-password');
    expect((await login(t, email, PASSWORD)).status).toBe(429);
    await post(t, '/api/auth/password-reset', { email });
    const token = linkIn(await mailTo(smtp, email, 2)).searchParams.get('token')!;
    expect((await post(t, '/api/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD })).status).toBe(200);
    expect((await login(t, email, NEW_PASSWORD)).status).toBe(200);
  });

  it('with revokeKeys the reset also revokes every API key of the account', async () => {
    const { t, smtp } = await withMail();
    const email = 'leaked@test.local';
    const s = await signup(t, email);
    await mailTo(smtp, email);
    const app = await t.api<{ key: { key: string } }>('POST', '/api/apps', { name: 'bot' }, { cookie: s.cookie });
    const key = app.body.key.key;
    const models = () => fetch(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    expect(await models()).toBe(200);
    await post(t, '/api/auth/password-reset', { email });
    const token = linkIn(await mailTo(smtp, email, 2)).searchParams.get('token')!;
    const r = await post(t, '/api/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD, revokeKeys: true });
    expect(r.body.revokedKeys).toBe(1);
    expect(await models()).toBe(401);
  });

  it('a mail server that cannot be reached costs the asker nothing: the same answer, the failure logged without the SMTP password', async () => {
    const lines: string[] = [];
    const smtp = await startSmtpSink();
    const url = smtp.url;
    await smtp.close(); // nothing listens there any more
    const t = await startTestGateway({ config: { smtpUrl: url }, start: { log: createLogger('error', (l) => lines.push(l)) } });
    open.push(t);
    // Sign-up makes the account even though its confirmation mail cannot leave.
    const s = await signup(t, 'offline@test.local');
    expect(s.status).toBe(200);
    expect((await post(t, '/api/auth/password-reset', { email: 'offline@test.local' })).status).toBe(200);
    await eventually(() => expect(lines.filter((l) => l.includes('mail: could not send an account mail'))).toHaveLength(2));
    expect(lines.join('\n')).not.toContain(smtp.pass);
  });

  it('a wrong SMTP password delivers nothing and is logged', async () => {
    const lines: string[] = [];
    const smtp = await startSmtpSink();
    open.push(smtp);
    const t = await startTestGateway({ config: { smtpUrl: smtp.url.replace(encodeURIComponent(smtp.pass), 'not-the-password') }, start: { log: createLogger('error', (l) => lines.push(l)) } });
    open.push(t);
    await signup(t, 'nomail@test.local');
    await eventually(() => expect(lines.some((l) => l.includes('mail: could not send an account mail'))).toBe(true));
    expect(smtp.authFailures).toBeGreaterThan(0);
    expect(smtp.mails).toHaveLength(0);
  });
});

/**
 * Support, invitations and announcements in headless Chromium against a real gateway: a ticket
 * opened from a failed call of the request log with one click, answered by an admin on the support
 * desk, the reply seen by the user (badge, thread); an invitation link followed to sign up, the
 * invited account's first payment on the EPay simulator crediting both sides; an announcement
 * written on the admin page and shown on dashboards in English and Chinese, dismissed for one user.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { balance, startPaySim, type PaySim } from '../payments/helpers.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';

/** Polls until the expectation holds: pages on a busy machine take their time (no fixed waits). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 60_000, interval: 100 });

describe('support, invitations and announcements in the console', { timeout: 300_000 }, () => {
  let pay: PaySim;
  let t: TestGateway;
  let browser: Browser;
  let adminCookie: string;

  beforeAll(async () => {
    ensureConsoleBuilt();
    pay = await startPaySim();
    t = await startTestGateway({ start: { consoleDir: CONSOLE_DIST }, config: pay.config });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const res = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(t.admin) });
    adminCookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await pay?.sim.close();
  });

  async function signedIn(cookie: string | null, locale: string): Promise<Page> {
    const ctx = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
    if (cookie) {
      const [name, value] = cookie.split('=');
      await ctx.addCookies([{ name, value, url: t.url }]);
    }
    const page = await ctx.newPage();
    // The machine running the suite may be busy: a page is given time to load, never a fixed wait.
    page.setDefaultTimeout(60_000);
    return page;
  }

  it('a failed call → "Ask for help" → the admin answers on the support desk → the user sees the reply', async () => {
    const u = await t.newUserWithKey();
    const failed = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${u.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(failed.status).toBe(404);
    await t.flushLogs();
    const requestId = (await t.api<{ items: { id: string }[] }>('GET', '/api/logs?status=error&limit=1', undefined, { cookie: u.cookie })).body.items[0].id;

    const user = await signedIn(u.cookie, 'en-US');
    await user.goto(`${t.url}/usage`);
    await user.getByTestId(`ask-help-${requestId}`).click();
    await user.waitForURL((url) => url.pathname === '/support');
    await poll(() => user.getByTestId('ticket-attached').innerText()).toContain(requestId);
    expect(await user.getByLabel('Subject').inputValue()).toBe('A call failed: no-such-model');
    await user.getByLabel('Message').fill('The call says the model does not exist. Which one should I use?');
    await user.getByRole('button', { name: 'Send' }).click();
    await user.waitForURL((url) => /^\/support\/tkt_/.test(url.pathname));
    const ticketId = new URL(user.url()).pathname.split('/').pop()!;
    await poll(() => user.getByTestId('ticket-status').innerText()).toBe('Waiting for support');

    const admin = await signedIn(adminCookie, 'en-US');
    await admin.goto(`${t.url}/admin/support`);
    await poll(() => admin.getByTestId('support-unread-admin').textContent()).toBe('1');
    await admin.getByTestId(`desk-link-${ticketId}`).click();
    await poll(() => admin.getByTestId('ticket-request').innerText()).toContain('no-such-model');
    expect(await admin.getByTestId('ticket-request').innerText()).toContain('HTTP 404');
    await admin.getByLabel('Reply').fill('Use gpt-4o-mini: it is served here.');
    await admin.getByRole('button', { name: 'Reply' }).click();
    await poll(() => admin.getByTestId('ticket-status').innerText()).toBe('Answered');
    await admin.screenshot({ path: '/tmp/h18b-admin-ticket.png', fullPage: true });

    // The user's menu shows the unread reply; the thread shows it.
    await user.goto(`${t.url}/`);
    await poll(() => user.getByTestId('support-unread').textContent()).toBe('1');
    await user.goto(`${t.url}/support`);
    await user.getByTestId(`ticket-link-${ticketId}`).click();
    await poll(() => user.getByTestId('ticket-message-admin').innerText()).toContain('Use gpt-4o-mini: it is served here.');
    await poll(() => user.getByTestId('ticket-status').innerText()).toBe('Answered');
    await user.screenshot({ path: '/tmp/h18b-user-ticket.png', fullPage: true });
    await user.context().close();
    await admin.context().close();
  });

  it('an invitation link → sign-up → first payment on the EPay cashier page → both sides credited once', async () => {
    expect((await t.api('PUT', '/api/admin/referrals/policy', { enabled: true, inviterReward: 200, inviteeReward: 100, maxRewardsPerInviter: 10 }, { token: t.rootToken })).status).toBe(200);
    const inviter = await t.signup();
    const invPage = await signedIn(inviter.cookie, 'zh-CN');
    await invPage.goto(`${t.url}/invite`);
    await invPage.getByRole('heading', { name: '邀请好友' }).waitFor();
    const link = await invPage.getByTestId('invite-link').inputValue();
    expect(link).toMatch(new RegExp(`^${t.url}/signup\\?ref=[A-Z0-9]{8}$`));
    const inviterBefore = await balance(t, inviter.cookie);

    const guest = await signedIn(null, 'en-US');
    await guest.goto(link);
    await guest.getByTestId('signup-invited').waitFor();
    const email = `invited-${Date.now().toString(36)}@test.local`;
    await guest.getByLabel('Email').fill(email);
    await guest.getByLabel('Password', { exact: true }).fill('harness-password-17');
    await guest.getByLabel('Confirm password').fill('harness-password-17');
    await guest.getByRole('button', { name: 'Sign up' }).click();
    await guest.waitForURL((url) => url.pathname !== '/signup');
    const cookie = (await guest.context().cookies()).map((c) => `${c.name}=${c.value}`).find((c) => c.startsWith('apigpt_session='))!;
    const inviteeBefore = await balance(t, cookie);

    await guest.goto(`${t.url}/recharge`);
    await guest.getByRole('heading', { name: 'Buy credit' }).waitFor();
    await guest.getByLabel('Amount (CNY)').fill('10');
    await guest.getByRole('button', { name: 'Pay 10.00 CNY' }).click();
    await guest.waitForURL((u) => u.href.startsWith(`${pay.sim.url}/submit.php`));
    await guest.getByTestId('sim-pay').click();
    await guest.waitForURL((u) => u.href.startsWith(`${t.url}/recharge?order=`));
    await poll(() => guest.getByTestId('recharge-result').innerText()).toBe('1,400.00 P were added to your balance. Thank you!');

    expect(await balance(t, cookie)).toBe(inviteeBefore + 1400 + 100);
    expect(await balance(t, inviter.cookie)).toBe(inviterBefore + 200);
    await invPage.reload();
    await poll(() => invPage.getByText('累计获得').locator('..').locator('..').innerText()).toContain('200.00 P');
    await invPage.screenshot({ path: '/tmp/h18b-invite.png', fullPage: true });
    await guest.context().close();
    await invPage.context().close();
  });

  it('an announcement written on the admin page shows on dashboards in English and in Chinese; dismissed, it stays gone for that user', async () => {
    const admin = await signedIn(adminCookie, 'en-US');
    await admin.goto(`${t.url}/admin/announcements`);
    await admin.getByRole('button', { name: 'New announcement' }).click();
    await admin.getByLabel('Title (Chinese)').fill('新模型上线');
    await admin.getByLabel('Text (Chinese)').fill('现已支持 gpt-4o-mini。');
    await admin.getByLabel('Title (English)').fill('New model available');
    await admin.getByLabel('Text (English)').fill('gpt-4o-mini is served now.');
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.getByRole('cell', { name: 'New model available' }).waitFor();
    await admin.screenshot({ path: '/tmp/h18b-admin-announcements.png', fullPage: true });

    const u = await t.signup();
    const en = await signedIn(u.cookie, 'en-US');
    await en.goto(`${t.url}/`);
    await poll(() => en.getByTestId('announcement').innerText()).toContain('New model available');
    expect(await en.getByTestId('announcement').innerText()).toContain('gpt-4o-mini is served now.');
    await en.screenshot({ path: '/tmp/h18b-dashboard-en.png' });

    const zh = await signedIn(u.cookie, 'zh-CN');
    await zh.goto(`${t.url}/`);
    await poll(() => zh.getByTestId('announcement').innerText()).toContain('新模型上线');
    expect(await zh.getByTestId('announcement').innerText()).toContain('现已支持 gpt-4o-mini。');
    await zh.screenshot({ path: '/tmp/h18b-dashboard-zh.png' });
    await zh.getByRole('button', { name: '不再显示' }).click();
    await poll(() => zh.getByTestId('announcement').count()).toBe(0);
    // Dismissed on the server: gone after a reload, and in the other language too.
    await poll(async () => (await t.api<{ items: unknown[] }>('GET', '/api/announcements', undefined, { cookie: u.cookie })).body.items.length).toBe(0);
    await en.reload();
    await en.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await en.getByTestId('announcement').count()).toBe(0);
    for (const p of [admin, en, zh]) await p.context().close();
  });
});

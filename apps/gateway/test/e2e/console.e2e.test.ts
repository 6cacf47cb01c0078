/**
 * The console in a real headless Chromium against a real gateway (SQLite, simulator upstream):
 * sign-up to first call, usage with cost, the chat playground streaming, images from a Stable
 * Diffusion channel, an admin's channel and code, a redemption, channel health (a failing upstream
 * rests, is disabled by health and comes back), prices, users, settings, key limits, CSV export and
 * the language switch. Screenshots go to test-artifacts/console/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { DEFAULT_MODELS, startTestGateway, type TestGateway } from '../harness.js';
import { clickUntil, explainFailure } from './browser.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';

const SHOTS = fileURLToPath(new URL('../../../../test-artifacts/console/', import.meta.url));
const DESKTOP = { width: 1366, height: 860 };
const PHONE = { width: 390, height: 844 };
const PASSWORD = 'console-pass-1';
/** expect.poll's default second is too short for a page that renders after a network round trip. */
const poll = <T>(fn: () => Promise<T> | T, timeout = 30_000) => expect.poll(fn, { timeout });

describe('web console (Chromium)', { timeout: 120_000 }, () => {
  let t: TestGateway;
  let browser: Browser;
  let user: BrowserContext;
  let page: Page;
  const email = `e2e-${Date.now().toString(36)}@test.local`;
  let apiKey = '';
  let code = '';
  /** Id of the first call made with the user's key (the CSV export must carry it). */
  let firstCallId = '';
  let adminCtx: BrowserContext | undefined;
  let adminPage: Page | undefined;
  /** A second upstream that fails on demand, for the channel health test. */
  let flaky: Simulator | undefined;
  /** Uncaught exceptions in the app: any one fails the suite at the end. */
  const pageErrors: string[] = [];
  /** The gateway serves the console with a content security policy: anything it blocks is an error too. */
  const watchCsp = (p: Page, who: string) =>
    p.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) pageErrors.push(`${who}CSP: ${m.text()}`);
    });

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestGateway({
      start: { consoleDir: CONSOLE_DIST },
      // Quick circuits, so a failing channel rests and is disabled by health within a test; the rest
      // is long enough for a loaded CI machine to refresh the page and show it (1.5 s was not).
      config: { circuitFailures: 2, autoDisableAfterTrips: 2, circuitCooldownMs: 10_000, healthProbeIntervalMs: 0 },
      channels: (sim) => [
        { provider: 'openai-compatible', name: 'sim', baseUrl: `${sim.url}/v1`, models: DEFAULT_MODELS },
        // A1111 WebUI on the simulator: real PNGs through /v1/images/generations.
        { provider: 'sd-webui', name: 'sd', baseUrl: sim.url, models: ['stable-diffusion-xl'] },
      ],
    });
    const price = await t.api('PUT', '/api/admin/prices/stable-diffusion-xl', { input: 0, output: 0, perImage: 2 }, { token: t.rootToken });
    expect(price.status).toBe(200);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    user = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
    await user.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    page = await user.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${e.message} ${e.stack?.split('\n').slice(1, 12).join(' | ') ?? ''}`));
    watchCsp(page, '');
    // The run's first page is its slowest: Chromium's first navigation and the console bundle's
    // first compile, while the other test files of the run start up on the same cores. It happens
    // here, under the hook's ceiling, not inside the first test's 30 s waits.
    await page.goto(`${t.url}/login`, { timeout: 120_000 });
    await page.getByLabel('Email').waitFor({ timeout: 120_000 });
    page.setDefaultTimeout(30_000);
  }, 180_000);

  // A failed test says where the user's and the admin's pages were and what they showed.
  afterEach(({ task }) => explainFailure(task.result?.state === 'fail', task.name, { user: page, admin: adminPage }, SHOTS));

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await flaky?.close();
  });

  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
  const userCookie = async () => (await user.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');

  /** The admin's own browser context, logged in through the login page once. */
  async function asAdmin(): Promise<Page> {
    if (adminPage) return adminPage;
    adminCtx = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
    const p = await adminCtx.newPage();
    p.setDefaultTimeout(30_000);
    p.on('pageerror', (e) => pageErrors.push(`admin: ${e.message} ${e.stack?.split('\n').slice(1, 12).join(' | ') ?? ''}`));
    watchCsp(p, 'admin: ');
    await p.goto(`${t.url}/login`);
    await p.getByLabel('Email').fill(t.admin.email);
    await p.getByLabel('Password').fill(t.admin.password);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.waitForURL((u) => u.pathname === '/');
    adminPage = p;
    return p;
  }

  it('signs up without approval and shows the trial credit at once', async () => {
    await page.goto(`${t.url}/`);
    await page.waitForURL('**/login');
    await shot(page, 'login-desktop');
    await page.getByRole('link', { name: 'Sign up', exact: true }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill('mismatch-000');
    // Every later test works in this account: a click lost while the form settles is made again
    // (the form is disabled while it sends, so a second click cannot sign up twice).
    const submit = page.getByRole('button', { name: 'Sign up' });
    await clickUntil(page, submit, () => page.getByText('The two passwords differ.').isVisible(), 'sign-up with differing passwords');
    await page.getByLabel('Confirm password').fill(PASSWORD);
    // A new account meets the welcome step first (first-visit-zh.e2e.test.ts covers it): skipped here.
    await clickUntil(page, submit, async () => new URL(page.url()).pathname === '/welcome', 'sign-up');
    await clickUntil(page, page.getByTestId('welcome-skip'), async () => new URL(page.url()).pathname === '/', 'skipping the welcome step');
    const balance = page.getByTestId('balance');
    await poll(() => balance.innerText()).toContain('5,000.00 P');
    await poll(() => page.getByText('of trial credit has been added').isVisible()).toBe(true);
    await shot(page, 'dashboard-new-desktop');
  });

  it('creates an app and reveals its key once, with a working copy button', async () => {
    await page.getByRole('link', { name: 'API Integration', exact: true }).click();
    await page.getByText('No apps yet').waitFor();
    await page.getByRole('button', { name: 'Create app' }).first().click();
    const dialog = page.getByRole('dialog');
    // A click while the dialog is still opening can be lost (one CI run waited 30 s for the message):
    // clicked again until the form answers, as the sign-up form above is.
    await clickUntil(page, dialog.getByRole('button', { name: 'Save' }), () => dialog.getByText('Give the app a name.').isVisible(), 'saving an app without a name');
    await dialog.getByLabel('App name').fill('E2E bot');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const keyInput = page.getByTestId('new-key');
    await keyInput.waitFor();
    apiKey = await keyInput.inputValue();
    expect(apiKey).toMatch(/^sk-[A-Za-z0-9]{48}$/);
    // The snippets carry the real key and this server's URL.
    expect(await page.getByTestId('sample-curl').last().innerText()).toContain(apiKey);
    await shot(page, 'key-reveal-desktop');
    await page.getByTestId('copy-key').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(apiKey);
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.getByTestId('new-key').waitFor({ state: 'detached' });
    await page.getByText('E2E bot').waitFor();
    // The list shows only the prefix, never the key.
    expect(await page.content()).not.toContain(apiKey);
    await shot(page, 'integration-desktop');
  });

  it('a call with the copied key shows up in the usage log with its cost', async () => {
    const client = new OpenAI({ apiKey, baseURL: `${t.url}/v1` });
    // The caller names the call with its own id (the SDK's per-request headers), as a client correlating its logs does.
    const reply = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello from e2e' }] }, { headers: { 'X-Client-Request-Id': 'e2e-order-1' } });
    expect(reply.choices[0].message.content).toBeTruthy();
    const cookie = (await user.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const logs = await t.api<{ items: { id: string; model_requested: string; cost: number }[] }>('GET', '/api/logs', undefined, { cookie });
    expect(logs.body.items).toHaveLength(1);
    firstCallId = logs.body.items[0].id;
    const cost = logs.body.items[0].cost;
    expect(cost).toBeGreaterThan(0);

    await page.getByRole('link', { name: 'Usage logs', exact: true }).click();
    const row = page.locator('.ant-table-row', { hasText: 'gpt-4o-mini' });
    await row.first().waitFor();
    expect(await page.locator('.ant-table-row').count()).toBe(1);
    const costText = await row.getByTestId('log-cost').innerText();
    expect(Number(costText.replace(/[^\d.]/g, ''))).toBeCloseTo(cost, 4);
    // Found by the caller's own id; the expanded row shows it beside the gateway's.
    const byId = page.getByTestId('logs-client-request-id').locator('input');
    await byId.fill('e2e-order-2');
    await byId.press('Enter');
    await page.locator('.ant-table-row').first().waitFor({ state: 'detached' });
    await byId.fill('e2e-order-1');
    await byId.press('Enter');
    await row.first().waitFor();
    await row.first().locator('.ant-table-row-expand-icon').click();
    const detail = page.locator('.ant-table-expanded-row');
    await detail.getByText('Your request ID').waitFor();
    expect(await detail.innerText()).toContain('e2e-order-1');
    expect(await detail.innerText()).toContain(firstCallId);
    await row.first().locator('.ant-table-row-expand-icon').click();
    await byId.fill('');
    await byId.press('Enter');
    await shot(page, 'usage-desktop');
  });

  it('chats in the playground with a streamed answer, tokens and cost', async () => {
    await page.getByRole('link', { name: 'AIGC Chat', exact: true }).click();
    await poll(() => page.getByTestId('chat-model').innerText()).toContain('gpt-4o-mini');
    await page.getByTestId('chat-input').fill('Write one sentence about streams.');
    await page.getByTestId('chat-send').click();
    const answer = page.getByTestId('turn-assistant').last();
    await poll(async () => (await answer.innerText()).length, 20_000).toBeGreaterThan(10);
    await answer.getByTestId('turn-usage').waitFor();
    await answer.getByTestId('turn-cost').waitFor();
    // Multi-turn: a second question is sent with the history.
    await page.getByTestId('chat-input').fill('And another one.');
    await page.getByTestId('chat-send').click();
    await poll(() => page.getByTestId('turn-assistant').count()).toBe(2);
    await page.getByTestId('turn-assistant').nth(1).getByTestId('turn-usage').waitFor({ timeout: 30_000 });
    await shot(page, 'chat-desktop');
    // Conversations survive a reload (localStorage).
    await page.reload();
    await poll(() => page.getByTestId('turn-user').count()).toBe(2);
    // Billed to the Playground app, not the user's key.
    const cookie = (await user.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const apps = await t.api<{ items: { id: string; name: string }[] }>('GET', '/api/apps', undefined, { cookie });
    const playground = apps.body.items.find((a) => a.name === 'Playground');
    expect(playground).toBeTruthy();
    const logs = await t.api<{ total: number }>('GET', `/api/logs?appId=${playground!.id}`, undefined, { cookie });
    expect(logs.body.total).toBe(2);
  });

  it('chat: each answer names its model; the last answer can be regenerated and an earlier question edited and asked again', async () => {
    // Still on the chat page with the two turns of the test above.
    const answers = page.getByTestId('turn-assistant');
    await poll(() => answers.count()).toBe(2);
    expect(await answers.nth(0).getByTestId('turn-model').innerText()).toBe('gpt-4o-mini');
    expect(await answers.nth(1).getByTestId('turn-model').innerText()).toBe('gpt-4o-mini');
    const cookie = (await user.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const playground = (await t.api<{ items: { id: string; name: string }[] }>('GET', '/api/apps', undefined, { cookie })).body.items.find((a) => a.name === 'Playground')!;
    const calls = async () => (await t.api<{ total: number }>('GET', `/api/logs?appId=${playground.id}`, undefined, { cookie })).body.total;
    const before = await calls();

    // Regenerate: only the last answer offers it; the question is asked again, the answer replaced.
    expect(await page.getByTestId('turn-regenerate').count()).toBe(1);
    await page.getByTestId('turn-regenerate').click();
    await answers.nth(1).getByTestId('turn-cost').waitFor();
    expect(await answers.count()).toBe(2);
    expect(await page.getByTestId('turn-user').allInnerTexts()).toEqual(['Write one sentence about streams.', 'And another one.']);
    await poll(calls).toBe(before + 1);

    // Edit the first question: asked again from there, the turns after it give way to the new answer.
    await page.getByTestId('turn-edit-button').first().click();
    await page.getByTestId('turn-edit-input').fill('Write one sentence about rivers.');
    await page.getByTestId('turn-edit-send').click();
    await poll(() => page.getByTestId('turn-user').allInnerTexts()).toEqual(['Write one sentence about rivers.']);
    await answers.nth(0).getByTestId('turn-cost').waitFor();
    expect(await answers.count()).toBe(1);
    expect(await answers.nth(0).getByTestId('turn-model').innerText()).toBe('gpt-4o-mini');
    await poll(calls).toBe(before + 2);
    // The re-asked call carried only the edited question (and no later turn): the simulator saw it.
    const last = t.sim.requests.filter((r) => r.path === '/v1/chat/completions').at(-1);
    expect((last?.body as { messages: { role: string; content: string }[] }).messages.filter((m) => m.role !== 'system')).toEqual([{ role: 'user', content: 'Write one sentence about rivers.' }]);
    await shot(page, 'chat-edited-desktop');
  });

  it('generates images on the Stable Diffusion channel: grid, download as PNG, cost', async () => {
    await page.getByRole('link', { name: 'Image playground', exact: true }).click();
    // The picker lists the image model the account may use (and preselects it), not the text models.
    await poll(() => page.getByTestId('image-model').innerText()).toContain('stable-diffusion-xl');
    await page.getByTestId('image-model').click();
    const options = page.locator('.ant-select-dropdown .ant-select-item-option');
    await options.first().waitFor();
    expect(await options.allInnerTexts()).toEqual(['stable-diffusion-xl']);
    await page.keyboard.press('Escape');
    // An empty prompt is refused in the form, before any call.
    await page.getByTestId('image-generate').click();
    await page.getByText('Describe the image you want.').waitFor();
    await page.getByTestId('image-prompt').fill('a red square');
    await page.getByLabel('Count').fill('2');
    await page.getByTestId('image-generate').click();
    const grid = page.getByTestId('image-grid').locator('img');
    await poll(() => grid.count(), 30_000).toBe(2);
    for (const img of await grid.all()) {
      expect(await img.getAttribute('src')).toMatch(/\/files\/images\/|^data:image\/png/);
      // Really loaded and decoded, not a broken image.
      await poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(512);
    }
    expect(await page.locator('.ant-alert-error').count()).toBe(0);
    // The cost shown is what the log charged (2 P per image, scaled by size and steps).
    await page.getByTestId('image-cost').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('image-download').first().click()]);
    expect(download.suggestedFilename()).toMatch(/\.png$/);
    const bytes = readFileSync((await download.path())!);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    await shot(page, 'image-desktop');
    // Billed to the Playground app as an image call.
    const logs = await t.api<{ items: { model_requested: string; endpoint: string; cost: number }[] }>('GET', '/api/logs?model=stable-diffusion-xl', undefined, { cookie: await userCookie() });
    expect(logs.body.items).toHaveLength(1);
    expect(logs.body.items[0].endpoint).toBe('/v1/images/generations');
    const charged = logs.body.items[0].cost;
    expect(charged).toBeGreaterThan(0);
    expect(Number((await page.getByTestId('image-cost').innerText()).replace(/[^\d.]/g, ''))).toBeCloseTo(charged, 4);
  });

  it('an admin creates a channel and tests it, and generates a code the user redeems', async () => {
    const admin = await asAdmin();
    await admin.getByRole('link', { name: 'Channels', exact: true }).click();
    await admin.getByRole('button', { name: 'Add channel' }).first().click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByTestId('channel-name').fill('sim-e2e');
    await dialog.getByTestId('channel-baseurl').fill('not a url');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('Enter a full URL').waitFor();
    await dialog.getByTestId('channel-baseurl').fill(`${t.sim.url}/v1`);
    await dialog.getByTestId('channel-models').fill('gpt-4o-mini\ne2e-model');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const row = admin.locator('.ant-table-row', { hasText: 'sim-e2e' });
    await row.waitFor();
    await row.getByTestId('test-sim-e2e').click();
    const result = row.getByTestId('channel-test-result');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.innerText()).toMatch(/^OK · \d+ ms$/);
    const channels = await t.api<{ items: { name: string; models: string[] }[] }>('GET', '/api/admin/channels', undefined, { token: t.rootToken });
    expect(channels.body.items.find((c) => c.name === 'sim-e2e')?.models).toEqual(['gpt-4o-mini', 'e2e-model']);
    await shot(admin, 'admin-channels-desktop');

    await admin.getByRole('link', { name: 'Redemption codes', exact: true }).click();
    await admin.getByRole('button', { name: 'Generate codes' }).first().click();
    const gen = admin.getByRole('dialog');
    await gen.getByTestId('codes-count').fill('2');
    await gen.getByTestId('codes-value').fill('250');
    await gen.getByRole('button', { name: 'Generate codes' }).click();
    const batch = admin.getByTestId('code-batch');
    await batch.waitFor();
    const codes = (await batch.inputValue()).split('\n');
    expect(codes).toHaveLength(2);
    code = codes[0];
    await admin.keyboard.press('Escape');

    // The user redeems it; the balance and ledger follow.
    await page.getByRole('link', { name: 'Top-up', exact: true }).click();
    await page.getByTestId('redeem-code').fill('WRONG-CODE-123');
    await page.getByRole('button', { name: 'Redeem' }).click();
    await page.locator('.ant-alert-error').waitFor();
    await page.getByTestId('redeem-code').fill(code);
    await page.getByRole('button', { name: 'Redeem' }).click();
    await page.getByText('250.00 P added').waitFor();
    await page.locator('.ant-table-row', { hasText: 'Code' }).first().waitFor();
    await shot(page, 'topup-desktop');

    // The admin sees who used it; the list shows the code's start (codes are stored hashed).
    await admin.reload();
    const used = admin.locator('.ant-table-row', { hasText: email });
    await used.waitFor();
    expect(await used.innerText()).toContain(`${code.slice(0, 8)}-…`);
    expect(await admin.locator('.ant-table').innerText()).not.toContain(code);
    await shot(admin, 'admin-codes-desktop');
  });

  it('shows a failing channel resting, then disabled by health, back after "check health now", with its history', async () => {
    flaky = await startSimulator({ defaults: { fault: { kind: 'status', status: 500 } } });
    const created = await t.api<{ channel: { id: string } }>('POST', '/api/admin/channels', { provider: 'openai-compatible', name: 'flaky', baseUrl: `${flaky.url}/v1`, models: ['flaky-model'] }, { token: t.rootToken });
    expect(created.status).toBe(200);
    // Unpriced models are refused before routing; the channel must be reached for it to fail.
    expect((await t.api('PUT', '/api/admin/prices/flaky-model', { input: 0.1, output: 0.1 }, { token: t.rootToken })).status).toBe(200);
    type Health = { id: string; name: string; enabled: boolean; disabledBy: string | null; state: string; trips: number };
    const healthOf = async () => (await t.api<{ items: Health[] }>('GET', '/api/admin/channels/health', undefined, { token: t.rootToken })).body.items.find((h) => h.name === 'flaky')!;
    const client = new OpenAI({ apiKey, baseURL: `${t.url}/v1`, maxRetries: 0 });
    const callFlaky = () => client.chat.completions.create({ model: 'flaky-model', messages: [{ role: 'user', content: 'hi' }] }).then(() => 'ok', (e: { status?: number }) => e.status);

    const admin = await asAdmin();
    await admin.getByRole('link', { name: 'Channels', exact: true }).click();
    const row = admin.locator('.ant-table-row', { hasText: 'flaky' });
    await poll(() => row.getByTestId('health-flaky').innerText()).toBe('Healthy');

    // Two failures in a row open the circuit: the channel rests, and the page says until when.
    // The provider's 500 reaches the caller as a 502; the gateway's retries make it two failures in a row.
    expect(await callFlaky()).toBe(502);
    await poll(async () => (await healthOf()).state).toBe('open');
    // While it rests, calls are refused at once instead of waiting on a broken upstream.
    expect(await callFlaky()).toBe(503);
    await admin.getByRole('button', { name: 'Refresh' }).click();
    await poll(() => row.getByTestId('health-flaky').innerText()).toMatch(/^Resting until \d{2}:\d{2}:\d{2}$/);
    await shot(admin, 'admin-channels-resting-desktop');

    // After the rest the next call is the probe; it fails, the circuit opens a second time in a row,
    // and the gateway turns the channel off "by health".
    await poll(async () => (await healthOf()).state, 30_000).toBe('half_open');
    expect(await callFlaky()).toBe(502);
    await poll(async () => { const h = await healthOf(); return `${h.enabled}/${h.disabledBy}`; }).toBe('false/health');
    await admin.getByRole('button', { name: 'Refresh' }).click();
    await poll(() => row.getByTestId('health-flaky').innerText()).toBe('Disabled by health check');
    expect(await row.getByRole('switch').getAttribute('aria-checked')).toBe('false');
    await shot(admin, 'admin-channels-health-desktop');

    // The upstream recovers; "check health now" probes it and the channel is back.
    flaky.setDefaults({ fault: null });
    await admin.getByTestId('check-health').click();
    await admin.getByText('Health check finished.').waitFor();
    await poll(() => row.getByTestId('health-flaky').innerText()).toBe('Healthy');
    expect(await healthOf()).toMatchObject({ enabled: true, disabledBy: null, state: 'closed' });
    expect(await callFlaky()).toBe('ok');

    // The history tells the story in words, newest first.
    await row.getByTestId('history-flaky').click();
    const drawer = admin.locator('.ant-drawer-open');
    const events = drawer.getByTestId('channel-events').locator('.ant-table-row');
    await poll(() => events.count()).toBeGreaterThanOrEqual(4);
    const kinds = await events.locator('.ant-tag').allInnerTexts();
    // The probe's pass and the re-enable share a millisecond, so either may be listed first.
    expect(['Re-enabled automatically', 'Probe passed']).toContain(kinds[0]);
    expect(kinds).toEqual(expect.arrayContaining(['Re-enabled automatically', 'Probe passed', 'Disabled automatically', 'Circuit opened']));
    expect(await drawer.innerText()).toContain('failures in a row');
    await shot(admin, 'admin-channel-history-desktop');

    // The same drawer on a phone.
    const phoneCtx = await browser.newContext({ viewport: PHONE, locale: 'en-US', storageState: await adminCtx!.storageState(), isMobile: true, hasTouch: true });
    const phone = await phoneCtx.newPage();
    await phone.goto(`${t.url}/admin/channels`);
    const phoneRow = phone.locator('.ant-table-row', { hasText: 'flaky' });
    await poll(() => phoneRow.getByTestId('health-flaky').innerText()).toBe('Healthy');
    await shot(phone, 'admin-channels-phone');
    await phoneRow.getByTestId('history-flaky').click();
    await phone.locator('.ant-drawer-open').getByTestId('channel-events').locator('.ant-table-row').first().waitFor();
    // The drawer fills the phone's width (and the screenshot waits for its slide-in to end).
    await poll(() => phone.locator('.ant-drawer-open .ant-drawer-section, .ant-drawer-open .ant-drawer-content').first().evaluate((el) => Math.round(el.getBoundingClientRect().left))).toBe(0);
    await shot(phone, 'admin-channel-history-phone');
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
    await phoneCtx.close();
    await drawer.getByRole('button', { name: 'Close' }).click();

    // An admin's "off" is told apart from health's, and is recorded too.
    await row.getByRole('switch').click();
    await poll(() => row.getByTestId('health-flaky').innerText()).toBe('Disabled by admin');
    expect(await healthOf()).toMatchObject({ enabled: false, disabledBy: 'admin' });
    const ev = await t.api<{ items: { kind: string }[] }>('GET', `/api/admin/channels/${created.body.channel.id}/events?limit=1`, undefined, { token: t.rootToken });
    expect(ev.body.items[0].kind).toBe('admin_disabled');
    await row.getByRole('switch').click();
    await poll(() => row.getByTestId('health-flaky').innerText()).toBe('Healthy');
  });

  it('edits channel timeouts and keeps the model mapping in the form', async () => {
    const admin = await asAdmin();
    const row = admin.locator('.ant-table-row', { hasText: 'sim-e2e' });
    await row.getByRole('button', { name: 'Edit' }).click();
    const dialog = admin.getByRole('dialog').filter({ hasText: 'Edit channel sim-e2e' });
    await dialog.getByLabel('Model name mapping').fill('e2e-model=gpt-4o-mini');
    await dialog.getByTestId('channel-first-byte').fill('12');
    await dialog.getByTestId('channel-idle').fill('45');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const channels = await t.api<{ items: { name: string; modelMap: Record<string, string>; settings: Record<string, unknown> }[] }>('GET', '/api/admin/channels', undefined, { token: t.rootToken });
    const ch = channels.body.items.find((c) => c.name === 'sim-e2e')!;
    expect(ch.modelMap).toEqual({ 'e2e-model': 'gpt-4o-mini' });
    expect(ch.settings.timeouts).toEqual({ firstByteMs: 12_000, idleMs: 45_000 });
    // Reopened, the form shows what is stored.
    await row.getByRole('button', { name: 'Edit' }).click();
    await poll(() => dialog.getByTestId('channel-idle').inputValue()).toBe('45');
    expect(await dialog.getByLabel('Model name mapping').inputValue()).toBe('e2e-model=gpt-4o-mini');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    // Closed before the next test: a dialog still open (its closing animation, slower on a loaded
    // machine) takes the next test's clicks (CI, 2026-12-06: three tests failed on it).
    await dialog.waitFor({ state: 'hidden' });
  });

  it('sets a model price and a user group in Models & prices', async () => {
    const admin = await asAdmin();
    await admin.getByRole('link', { name: 'Pricing & groups', exact: true }).click();
    const row = admin.locator('.ant-table-row', { hasText: 'e2e-model' });
    // The list is built from two requests (prices, routed models); wait until both are in, so the
    // click lands on the final row. The image price set through the API shows in its column.
    await poll(() => admin.locator('.ant-table-row', { hasText: 'stable-diffusion-xl' }).locator('td').allInnerTexts()).toContain('2');
    await row.getByRole('button', { name: 'Edit' }).click();
    const dialog = admin.getByRole('dialog').filter({ hasText: 'Price of e2e-model' });
    await dialog.getByRole('spinbutton').first().waitFor();
    // Input, output, cached input, per image, max output: in that order.
    await dialog.getByRole('spinbutton').nth(0).fill('0.5');
    await dialog.getByRole('spinbutton').nth(1).fill('1.25');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await poll(() => row.locator('td').allInnerTexts()).toEqual(expect.arrayContaining(['0.5', '1.25']));
    const prices = await t.api<{ items: { model: string; input: number; output: number }[] }>('GET', '/api/admin/prices', undefined, { token: t.rootToken });
    expect(prices.body.items.find((p) => p.model === 'e2e-model')).toMatchObject({ input: 0.5, output: 1.25 });
    // A new user group with its multiplier.
    await admin.getByPlaceholder('New group name').fill('vip');
    const newGroup = admin.locator('.ant-space-compact', { has: admin.getByPlaceholder('New group name') });
    await newGroup.getByRole('spinbutton').fill('0.8');
    await newGroup.locator('button.ant-btn').click();
    await admin.locator('.ant-table-row', { hasText: 'vip' }).waitFor();
    await shot(admin, 'admin-models-desktop');
  });

  it('finds a user, moves them to a group and grants credit with a reason', async () => {
    const admin = await asAdmin();
    const cookie = await userCookie();
    const before = (await t.api<{ balance: number }>('GET', '/api/billing/account', undefined, { cookie })).body.balance;
    await admin.getByRole('link', { name: 'Users', exact: true }).click();
    const search = admin.getByPlaceholder('Search email or name');
    await search.fill('no-such-person');
    await search.press('Enter');
    await admin.getByText('No user matches').waitFor();
    await search.fill(email.slice(0, 12));
    await search.press('Enter');
    const row = admin.locator('.ant-table-row', { hasText: email });
    await row.waitFor();
    await poll(() => admin.locator('.ant-table-row').count()).toBe(1);
    // Group: the select in the row.
    await row.locator('.ant-select', { hasText: 'default' }).click();
    await admin.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: 'vip' }).click();
    await poll(async () => (await t.api<{ items: { email: string; group_name: string }[] }>('GET', `/api/admin/users?search=${encodeURIComponent(email)}`, undefined, { token: t.rootToken })).body.items[0].group_name).toBe('vip');
    // Credit: a reason is required, then the balance moves by the amount.
    await row.getByRole('button', { name: 'Credit' }).click();
    const dialog = admin.getByRole('dialog').filter({ hasText: `Adjust credit of ${email}` });
    await dialog.getByLabel('Amount').fill('123');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('Say why: the user sees it in their ledger.').waitFor();
    await dialog.getByLabel('Reason').fill('e2e goodwill');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await admin.getByText(/Done\. New balance: /).waitFor();
    const after = (await t.api<{ balance: number }>('GET', '/api/billing/account', undefined, { cookie })).body.balance;
    expect(after - before).toBeCloseTo(123, 6);
    await shot(admin, 'admin-users-desktop');
    // The user sees it, with the reason, in the ledger.
    await page.goto(`${t.url}/topup`);
    await page.locator('.ant-table-row', { hasText: 'e2e goodwill' }).waitFor();
    await page.goto(`${t.url}/`);
    await poll(() => page.getByTestId('balance').innerText()).toContain(after.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
    // Back to the default group, so later prices are the plain ones.
    await t.api('PATCH', `/api/admin/users/${(await t.api<{ user: { id: string } }>('GET', '/api/auth/me', undefined, { cookie })).body.user.id}`, { group: 'default' }, { token: t.rootToken });
  });

  it('closes sign-up in Settings: the sign-up page says so and refuses; reopens it', async () => {
    const admin = await asAdmin();
    await admin.getByRole('link', { name: 'System settings', exact: true }).click();
    const toggle = admin.getByLabel('Open sign-up');
    await poll(() => toggle.getAttribute('aria-checked')).toBe('true');
    await toggle.click();
    await admin.getByRole('button', { name: 'Save' }).click();
    await poll(async () => (await t.api<{ signupEnabled: boolean }>('GET', '/api/config')).body.signupEnabled).toBe(false);
    await shot(admin, 'admin-settings-desktop');

    const visitor = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
    const v = await visitor.newPage();
    await v.goto(`${t.url}/signup`);
    await v.getByText('Sign-up is closed on this server. Ask an administrator for an account.').first().waitFor();
    await v.getByLabel('Email').fill('late@test.local');
    await v.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await v.getByLabel('Confirm password').fill(PASSWORD);
    await v.getByRole('button', { name: 'Sign up' }).click();
    await v.locator('.ant-alert-error', { hasText: 'Sign-up is closed' }).waitFor();
    expect(new URL(v.url()).pathname).toBe('/signup');

    await toggle.click();
    await admin.getByRole('button', { name: 'Save' }).click();
    await poll(async () => (await t.api<{ signupEnabled: boolean }>('GET', '/api/config')).body.signupEnabled).toBe(true);
    await v.reload();
    await v.getByLabel('Email').waitFor();
    expect(await v.getByText('Sign-up is closed').count()).toBe(0);
    await visitor.close();
  });

  it('limits a key to one model and 1 RPM in its dialog; calls outside the limits are refused', async () => {
    const cookie = await userCookie();
    const apps = await t.api<{ items: { id: string; name: string }[] }>('GET', '/api/apps', undefined, { cookie });
    const bot = apps.body.items.find((a) => a.name === 'E2E bot')!;
    const made = await t.api<{ key: string }>('POST', `/api/apps/${bot.id}/keys`, { name: 'limited' }, { cookie });
    expect(made.status).toBe(200);
    await page.getByRole('link', { name: 'API Integration', exact: true }).click();
    const row = page.locator('.ant-table-row', { hasText: 'limited' });
    await row.getByRole('button', { name: 'Name and limits' }).click();
    const dialog = page.getByRole('dialog').filter({ hasText: 'Key "limited"' });
    const models = dialog.getByLabel('Allowed models');
    await models.fill('gpt-4o-mini');
    await models.press('Enter');
    await page.keyboard.press('Escape');
    await dialog.getByTestId('key-rpm').fill('1');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await poll(() => row.innerText()).toContain('1 RPM');
    await shot(page, 'key-limits-desktop');

    const client = new OpenAI({ apiKey: made.body.key, baseURL: `${t.url}/v1`, maxRetries: 0 });
    const ask = (model: string) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).then(() => ({ status: 200, code: null as string | null }), (e: { status?: number; code?: string }) => ({ status: e.status, code: e.code ?? null }));
    expect(await ask('gpt-3.5-turbo-instruct')).toEqual({ status: 403, code: 'model_not_allowed_for_key' });
    expect(await ask('gpt-4o-mini')).toEqual({ status: 200, code: null });
    expect(await ask('gpt-4o-mini')).toEqual({ status: 429, code: 'rate_limit_exceeded' });
  });

  it('exports the usage log as CSV: header first, and the first call among the rows', async () => {
    await page.getByRole('link', { name: 'Usage logs', exact: true }).click();
    await page.locator('.ant-table-row').first().waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^apigpt-logs-\d{4}-\d{2}-\d{2}\.csv$/);
    const text = readFileSync((await download.path())!, 'utf8').replace(/^\ufeff/, '');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('time,request_id,client_request_id,app,key,endpoint,model,status,error,prompt_tokens,completion_tokens,cached_tokens,latency_ms,cost_p');
    const first = lines.find((l) => l.split(',')[1] === firstCallId);
    expect(first).toBeTruthy();
    expect(first!.split(',')[2]).toBe('e2e-order-1');
    expect(first!.split(',')).toEqual(expect.arrayContaining(['E2E bot', '/v1/chat/completions', 'gpt-4o-mini', '200']));
    // One line per call in the log (plus the header).
    const cookie = await userCookie();
    const total = (await t.api<{ total: number }>('GET', `/api/logs?from=${Date.now() - 7 * 86_400_000}`, undefined, { cookie })).body.total;
    expect(lines.length - 1).toBe(total);
  });

  it('switches to Chinese and back, remembering the choice, and antd follows', async () => {
    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByTestId('language-switch').getByText('中文').click();
    await page.getByRole('link', { name: '概览', exact: true }).waitFor();
    await page.reload();
    await page.getByRole('link', { name: 'API 接入', exact: true }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await shot(page, 'dashboard-zh-desktop');
    // antd's own texts switch too: the table pagination and empty texts come from its locale.
    await page.getByRole('link', { name: '调用日志', exact: true }).click();
    await page.getByText('条/页').first().waitFor();
    await page.getByTestId('language-switch').getByText('EN').click();
    await page.getByRole('link', { name: 'Usage logs', exact: true }).waitFor();
    await page.getByText('/ page').first().waitFor();
  });

  it('lays out for a phone: menu in a drawer', async () => {
    const phone = await browser.newContext({ viewport: PHONE, locale: 'zh-CN', storageState: await user.storageState(), isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    await p.goto(`${t.url}/`);
    await p.getByTestId('balance').waitFor();
    expect(await p.locator('.ant-layout-sider').count()).toBe(0);
    await shot(p, 'dashboard-phone');
    await p.getByRole('button', { name: /Menu|菜单/ }).click();
    await p.locator('.ant-drawer-open').waitFor();
    await shot(p, 'menu-phone');
    await p.locator('.ant-drawer').getByRole('link', { name: /AIGC/ }).click();
    await p.getByTestId('chat-input').waitFor();
    // The conversation the chat tests above left (the edit kept the first question, reworded).
    await poll(() => p.getByTestId('turn-user').allInnerTexts()).toEqual(['Write one sentence about rivers.']);
    await shot(p, 'chat-phone');
    await p.goto(`${t.url}/integration`);
    await p.getByText('E2E bot').waitFor();
    await shot(p, 'integration-phone');
    // Horizontal overflow is the usual phone layout bug: the page must not scroll sideways.
    expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
    await phone.close();
  });

  it('threw no uncaught error and broke no content security policy rule in any page', () => {
    expect(pageErrors).toEqual([]);
  });

  it('changes the password from the user menu; the new one logs in, the old one no longer does', async () => {
    await page.goto(`${t.url}/`);
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Change password' }).click();
    await page.getByTestId('password-current').fill('not-my-password');
    await page.getByTestId('password-new').fill('a-new-password-9');
    await page.getByTestId('password-confirm').fill('a-new-password-9');
    await page.getByTestId('password-save').click();
    await poll(() => page.getByText('The current password is wrong.').isVisible()).toBe(true);
    await page.getByTestId('password-current').fill(PASSWORD);
    await page.getByTestId('password-save').click();
    await poll(() => page.getByText('Password changed.', { exact: false }).isVisible()).toBe(true);
    expect((await t.api('POST', '/api/auth/login', { email, password: PASSWORD })).status).toBe(401);
    expect((await t.api('POST', '/api/auth/login', { email, password: 'a-new-password-9' })).status).toBe(200);
    // This browser's session survived the change.
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie: await userCookie() })).status).toBe(200);
  });

  it('logs out, and admin pages stay closed to a normal user', async () => {
    await page.goto(`${t.url}/admin/users`);
    await page.getByText('This page is for administrators.').waitFor();
    // Under CI load a click can land while the menu is still opening and be lost (as in pickOption),
    // or the menu can close before the click lands (a CI run of 2026-12-04: the 403 page re-rendered
    // under it): the menu is opened again until the logout has taken the page to the login form.
    // What each attempt saw goes into the failure (a CI run of 2026-12-05 failed here with no clue).
    const logoutCalls: number[] = [];
    const onResponse = (r: { url(): string; status(): number }) => {
      if (r.url().endsWith('/api/auth/logout')) logoutCalls.push(r.status());
    };
    page.on('response', onResponse);
    const attempts: string[] = [];
    try {
      for (let attempt = 1; ; attempt++) {
        const item = page.getByRole('menuitem', { name: 'Log out' });
        // Opened only when closed: a click on the trigger of an open menu closes it.
        if (!(await item.isVisible())) await page.getByTestId('user-menu').click();
        // A menu that closed again before the click (a re-render of the page under it) fails this
        // click, not the test: the loop opens it again.
        const clicked = await item.click({ timeout: 15_000 }).then(
          () => 'landed',
          (e: Error) => `failed (${e.message.split('\n')[0]})`,
        );
        const out = await page.waitForURL('**/login', { timeout: 15_000 }).then(() => true, () => false);
        if (out) break;
        attempts.push(`${attempt}: click ${clicked}, logout answers so far [${logoutCalls.join(', ')}]`);
        if (attempt === 4) throw new Error(`still at ${page.url()} after ${attempt} logouts from the user menu: ${attempts.join('; ')}`);
      }
    } finally {
      page.off('response', onResponse);
    }
    await page.goto(`${t.url}/usage`);
    await page.waitForURL('**/login');
  });
});

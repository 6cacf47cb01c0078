/**
 * The content-safety page in headless Chromium against a real gateway: an admin makes a word-list
 * rule, tests a text against it, and sees the hits a blocked call left, counted per rule — in English and in Chinese, including the server's
 * refusal of an invalid pattern; imports a word file and sets a policy (rules, an action override,
 * the moderation model on input and output) with the dialogs, and finds both on the audit page in
 * Chinese, a rule's action and directions translated.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';
import { clickUntil, pickOption } from './browser.js';

/** Polls until the expectation holds: pages on a busy machine take their time (no fixed waits). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 60_000, interval: 100 });

describe('content safety in the console', { timeout: 300_000 }, () => {
  let t: TestGateway;
  let browser: Browser;
  let adminCookie: string;

  beforeAll(async () => {
    ensureConsoleBuilt();
    t = await startTestGateway({ start: { consoleDir: CONSOLE_DIST } });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const res = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(t.admin) });
    adminCookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function admin(locale: string): Promise<Page> {
    const ctx = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
    const [name, value] = adminCookie.split('=');
    await ctx.addCookies([{ name, value, url: t.url }]);
    const page = await ctx.newPage();
    page.setDefaultTimeout(60_000);
    return page;
  }

  it('rules, test and hits (English)', async () => {
    const page = await admin('en-US');
    await page.goto(`${t.url}/admin/safety`);
    await page.getByTestId('safety-new-rule').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('gambling');
    await dialog.getByLabel('Words').fill('赌博\ncasino');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await poll(() => page.getByRole('row', { name: /gambling/ }).innerText()).toContain('2 words');

    // The tester: a traditional, full-width variant is caught.
    await page.getByRole('tab', { name: 'Test a text' }).click();
    await page.getByTestId('safety-test-text').fill('去賭博 and ＣＡＳＩＮＯ');
    await page.getByTestId('safety-test-run').click();
    await poll(() => page.getByTestId('safety-test-result').innerText()).toContain('Block');
    expect(await page.getByTestId('safety-test-result').innerText()).toContain('gambling');

    // A blocked call, then its hit on the Hits tab.
    const { key } = await t.newUserWithKey();
    const blocked = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'casino night' }] }) });
    expect(blocked.status).toBe(400);
    await poll(async () => (await t.gw.services.db.selectFrom('safety_decisions').select('id').execute()).length).toBe(1);
    await page.reload();
    await page.getByRole('tab', { name: 'Hits' }).click();
    await poll(() => page.getByTestId('safety-counts').innerText()).toMatch(/gambling\s+Block\s+Input\s+1/);
    await page.screenshot({ path: '/tmp/h15s-safety-hits-en.png', fullPage: true });

    // The admin's request log: the blocked call's row shows its decision.
    await t.flushLogs();
    await page.goto(`${t.url}/admin/logs`);
    await page.locator('.ant-table-row', { hasText: '400' }).first().locator('.ant-table-row-expand-icon').click();
    await poll(() => page.getByTestId('call-decisions').innerText()).toMatch(/Content safety:\s*gambling\s*Block\s*\(Input\)/);
  });

  it('in Chinese, with the server refusal of an invalid pattern in Chinese', async () => {
    const page = await admin('zh-CN');
    await page.goto(`${t.url}/admin/safety`);
    await poll(() => page.getByRole('row', { name: /gambling/ }).innerText()).toContain('2 个词');
    await page.getByTestId('safety-new-rule').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('名称').fill('坏的表达式');
    await pickOption(page, dialog.getByLabel('类型'), '正则表达式', () => dialog.getByLabel('表达式').isVisible());
    await dialog.getByLabel('表达式').fill('(unclosed');
    await dialog.getByRole('button', { name: '保 存' }).or(dialog.getByRole('button', { name: '保存' })).click();
    await poll(() => dialog.getByTestId('error-alert').innerText()).toContain('规则无效');
    await page.screenshot({ path: '/tmp/h15s-safety-error-zh.png', fullPage: true });
    await dialog.getByRole('button', { name: /取\s*消|Cancel/ }).click();
    await page.getByRole('tab', { name: '命中' }).click();
    await poll(() => page.getByTestId('safety-counts').innerText()).toMatch(/gambling\s+拦截\s+输入\s+1/);
    await page.screenshot({ path: '/tmp/h15s-safety-hits-zh.png', fullPage: true });
  });

  it('a word file imported and a policy set with the dialogs; the audit page names them in Chinese', async () => {
    const page = await admin('en-US');
    await page.goto(`${t.url}/admin/safety`);
    const row = page.getByRole('row', { name: /gambling/ });
    await row.getByRole('button', { name: 'Import words' }).click();
    const dialog = page.getByRole('dialog');
    // Save before a file is chosen: the dialog says so instead of doing nothing. Clicked until it
    // does: a click as the dialog opens can be lost (one CI run then waited 60 s for the message).
    const refusal = dialog.getByTestId('error-alert');
    await clickUntil(page, dialog.getByRole('button', { name: 'Save' }), async () => (await refusal.isVisible()) && (await refusal.innerText()).includes('Choose a word file first.'), 'saving the word list without a file');
    await dialog.locator('input[type=file]').setInputFiles({ name: 'words.txt', mimeType: 'text/plain', buffer: Buffer.from('# card games\npoker\nlottery, 彩票\n', 'utf8') });
    await dialog.getByText('words.txt').waitFor();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await poll(() => row.innerText()).toContain('5 words');
    const rule = (await t.gw.services.safety.store.list()).find((r) => r.name === 'gambling')!;
    expect([...rule.words].sort()).toEqual(['casino', 'lottery', 'poker', '彩票', '赌博'].sort());

    await page.getByRole('tab', { name: 'Policies' }).click();
    await page.getByRole('button', { name: 'New policy' }).click();
    const pd = page.getByRole('dialog');
    await pd.getByLabel('Group name or App ID').fill('vip');
    const rulesField = pd.locator('.ant-form-item', { hasText: 'Rules that apply' });
    await pickOption(page, pd.getByLabel('Rules that apply'), 'gambling', async () => (await rulesField.innerText()).includes('gambling'));
    // A multiple select keeps its list open after a choice: closed by clicking beside it, so the
    // next select's list is the only one open.
    await pd.locator('.ant-modal-title').click();
    await page.locator('.ant-select-dropdown:visible').waitFor({ state: 'hidden' });
    await pd.getByRole('button', { name: 'Action overrides' }).click();
    const overrideRule = pd.locator('.ant-space .ant-select').first();
    await pickOption(page, overrideRule, 'gambling', async () => (await overrideRule.innerText()).includes('gambling'));
    await pd.getByLabel('Ask a moderation model').check();
    await pd.getByLabel('Thresholds').fill('violence=0.7');
    await pd.getByLabel('Output').check();
    await pd.getByRole('button', { name: 'Save' }).click();
    await poll(() => page.getByRole('row', { name: /vip/ }).innerText()).toContain('omni-moderation-latest');
    const policy = () => t.gw.services.safety.policies.list().then((l) => l.find((p) => p.target === 'vip'));
    expect(await policy()).toMatchObject({ scope: 'group', ruleIds: [rule.id], actions: { [rule.id]: 'flag' }, moderation: { model: 'omni-moderation-latest', thresholds: { violence: 0.7 }, failMode: 'open', directions: ['input', 'output'] } });
    expect(await page.getByRole('row', { name: /vip/ }).innerText()).toMatch(/Flag only[\s\S]*Input \/ Output/);
    // Edit: the model reads answers only, and refuses calls when it is down.
    await page.getByRole('row', { name: /vip/ }).getByRole('button', { name: 'Edit' }).click();
    await pd.getByLabel('Input').uncheck();
    // The choice shows in the field before the form is saved (the dropdown closes with an animation).
    const failField = pd.locator('.ant-form-item', { hasText: 'When the model does not answer' });
    await pickOption(page, pd.getByLabel('When the model does not answer'), 'Refuse the call (fail closed)', async () => (await failField.innerText()).includes('Refuse the call (fail closed)'));
    await pd.getByRole('button', { name: 'Save' }).click();
    await poll(async () => (await policy())?.moderation).toMatchObject({ failMode: 'closed', directions: ['output'] });
    await page.screenshot({ path: '/tmp/h15s-safety-policy-en.png', fullPage: true });

    const zh = await admin('zh-CN');
    await zh.goto(`${t.url}/admin/audit`);
    await poll(() => zh.getByTestId('audit-row-action').allInnerTexts()).toEqual(expect.arrayContaining(['创建安全规则', '向安全规则导入词语', '创建安全策略', '修改安全策略']));
    await zh.getByRole('row', { name: /创建安全规则/ }).first().locator('.ant-table-row-expand-icon').click();
    const changes = zh.getByTestId('audit-changes');
    await poll(() => changes.innerText()).toMatch(/action\s+—\s+拦截/);
    expect(await changes.innerText()).toMatch(/directions\s+—\s+输入/);
    await zh.screenshot({ path: '/tmp/h15s-audit-zh.png', fullPage: true });
  });
});

/**
 * A newcomer's first minutes on a fresh start (no provider key: the demo channel on the built-in
 * simulator), in headless Chromium: the Models & prices page in English and Chinese, code samples
 * that name a chat model (and run as shown), and the image playground on the demo image model,
 * offering only the sizes that model accepts. Screenshots go to test-artifacts/console/.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from '../../src/channels/bootstrap.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';
import { launchChromium } from './browser.js';

const SHOTS = fileURLToPath(new URL('../../../../test-artifacts/console/', import.meta.url));
const poll = <T>(fn: () => Promise<T> | T, timeout = 15_000) => expect.poll(fn, { timeout });

describe('first call on a fresh start (Chromium)', { timeout: 90_000 }, () => {
  let t: TestGateway;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(SHOTS, { recursive: true });
    // As `npm start` does without a provider key: the demo channel is the only channel.
    t = await startTestGateway({ start: { consoleDir: CONSOLE_DIST }, config: { demoChannel: 'on' }, channels: () => [] });
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    expect(pageErrors).toEqual([]);
  });

  async function signedIn(locale: string, viewport = { width: 1366, height: 860 }): Promise<Page> {
    const { cookie } = await t.signup();
    const ctx = await browser.newContext({ locale, viewport });
    const [name, value] = cookie.split('=');
    await ctx.addCookies([{ name, value, url: t.url }]);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.setDefaultTimeout(30_000);
    return page;
  }

  it('the demo channel serves chat, embedding and an image model', async () => {
    const channels = await t.api<{ items: { name: string; models: string[] }[] }>('GET', '/api/admin/channels', undefined, { token: t.rootToken });
    expect(channels.body.items.map((c) => c.name)).toEqual(['Demo (simulated)']);
    expect(channels.body.items[0].models).toEqual(DEMO_MODELS);
    expect(DEMO_MODELS).toContain('dall-e-3');
  });

  it('en: Models & prices lists every model with what it does, its prices and what 1 P is worth', async () => {
    const page = await signedIn('en-US');
    await page.goto(`${t.url}/models`);
    await page.getByRole('heading', { name: 'Models & prices' }).waitFor();
    await poll(() => page.getByTestId('point-value').innerText()).toContain('1 P = US$0.001');
    const chat = page.getByTestId('price-row-gpt-4o-mini');
    // Chat, openai-compatible, input 0.15, cached 0.075, output 0.6, reasoning 0.6 P per 1K tokens.
    expect((await chat.locator('td').allInnerTexts()).map((s) => s.trim())).toEqual(['gpt-4o-mini', 'Chat', 'openai-compatible', '0.15', '0.075', '0.6', '0.6', '—']);
    const image = page.getByTestId('price-row-dall-e-3');
    expect((await image.locator('td').allInnerTexts()).map((s) => s.trim())).toEqual(['dall-e-3', 'Image', 'openai-compatible', '—', '—', '—', '—', '40 P / image']);
    expect(await page.locator('tbody tr[data-testid^="price-row-"]').count()).toBe(DEMO_MODELS.length);
    // The filter shows one kind at a time.
    await page.getByTestId('capability-filter').getByText('Embedding').click();
    await poll(() => page.locator('tbody tr[data-testid^="price-row-"]').count()).toBe(2);
    await page.screenshot({ path: join(SHOTS, 'prices-en.png') });
    await page.context().close();
  });

  it('zh-CN: the same page in Chinese, with the group multiplier applied to every price', async () => {
    await t.api('PUT', '/api/admin/groups/vip', { multiplier: 0.5 }, { token: t.rootToken });
    const page = await signedIn('zh-CN');
    const me = await page.context().cookies();
    const who = await fetch(`${t.url}/api/auth/me`, { headers: { cookie: `${me[0].name}=${me[0].value}` } }).then((r) => r.json() as Promise<{ user: { id: string } }>);
    await t.api('PATCH', `/api/admin/users/${who.user.id}`, { group: 'vip' }, { token: t.rootToken });
    await page.goto(`${t.url}/models`);
    await page.getByRole('heading', { name: '模型与价格' }).waitFor();
    await poll(() => page.getByTestId('point-value').innerText()).toContain('1 P = 0.001 美元');
    expect(await page.getByTestId('multiplier').innerText()).toBe('价格 × 0.5');
    const image = page.getByTestId('price-row-dall-e-3');
    await poll(() => image.locator('td').nth(1).innerText()).toBe('图像');
    expect((await image.locator('td').last().innerText()).trim()).toBe('20 P / 张');
    expect((await page.getByTestId('price-row-gpt-4o-mini').locator('td').nth(3).innerText()).trim()).toBe('0.075');
    await page.screenshot({ path: join(SHOTS, 'prices-zh.png') });
    await page.context().close();
  });

  it('the code samples name a chat model, never the image model; the picker offers chat models only; the shown curl runs', async () => {
    const page = await signedIn('en-US');
    await page.goto(`${t.url}/integration`);
    await page.getByRole('heading', { name: 'API Integration' }).waitFor();
    const curl = page.getByTestId('sample-curl');
    await poll(() => curl.innerText()).toContain('"model": "gpt-4o-mini"');
    await page.getByTestId('sample-model').click();
    const options = page.locator('.ant-select-dropdown .ant-select-item-option');
    await options.first().waitFor();
    expect((await options.allInnerTexts()).sort()).toEqual(['gpt-3.5-turbo', 'gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini']);
    await options.getByText('gpt-4.1-mini', { exact: true }).click();
    await poll(() => curl.innerText()).toContain('"model": "gpt-4.1-mini"');
    // Tabs render when opened.
    await page.getByRole('tab', { name: 'Images (curl)' }).click();
    await poll(() => page.getByTestId('sample-curl-image').textContent()).toContain('"model": "dall-e-3"');
    await page.getByRole('tab', { name: 'Embeddings (curl)' }).click();
    await poll(() => page.getByTestId('sample-curl-embedding').textContent()).toContain('"model": "text-embedding-3-small"');
    await page.getByRole('tab', { name: 'Python (OpenAI SDK)' }).click();
    await poll(() => page.getByTestId('sample-python').textContent()).toContain('model="gpt-4.1-mini"');
    await page.getByRole('tab', { name: 'curl', exact: true }).click();

    // The first App: its key is shown once with the samples filled in; the curl sample runs as shown.
    await page.getByRole('button', { name: 'Create app' }).first().click();
    await page.getByLabel('App name').fill('first');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    const shown = page.getByRole('dialog').getByTestId('sample-curl');
    await poll(() => shown.textContent()).toContain('Bearer sk-');
    // Run by a shell, as a user pastes it (asynchronously: this process serves the call).
    const answer = JSON.parse((await promisify(execFile)('bash', ['-c', (await shown.textContent())!], { encoding: 'utf8', timeout: 30_000 })).stdout) as { model: string; choices: { message: { content: string } }[] };
    expect(answer.model).toBe('gpt-4o-mini');
    expect(answer.choices[0].message.content.length).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'samples-en.png') });
    await page.context().close();
  });

  it('the image playground picks the demo image model and offers only its sizes; generating works', async () => {
    const page = await signedIn('en-US');
    await page.goto(`${t.url}/playground/image`);
    await poll(() => page.getByTestId('image-model').innerText()).toContain('dall-e-3');
    // dall-e-3 has no 512x512: the form moved to its first size.
    await poll(() => page.getByTestId('image-size').innerText()).toContain('1024x1024');
    await page.getByTestId('image-size').click();
    const options = page.locator('.ant-select-dropdown:visible .ant-select-item-option');
    await options.first().waitFor();
    expect(await options.allInnerTexts()).toEqual(['1024x1024', '1792x1024', '1024x1792']);
    await page.keyboard.press('Escape');
    await page.getByTestId('image-prompt').fill('a lighthouse at dawn');
    await page.getByTestId('image-generate').click();
    const img = page.getByTestId('image-grid').locator('img').first();
    await poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), 30_000).toBe(1024);
    expect(await page.locator('.ant-alert-error').count()).toBe(0);
    await page.getByTestId('image-cost').waitFor();
    await page.screenshot({ path: join(SHOTS, 'image-demo-en.png') });
    await page.context().close();
  });
});

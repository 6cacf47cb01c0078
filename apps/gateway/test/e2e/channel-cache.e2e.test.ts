/**
 * The channel page's prompt-cache column in headless Chromium: after a session wrote and then read
 * its cached system prompt on an Anthropic channel, the page shows the channel's share of prompt
 * tokens read from the cache (with the counts on hover), in English and in Chinese; a channel that
 * served no prompt shows a dash.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { SIM_KEY } from '../dialects/providers.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';
import { launchChromium } from './browser.js';

const MODEL = 'claude-sonnet-4-5';
const SYSTEM = 'You are a coding agent working in a large repository. Follow the house rules. '.repeat(60);

describe('channel page: prompt cache (Chromium)', { timeout: 60_000 }, () => {
  let t: TestGateway;
  let browser: Browser;
  let adminCookie: string;
  /** Prompt tokens and cache reads of the calls, from the provider's answers. */
  const sums = { prompt: 0, read: 0, written: 0 };
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureConsoleBuilt();
    t = await startTestGateway({
      start: { consoleDir: CONSOLE_DIST },
      config: { healthProbeIntervalMs: 0 },
      channels: (sim) => [
        { provider: 'anthropic', name: 'claude-cached', baseUrl: sim.url, secret: SIM_KEY, models: [MODEL] },
        { provider: 'openai-compatible', name: 'idle', baseUrl: `${sim.url}/v1`, models: ['gpt-4o-mini'] },
      ],
    });
    const { key } = await t.newUserWithKey();
    for (const question of ['first', 'second', 'third']) {
      const res = await fetch(`${t.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, max_tokens: 50, system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: question }] }),
      });
      const u = ((await res.json()) as { usage: { input_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number } }).usage;
      sums.prompt += u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
      sums.read += u.cache_read_input_tokens;
      sums.written += u.cache_creation_input_tokens;
    }
    await t.flushLogs();
    browser = await launchChromium();
    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(t.admin) });
    adminCookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function channelsPage(locale: string): Promise<Page> {
    const ctx = await browser.newContext({ locale, viewport: { width: 1600, height: 860 } });
    const [name, value] = adminCookie.split('=');
    await ctx.addCookies([{ name, value, url: t.url }]);
    const page = await ctx.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${t.url}/admin/channels`);
    await page.getByTestId('cache-claude-cached').waitFor();
    return page;
  }

  it('shows the share of prompt tokens read from the cache, with the counts on hover (English)', async () => {
    expect(sums.read).toBeGreaterThan(0);
    const page = await channelsPage('en-US');
    const percent = `${((sums.read / sums.prompt) * 100).toFixed(1)}%`;
    await expect.poll(() => page.getByTestId('cache-claude-cached').innerText()).toBe(percent);
    expect(await page.getByRole('columnheader', { name: 'Prompt cache (24 h)' }).count()).toBe(1);
    await page.getByTestId('cache-claude-cached').hover();
    await expect.poll(() => page.locator('.ant-tooltip').last().innerText()).toBe(`${sums.read.toLocaleString('en-US')} of ${sums.prompt.toLocaleString('en-US')} prompt tokens read from the cache, ${sums.written.toLocaleString('en-US')} written to it · 3 calls`);
    expect(await page.getByTestId('cache-idle').innerText()).toBe('—');
    expect(pageErrors).toEqual([]);
  });

  it('says the same in Chinese', async () => {
    const page = await channelsPage('zh-CN');
    expect(await page.getByRole('columnheader', { name: '提示缓存（24 小时）' }).count()).toBe(1);
    await expect.poll(() => page.getByTestId('cache-claude-cached').innerText()).toBe(`${((sums.read / sums.prompt) * 100).toFixed(1)}%`);
    await page.getByTestId('cache-claude-cached').hover();
    await expect.poll(() => page.locator('.ant-tooltip').last().innerText()).toContain('个读自缓存');
    expect(pageErrors).toEqual([]);
  });
});

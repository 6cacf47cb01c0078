/**
 * The console and the API docs are served with a content security policy and frame protection, and
 * both still render in a real headless Chromium under that policy (no violation reported).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';

function expectProtected(res: Response, path: string) {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp, path).toContain("default-src 'self'");
  expect(csp, path).toContain("frame-ancestors 'none'");
  expect(csp, path).toContain("object-src 'none'");
  expect(csp, path).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(res.headers.get('x-frame-options'), path).toBe('DENY');
  expect(res.headers.get('referrer-policy'), path).toBe('strict-origin-when-cross-origin');
  expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
}

describe('security headers on the console and the docs', { timeout: 60_000 }, () => {
  let t: TestGateway;
  let dir: string;
  let missing: TestGateway;
  let browser: Browser | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apigpt-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root">console-index</div>');
    writeFileSync(join(dir, 'assets', 'app-abc123.js'), 'console.log("hashed")');
    t = await startTestGateway({ start: { consoleDir: dir } });
    missing = await startTestGateway({ start: { consoleDir: join(dir, 'not-built') } });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await missing?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the console page, a client route and an asset carry CSP, X-Frame-Options DENY, Referrer-Policy and nosniff', async () => {
    for (const path of ['/', '/admin/channels', '/assets/app-abc123.js']) {
      const res = await fetch(t.url + path);
      expect(res.status, path).toBe(200);
      expectProtected(res, path);
    }
  });

  it('the page shown when the console is not built carries them too', async () => {
    const res = await fetch(`${missing.url}/`);
    expect(res.status).toBe(200);
    expectProtected(res, '/ (not built)');
  });

  it('the API docs page and its assets carry them', async () => {
    for (const path of ['/api/docs', '/api/docs/static/swagger-initializer.js', '/api/docs/static/swagger-ui.css']) {
      const res = await fetch(t.url + path);
      expect(res.status, path).toBe(200);
      expectProtected(res, path);
    }
  });

  it('the docs render in Chromium under the policy without a violation', async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${t.url}/api/docs`);
    await expect.poll(() => page.locator('.swagger-ui .info .title').textContent(), { timeout: 15_000 }).toContain('APIGPT');
    // Swagger UI renders operations as they scroll into view (8 fit the first screen): scroll while
    // polling, so every operation is rendered, and so checked against the policy.
    await expect
      .poll(
        async () => {
          await page.mouse.wheel(0, 5000);
          return page.locator('.opblock').count();
        },
        { timeout: 15_000 },
      )
      .toBeGreaterThan(10);
    expect(violations).toEqual([]);
  });
});

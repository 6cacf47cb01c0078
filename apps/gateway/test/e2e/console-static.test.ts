/**
 * The gateway's console plugin over real HTTP: the SPA and its assets at `/`, client routes falling
 * back to index.html, and the API prefixes never answered with HTML.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';

describe('console static plugin', () => {
  let t: TestGateway;
  let dir: string;
  let missing: TestGateway;

  beforeAll(async () => {
    // A fake build, so this test does not depend on `vite build` having run.
    dir = mkdtempSync(join(tmpdir(), 'apigpt-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root">console-index</div>');
    writeFileSync(join(dir, 'assets', 'app-abc123.js'), 'console.log("hashed")');
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    t = await startTestGateway({ start: { consoleDir: dir } });
    missing = await startTestGateway({ start: { consoleDir: join(dir, 'not-built') } });
  });

  afterAll(async () => {
    await t?.close();
    await missing?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / and for client routes, without long caching', async () => {
    for (const path of ['/', '/integration', '/admin/channels', '/playground/chat?x=1']) {
      const res = await fetch(t.url + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('console-index');
    }
  });

  it('serves hashed assets as immutable with the right content type', async () => {
    const res = await fetch(`${t.url}/assets/app-abc123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(await res.text()).toBe('console.log("hashed")');
    const svg = await fetch(`${t.url}/favicon.svg`);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers missing assets and API prefixes with 404 JSON, not the app', async () => {
    expect((await fetch(`${t.url}/assets/gone-123.js`)).status).toBe(404);
    for (const path of ['/api/nope', '/v1/nope', '/v1beta/nope', '/sdapi/v1/nope', '/api']) {
      const res = await fetch(t.url + path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toContain('application/json');
      const body = (await res.json()) as { error?: { message?: string } };
      expect(body.error?.message, path).toBeTruthy();
    }
    // Real routes still win over the wildcard.
    expect((await fetch(`${t.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${t.url}/api/openapi.json`)).headers.get('content-type')).toContain('application/json');
  });

  it('explains how to build the console when it is missing', async () => {
    const res = await fetch(`${missing.url}/integration`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('npm run build');
  });

  it('does not let a path escape the build folder', async () => {
    for (const path of ['/..%2f..%2fetc%2fpasswd', '/assets/..%2f..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/package.json']) {
      const res = await fetch(t.url + path);
      const text = await res.text();
      expect(text, path).not.toContain('root:x:');
      expect(text, path).not.toContain('"workspaces"');
    }
  });
});

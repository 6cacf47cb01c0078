/**
 * The gateway's console plugin over real HTTP: the SPA and its assets at `/`, client routes falling
 * back to index.html, and the API prefixes never answered with HTML.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';

/** A bundle-like text that compresses well. */
const BIG = Array.from({ length: 400 }, (_, i) => `export const value${i} = "the same words again and again ${i}";`).join('\n');

/**
 * A GET with exactly the Accept-Encoding given (fetch would add its own and decode the answer),
 * returning the raw bytes as sent.
 */
function rawGet(url: string, acceptEncoding?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

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
    // A bundle with the build's precompressed siblings (console/precompress.ts), and one without.
    writeFileSync(join(dir, 'assets', 'big-abc123.js'), BIG);
    writeFileSync(join(dir, 'assets', 'big-abc123.js.br'), brotliCompressSync(BIG));
    writeFileSync(join(dir, 'assets', 'big-abc123.js.gz'), gzipSync(BIG));
    writeFileSync(join(dir, 'assets', 'style-abc123.css'), 'body{color:red}');
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

  it('sends the precompressed copy the browser accepts, Brotli first, with Content-Encoding and Vary', async () => {
    const url = `${t.url}/assets/big-abc123.js`;
    const br = await rawGet(url, 'gzip, deflate, br, zstd');
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['vary']).toBe('Accept-Encoding');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(br.headers['cache-control']).toContain('immutable');
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(BIG.length / 5);
    const { brotliDecompressSync } = await import('node:zlib');
    expect(brotliDecompressSync(br.body).toString()).toBe(BIG);

    const gz = await rawGet(url, 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(BIG);
    // Brotli refused by quality 0: gzip.
    expect((await rawGet(url, 'br;q=0, gzip;q=0.8')).headers['content-encoding']).toBe('gzip');
    // `*` covers both; `identity` alone, or nothing, gets the plain bytes.
    expect((await rawGet(url, '*')).headers['content-encoding']).toBe('br');
    for (const plain of [await rawGet(url, 'identity'), await rawGet(url)]) {
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers['vary']).toBe('Accept-Encoding');
      expect(plain.body.toString()).toBe(BIG);
    }
    // A text file the build left uncompressed (too small) is sent as it is, whatever is accepted.
    const css = await rawGet(`${t.url}/assets/style-abc123.css`, 'br, gzip');
    expect(css.headers['content-encoding']).toBeUndefined();
    expect(css.body.toString()).toBe('body{color:red}');
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

/**
 * Image links a provider answers with are fetched only when they are http(s) and (unless the channel
 * is local) not on a private or loopback address; what comes back must be an image.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelInput } from '../../src/channels/channels.js';
import { checkFetchableUrl, isInternalAddress } from '../../src/media/url-guard.js';
import { startImageGateway, SIM_KEY } from '../images/setup.js';
import type { TestGateway } from '../harness.js';

describe('provider image links through the gateway', () => {
  let t: TestGateway;
  let key: string;
  beforeAll(async () => {
    // Two CogView channels on the (loopback) simulator: one left as it is (a local channel, its links
    // are fetched), one marked not local, so its loopback links must be refused.
    t = await startImageGateway({
      channels: (sim): ChannelInput[] => [
        { provider: 'zhipu', name: 'zhipu local', baseUrl: `${sim.url}/api/paas/v4`, secret: SIM_KEY, models: ['cogview-3'] },
        { provider: 'zhipu', name: 'zhipu public', baseUrl: `${sim.url}/api/paas/v4`, secret: SIM_KEY, models: ['cogview-3-plus'], settings: { allowLocalUrls: false } },
      ],
    });
    const price = await t.api('PUT', '/api/admin/prices/cogview-3-plus', { input: 0, output: 0, perImage: 1 }, { token: t.rootToken });
    expect(price.status).toBe(200);
    key = (await t.newUserWithKey()).key;
  });
  afterAll(() => t?.close());

  const generate = (model: string) =>
    fetch(`${t.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, prompt: 'a lighthouse', response_format: 'b64_json' }),
    });

  it('a channel not marked local answering with a loopback link: the link is refused, not fetched', async () => {
    const before = t.sim.requests.filter((r) => r.path.startsWith('/_sim/images/')).length;
    const res = await generate('cogview-3-plus');
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('image_url_refused');
    expect(body.error.message).toContain('private or loopback');
    expect(t.sim.requests.filter((r) => r.path.startsWith('/_sim/images/')).length).toBe(before);
  });

  it("a channel on a loopback address is local: its links are fetched and the bytes checked as an image", async () => {
    const res = await generate('cogview-3');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { b64_json: string }[] };
    expect(Buffer.from(body.data[0].b64_json, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });
});

describe('what a fetched link answers', () => {
  // A CogView-speaking upstream on loopback (a local channel: its links are fetched) whose image links
  // answer a web page, or an image bigger than the gateway accepts.
  let t: TestGateway;
  let key: string;
  let upstream: Server;
  const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(4096, 7)]);
  beforeAll(async () => {
    upstream = createServer((req, res) => {
      const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
      if (req.url === '/api/paas/v4/images/generations') {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          const model = (JSON.parse(body) as { model: string }).model;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ created: 1, data: [{ url: `${base}/${model === 'cogview-page' ? 'page.html' : 'big.png'}` }] }));
        });
        return;
      }
      if (req.url === '/page.html') {
        res.writeHead(200, { 'content-type': 'image/png' }); // the header lies; the bytes are what count
        res.end('<html><body>internal admin page</body></html>');
        return;
      }
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/api/paas/v4`;
    t = await startImageGateway({
      channels: (): ChannelInput[] => [{ provider: 'zhipu', name: 'lying upstream', baseUrl: base, secret: SIM_KEY, models: ['cogview-page', 'cogview-big'] }],
    });
    for (const m of ['cogview-page', 'cogview-big']) expect((await t.api('PUT', `/api/admin/prices/${m}`, { input: 0, output: 0, perImage: 1 }, { token: t.rootToken })).status).toBe(200);
    key = (await t.newUserWithKey()).key;
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((r) => upstream?.close(r));
  });
  const generate = (model: string) =>
    fetch(`${t.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, prompt: 'a lighthouse', response_format: 'b64_json' }),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } }));

  it('a link answering a web page (labelled image/png) is refused: its content is not handed back', async () => {
    const r = await generate('cogview-page');
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({ code: 'image_download_failed' });
    expect(r.body.error!.message).toContain('did not answer with an image');
    expect(JSON.stringify(r.body)).not.toContain('internal admin page');
  });

  it('an image past the size cap is refused; under it, it is served', async () => {
    t.gw.services.images.maxDownloadBytes = 1024;
    const big = await generate('cogview-big');
    expect(big.status).toBe(502);
    expect(big.body.error).toMatchObject({ code: 'image_too_large' });
    t.gw.services.images.maxDownloadBytes = PNG.length;
    expect((await generate('cogview-big')).status).toBe(200);
  });
});

describe('which links may be fetched', () => {
  const resolveTo = (map: Record<string, string[]>) => async (host: string) => {
    if (!(host in map)) throw new Error('ENOTFOUND');
    return map[host];
  };
  const dns = resolveTo({ 'cdn.example.com': ['93.184.216.34'], 'internal.example.com': ['93.184.216.34', '10.1.2.3'], 'v6.example.com': ['2606:2800:220:1::1'] });
  const refused = (url: string, allowInternal = false) => expect(checkFetchableUrl(url, allowInternal, dns)).rejects.toThrow();
  const allowed = async (url: string, allowInternal = false) => expect((await checkFetchableUrl(url, allowInternal, dns)).href).toBe(new URL(url).href);

  it('schemes other than http(s) are refused, even for a local channel', async () => {
    await refused('file:///etc/passwd', true);
    await refused('ftp://cdn.example.com/a.png');
    await refused('gopher://cdn.example.com/');
    await refused('data:image/png;base64,iVBORw0KGgo=');
  });

  it('cloud metadata, private, loopback, link-local and mapped addresses are refused', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.5/a.png',
      'http://172.20.1.1/a.png',
      'http://192.168.1.1/a.png',
      'http://127.0.0.1:8080/a.png',
      'http://2130706433/a.png', // 127.0.0.1 as one number
      'http://0x7f.1/a.png',
      'http://0.0.0.0/a.png',
      'http://[::1]/a.png',
      'http://[::ffff:127.0.0.1]/a.png',
      'http://[::ffff:a9fe:a9fe]/a.png', // 169.254.169.254 mapped
      'http://[fd00::1]/a.png',
      'http://[fe80::1]/a.png',
      'http://localhost/a.png',
      'http://internal.example.com/a.png', // one of its addresses is private
      'http://unknown.example.com/a.png', // does not resolve
    ])
      await refused(url);
  });

  it('public hosts are allowed, and internal ones for a local channel', async () => {
    await allowed('https://cdn.example.com/img/a.png');
    await allowed('http://93.184.216.34/a.png');
    await allowed('https://v6.example.com/a.png');
    await allowed('http://127.0.0.1:8080/a.png', true);
  });

  it('links with credentials are refused', async () => {
    await refused('https://user:pass@cdn.example.com/a.png');
  });

  it('classifies addresses', () => {
    expect(isInternalAddress('100.64.0.1')).toBe(true);
    expect(isInternalAddress('8.8.8.8')).toBe(false);
    expect(isInternalAddress('2001:4860:4860::8888')).toBe(false);
    expect(isInternalAddress('64:ff9b::10.0.0.1')).toBe(true);
  });
});

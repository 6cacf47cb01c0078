/**
 * Image links a provider answers with are fetched only when they are http(s) and (unless the channel
 * is local) not on a private or loopback address; what comes back must be an image.
 */
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

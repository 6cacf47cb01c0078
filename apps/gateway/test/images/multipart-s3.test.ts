import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngSize } from '@apigpt/simulator';
import { GatewayError } from '../../src/core/errors.js';
import { boundaryOf, encodeMultipart, parseMultipart } from '../../src/media/multipart.js';
import { S3Client, sha256Hex, signV4 } from '../../src/media/s3.js';
import type { TestGateway } from '../harness.js';
import { startImageGateway } from './setup.js';

describe('multipart/form-data reader and writer', () => {
  it('reads what a standard encoder (undici FormData) writes, binary files intact', async () => {
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256));
    const fd = new FormData();
    fd.append('prompt', 'héllo — 世界\r\nsecond line');
    fd.append('n', '2');
    fd.append('image', new Blob([binary], { type: 'image/png' }), 'a "quoted"; name.png');
    fd.append('image[]', new Blob([Buffer.from('x')]), 'b.png');
    fd.append('image[]', new Blob([Buffer.from('y')]), 'c.png');
    const res = new Response(fd);
    const body = Buffer.from(await res.arrayBuffer());
    const boundary = boundaryOf(res.headers.get('content-type')!)!;
    const form = parseMultipart(body, boundary);
    expect(form.fields).toEqual({ prompt: 'héllo — 世界\r\nsecond line', n: '2' });
    expect(form.files.image[0].data.equals(binary)).toBe(true);
    expect(form.files.image[0].contentType).toBe('image/png');
    // Browsers and undici percent-encode quotes in names; the name survives either way.
    expect(form.files.image[0].filename).toMatch(/^a (%22|")quoted(%22|"); name\.png$/);
    expect(form.files['image[]'].map((f) => f.data.toString())).toEqual(['x', 'y']);
  });

  it('round-trips its own encoding (empty fields, binary files)', () => {
    const bin = Buffer.from([0, 13, 10, 45, 45, 255, 13, 10, 13, 10]);
    const { body, contentType } = encodeMultipart([
      ['a', ''],
      ['file', { filename: 'f.bin', contentType: 'application/octet-stream', data: bin }],
      ['b', 'two'],
    ]);
    const form = parseMultipart(body, boundaryOf(contentType)!);
    expect(form.fields).toEqual({ a: '', b: 'two' });
    expect(form.files.file[0].data.equals(bin)).toBe(true);
  });

  it('a part ends only at CRLF + delimiter: the boundary text inside data does not cut it', () => {
    const content = 'x--abc still data\n--abc-- and more';
    const raw = `--abc\r\nContent-Disposition: form-data; name="f"; filename="d.txt"\r\n\r\n${content}\r\n--abc--\r\n`;
    expect(parseMultipart(Buffer.from(raw), 'abc').files.f[0].data.toString()).toBe(content);
  });

  it('accepts a preamble, transport padding and a quoted boundary', () => {
    const raw = 'preamble to ignore\r\n--abc \r\nContent-Disposition: form-data; name="k"\r\n\r\nv\r\n--abc--\r\nepilogue';
    expect(boundaryOf('multipart/form-data; boundary="abc"')).toBe('abc');
    expect(parseMultipart(Buffer.from(raw), 'abc').fields).toEqual({ k: 'v' });
  });

  it('refuses malformed bodies with a 400 that says what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['no boundary at all', /never appears/],
      ['--abc\r\nContent-Disposition: form-data; name="k"\r\n\r\nv', /closing boundary is missing/],
      ['--abc\r\nContent-Type: text/plain\r\n\r\nv\r\n--abc--', /no Content-Disposition/],
      ['--abc\r\nContent-Disposition: form-data\r\n\r\nv\r\n--abc--', /no name/],
      ['--abcX\r\n', /does not end with CRLF/],
    ];
    for (const [raw, why] of cases) {
      const err = (() => {
        try {
          parseMultipart(Buffer.from(raw), 'abc');
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).status).toBe(400);
      expect((err as GatewayError).message).toMatch(why);
    }
    const many = Array.from({ length: 40 }, (_, i) => `--abc\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nv\r\n`).join('') + '--abc--';
    expect(() => parseMultipart(Buffer.from(many), 'abc')).toThrow(/more than 32 parts/);
    expect(boundaryOf('application/json')).toBeNull();
  });
});

describe('S3 signing (SigV4)', () => {
  it("matches AWS's worked GET Object example", () => {
    const auth = signV4(
      {
        method: 'GET',
        url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
        headers: { range: 'bytes=0-9', 'x-amz-content-sha256': sha256Hex(''), 'x-amz-date': '20130524T000000Z' },
        payloadHash: sha256Hex(''),
        amzDate: '20130524T000000Z',
      },
      { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', region: 'us-east-1' },
    );
    expect(auth).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });
});

const CREDS = { accessKeyId: 'AKIDTESTIMAGES', secretAccessKey: 'secret/for+images', region: 'eu-central-1' };

/**
 * A small S3-speaking server (PUT/GET object, path-style) that checks every request's SigV4
 * signature and payload hash, as S3 does, and refuses anything else with S3's XML errors.
 */
async function startFakeS3(): Promise<{ url: string; objects: Map<string, { data: Buffer; type: string }>; refused: number; close(): Promise<void> }> {
  const objects = new Map<string, { data: Buffer; type: string }>();
  const state = { refused: 0 };
  const xml = (code: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code></Error>`;
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url!, `http://${req.headers.host}`);
    const auth = req.headers.authorization ?? '';
    const signed = /SignedHeaders=([^,]+)/.exec(auth)?.[1].split(';') ?? [];
    const headers = Object.fromEntries(signed.filter((h) => h !== 'host').map((h) => [h, String(req.headers[h] ?? '')]));
    const hash = String(req.headers['x-amz-content-sha256'] ?? '');
    const expected = signV4({ method: req.method!, url, headers: { ...headers, host: req.headers.host! }, payloadHash: hash, amzDate: String(req.headers['x-amz-date']) }, CREDS);
    if (auth !== expected || hash !== sha256Hex(body) || !signed.includes('x-amz-date')) {
      state.refused++;
      res.writeHead(403, { 'content-type': 'application/xml' }).end(xml('SignatureDoesNotMatch'));
      return;
    }
    const key = decodeURIComponent(url.pathname.slice(1));
    if (req.method === 'PUT') {
      objects.set(key, { data: body, type: String(req.headers['content-type']) });
      res.writeHead(200, { etag: `"${sha256Hex(body).slice(0, 32)}"` }).end();
    } else if (req.method === 'GET') {
      const o = objects.get(key);
      if (!o) res.writeHead(404, { 'content-type': 'application/xml' }).end(xml('NoSuchKey'));
      else res.writeHead(200, { 'content-type': o.type, 'content-length': o.data.length }).end(o.data);
    } else res.writeHead(405).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    get refused() {
      return state.refused;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('image links stored in S3-compatible storage', () => {
  let s3: Awaited<ReturnType<typeof startFakeS3>>;
  let t: TestGateway;

  beforeAll(async () => {
    s3 = await startFakeS3();
    t = await startImageGateway({ config: { s3Endpoint: s3.url, s3Bucket: 'gw-images', s3Region: CREDS.region, s3AccessKeyId: CREDS.accessKeyId, s3SecretAccessKey: CREDS.secretAccessKey } });
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
  });

  it('the client signs PUT and GET the fake S3 accepts, and a wrong secret is refused', async () => {
    const client = new S3Client({ ...CREDS, endpoint: s3.url, bucket: 'b' });
    await client.put('images/dir/x y.png', Buffer.from('data'), 'image/png');
    expect(await client.get('images/dir/x y.png')).toEqual({ data: Buffer.from('data'), contentType: 'image/png' });
    expect(await client.get('images/none.png')).toBeNull();
    await client.close();
    const wrong = new S3Client({ ...CREDS, secretAccessKey: 'nope', endpoint: s3.url, bucket: 'b' });
    const before = s3.refused;
    await expect(wrong.put('images/z.png', Buffer.from('z'), 'image/png')).rejects.toThrow(/refused to store/);
    expect(s3.refused).toBe(before + 1);
    await wrong.close();
  });

  it('a url answer is stored in the bucket and served from a signed gateway link', async () => {
    const { key } = await t.newUserWithKey();
    const res = await fetch(`${t.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'stable-diffusion', prompt: 'stored in s3', size: '384x256', n: 2, response_format: 'url' }),
    });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: { url: string }[] };
    expect(data).toHaveLength(2);
    for (const d of data) {
      const name = new URL(d.url).pathname.split('/').pop()!;
      const stored = s3.objects.get(`gw-images/images/${name}`)!;
      expect(stored.type).toBe('image/png');
      const img = await fetch(d.url);
      expect(img.status).toBe(200);
      const bytes = Buffer.from(await img.arrayBuffer());
      expect(bytes.equals(stored.data)).toBe(true);
      expect(readPngSize(bytes)).toEqual({ width: 384, height: 256 });
    }
    const tampered = data[0].url.replace(/sig=./, (m) => (m.endsWith('A') ? 'sig=B' : 'sig=A'));
    expect((await fetch(tampered)).status).toBe(403);
  });
});

describe('file image store', () => {
  it('serves what it stored, refuses foreign names, and sweeps images older than the link lifetime', async () => {
    const { mkdtempSync, rmSync, utimesSync, readdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { FileImageStore } = await import('../../src/media/storage.js');
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-images-'));
    const store = new FileImageStore(dir, 60_000);
    try {
      await store.put('AAAAAAAAAAAAAAAAAAAAAA.png', Buffer.from('old'));
      await store.put('BBBBBBBBBBBBBBBBBBBBBB.png', Buffer.from('new'));
      expect(await store.get('BBBBBBBBBBBBBBBBBBBBBB.png')).toEqual({ data: Buffer.from('new'), contentType: 'image/png' });
      expect(await store.get('../BBBBBBBBBBBBBBBBBBBBBB.png')).toBeNull();
      expect(await store.get('CCCCCCCCCCCCCCCCCCCCCC.png')).toBeNull();
      const twoMinutesAgo = new Date(Date.now() - 120_000);
      utimesSync(join(dir, 'AAAAAAAAAAAAAAAAAAAAAA.png'), twoMinutesAgo, twoMinutesAgo);
      expect(await store.sweep()).toBe(1);
      expect(readdirSync(dir)).toEqual(['BBBBBBBBBBBBBBBBBBBBBB.png']);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

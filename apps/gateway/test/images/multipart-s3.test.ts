import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngSize } from '@apigpt/simulator';
import { GatewayError } from '../../src/core/errors.js';
import { AUDIO_LIMITS, encodeMultipart, encodeWithBoundary, filesOf, readMultipart, type FormValue, type MultipartLimits } from '../../src/media/multipart.js';
import { S3Client, sha256Hex, signS3 } from '../../src/media/s3.js';
import type { TestGateway } from '../harness.js';
import { startImageGateway } from './setup.js';

const LIMITS: MultipartLimits = { fileSize: 1024 * 1024, files: 8, fields: 32, fieldSize: 64 * 1024 };
const CT = 'multipart/form-data; boundary=abc';

/** The GatewayError a promise rejects with. */
async function refusal(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

/** The body and content type undici's FormData serialises to. */
async function undiciForm(fd: FormData): Promise<{ body: Buffer; contentType: string }> {
  const res = new Response(fd);
  return { body: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get('content-type')! };
}

describe('multipart/form-data reader (busboy)', () => {
  it('reads what a standard encoder (undici FormData) writes: binary files intact, repeated names kept as arrays', async () => {
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256));
    const fd = new FormData();
    fd.append('prompt', 'héllo — 世界\r\nsecond line');
    fd.append('n', '2');
    fd.append('image', new Blob([binary], { type: 'image/png' }), 'a "quoted"; name.png');
    fd.append('image[]', new Blob([Buffer.from('x')]), 'b.png');
    fd.append('image[]', new Blob([Buffer.from('y')]), '世界.png');
    fd.append('timestamp_granularities[]', 'word');
    fd.append('tag', 'one');
    fd.append('tag', 'two');
    const { body, contentType } = await undiciForm(fd);
    const form = await readMultipart(body, contentType, LIMITS);
    expect({ ...form.fields }).toEqual({ prompt: 'héllo — 世界\r\nsecond line', n: '2', 'timestamp_granularities[]': ['word'], tag: ['one', 'two'] });
    const [image, b, c] = filesOf(form, 'image');
    expect(image.data.equals(binary)).toBe(true);
    expect(image).toMatchObject({ field: 'image', contentType: 'image/png' });
    // Browsers and undici percent-encode quotes in names; the name survives either way.
    expect(image.filename).toMatch(/^a (%22|")quoted(%22|"); name\.png$/);
    expect([b, c].map((f) => [f.field, f.filename, f.data.toString()])).toEqual([
      ['image[]', 'b.png', 'x'],
      ['image[]', '世界.png', 'y'],
    ]);
  });

  it('reads a stream (the raw request) as it reads a buffer, one byte at a time too', async () => {
    const { body, contentType } = encodeMultipart([
      ['model', 'whisper-1'],
      ['file', { filename: 'a.mp3', contentType: 'audio/mpeg', data: Buffer.alloc(3000, 7) }],
    ]);
    const bytes = Array.from(body, (b) => Buffer.from([b]));
    const form = await readMultipart(Readable.from(bytes), contentType, LIMITS);
    expect({ ...form.fields }).toEqual({ model: 'whisper-1' });
    expect(form.files).toHaveLength(1);
    expect(form.files[0]).toMatchObject({ field: 'file', filename: 'a.mp3', contentType: 'audio/mpeg' });
    expect(form.files[0].data.equals(Buffer.alloc(3000, 7))).toBe(true);
  });

  it('an audio file of exactly 25 MB is read; one byte more is a 413 naming the file and the limit', async () => {
    const big = Buffer.alloc(25 * 1024 * 1024, 1);
    const ok = encodeMultipart([['file', { filename: 'talk.wav', contentType: 'audio/wav', data: big }], ['model', 'whisper-1']]);
    const form = await readMultipart(Readable.from([ok.body]), ok.contentType, AUDIO_LIMITS);
    expect(form.files[0].data.length).toBe(big.length);
    const over = encodeMultipart([['file', { filename: 'talk.wav', contentType: 'audio/wav', data: Buffer.concat([big, Buffer.from([1])]) }]]);
    const err = await refusal(readMultipart(over.body, over.contentType, AUDIO_LIMITS));
    expect(err.status).toBe(413);
    expect(err.message).toBe("The file 'talk.wav' is larger than the 25 MB allowed.");
    expect(err.code).toBe('file_too_large');
  });

  it('round-trips its own encoding (empty fields, binary files with CRLF and dashes inside)', async () => {
    const bin = Buffer.from([0, 13, 10, 45, 45, 255, 13, 10, 13, 10]);
    const { body, contentType } = encodeMultipart([
      ['a', ''],
      ['file', { filename: 'f.bin', contentType: 'application/octet-stream', data: bin }],
      ['b', 'two'],
    ]);
    const form = await readMultipart(body, contentType, LIMITS);
    expect({ ...form.fields }).toEqual({ a: '', b: 'two' });
    expect(form.files[0].data.equals(bin)).toBe(true);
  });

  it('a part ends only at CRLF + delimiter: the boundary text inside data does not cut it', async () => {
    const content = 'x--abc still data\n--abc-- and more';
    const raw = `--abc\r\nContent-Disposition: form-data; name="f"; filename="d.txt"\r\n\r\n${content}\r\n--abc--\r\n`;
    expect((await readMultipart(Buffer.from(raw), CT, LIMITS)).files[0].data.toString()).toBe(content);
  });

  it('accepts a preamble, an epilogue and a quoted boundary; a path in a filename is cut to its last part', async () => {
    const raw = 'preamble to ignore\r\n--abc\r\nContent-Disposition: form-data; name="k"\r\n\r\nv\r\n--abc\r\nContent-Disposition: form-data; name="f"; filename="../../etc/passwd"\r\n\r\nx\r\n--abc--\r\nepilogue';
    const form = await readMultipart(Buffer.from(raw), 'multipart/form-data; boundary="abc"', LIMITS);
    expect({ ...form.fields }).toEqual({ k: 'v' });
    expect(form.files[0].filename).toBe('passwd');
  });

  it('refuses malformed bodies and wrong content types with a 400 that says what is wrong', async () => {
    const cases: [string, string | undefined, string, RegExp][] = [
      ['no boundary at all', CT, 'invalid_multipart', /ends before the closing boundary/],
      ['--abc\r\nContent-Disposition: form-data; name="k"\r\n\r\nv', CT, 'invalid_multipart', /ends before the closing boundary/],
      ['--abc\r\nContent-Disposition: form-data\r\n\r\nv\r\n--abc--', CT, 'invalid_multipart', /a part has no name/],
      ['--abc\r\nContent-Disposition form-data; name="k"\r\n\r\nv\r\n--abc--', CT, 'invalid_multipart', /part header is not a valid/],
      ['', CT, 'invalid_multipart', /ends before the closing boundary/],
      ['--abc--', 'multipart/form-data', 'invalid_content_type', /has no boundary/],
      ['{}', 'application/json', 'invalid_content_type', /not multipart\/form-data/],
      ['{}', undefined, 'invalid_content_type', /not multipart\/form-data/],
    ];
    for (const [raw, type, code, why] of cases) {
      const err = await refusal(readMultipart(Buffer.from(raw), type, LIMITS));
      expect(err.status, raw).toBe(400);
      expect(err.code, raw).toBe(code);
      expect(err.message, raw).toMatch(why);
    }
  });

  it('maps busboy limits: too many files or fields is a 400, a field too long a 413', async () => {
    const part = (name: string, value: string, filename?: string) =>
      `--abc\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n\r\n${value}\r\n`;
    const tight: MultipartLimits = { fileSize: 10, files: 2, fields: 3, fieldSize: 8 };
    const cases: [string, number, string, RegExp][] = [
      [part('a', '1', 'a') + part('b', '2', 'b') + part('c', '3', 'c'), 400, 'invalid_multipart', /more than 2 files/],
      [part('a', '1') + part('b', '2') + part('c', '3') + part('d', '4'), 400, 'invalid_multipart', /more than 3 fields/],
      [part('prompt', '123456789'), 413, 'field_too_large', /The field 'prompt' is longer than 8 bytes/],
      [part('image', '12345678901', 'big.png'), 413, 'file_too_large', /The file 'big\.png' is larger than the 10 bytes allowed/],
    ];
    for (const [raw, status, code, why] of cases) {
      const err = await refusal(readMultipart(Buffer.from(raw + '--abc--\r\n'), CT, tight));
      expect([err.status, err.code], raw).toEqual([status, code]);
      expect(err.message).toMatch(why);
    }
    // Within the limits, the same shapes are read.
    const fine = await readMultipart(Buffer.from(part('a', '1', 'a') + part('b', '12345678') + '--abc--\r\n'), CT, tight);
    expect([fine.files.length, fine.fields.b]).toEqual([1, '12345678']);
  });

  it('a stream that breaks off mid-form is a 400, and a refused stream is drained, not left hanging', async () => {
    const broken = new Readable({ read() {} });
    const pending = readMultipart(broken, CT, LIMITS);
    broken.push(Buffer.from('--abc\r\nContent-Disposition: form-data; name="k"\r\n\r\nv'));
    broken.destroy(new Error('aborted'));
    expect((await refusal(pending)).message).toMatch(/interrupted/);

    const chunks = [Buffer.from('--abc\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n'), ...Array.from({ length: 64 }, () => Buffer.alloc(64 * 1024))];
    const source = Readable.from(chunks);
    const err = await refusal(readMultipart(source, CT, { ...LIMITS, fileSize: 1000 }));
    expect(err.status).toBe(413);
    await new Promise((r) => source.once('close', r));
    expect(source.readableEnded).toBe(true);
  });
});

describe('multipart/form-data writer', () => {
  it('writes byte for byte what undici FormData writes (names and filenames escaped alike)', async () => {
    const entries: [string, FormValue][] = [
      ['model', 'gpt-image-1'],
      ['prompt', 'a "quoted" prompt — 世界'],
      ['we"ird\r\nname', 'v'],
      ['image[]', { filename: 'a "b".png', contentType: 'image/png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 0, 255]) }],
      ['image[]', { filename: '世界\n.png', contentType: 'image/webp', data: Buffer.from('RIFF') }],
      ['empty', ''],
    ];
    const fd = new FormData();
    for (const [name, v] of entries) typeof v === 'string' ? fd.append(name, v) : fd.append(name, new Blob([new Uint8Array(v.data)], { type: v.contentType }), v.filename);
    const theirs = await undiciForm(fd);
    const boundary = /boundary=(.+)$/.exec(theirs.contentType)![1];
    const ours = encodeWithBoundary(entries, boundary);
    expect(ours.contentType).toBe(theirs.contentType);
    expect(ours.body.toString('latin1')).toBe(theirs.body.toString('latin1'));
  });

  it('each body gets its own random boundary', () => {
    const a = encodeMultipart([['k', 'v']]).contentType;
    const b = encodeMultipart([['k', 'v']]).contentType;
    expect(a).toMatch(/^multipart\/form-data; boundary=----apigpt[0-9a-f]{24}$/);
    expect(a).not.toBe(b);
  });
});

/** SHA-256 for smithy's signer, from node:crypto (what @smithy/hash-node does). */
class NodeSha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

/** AWS's own SigV4 implementation (the one in the AWS SDK), configured as the SDK configures it for S3. */
const awsSigner = (creds: { accessKeyId: string; secretAccessKey: string; region: string }) =>
  new SignatureV4({ credentials: creds, region: creds.region, service: 's3', sha256: NodeSha256, uriEscapePath: false, applyChecksum: false });

const signatureOf = (auth: string) => /Signature=([0-9a-f]{64})$/.exec(auth)?.[1];

/** AWS's published worked example (S3 docs, "GET Object"): its exact inputs and the signature AWS gives for them. */
const AWS_EXAMPLE = {
  creds: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', region: 'us-east-1' },
  datetime: '20130524T000000Z',
  signature: 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  signedHeaders: 'host;range;x-amz-content-sha256;x-amz-date',
};

describe('S3 signing (SigV4 by aws4fetch)', () => {
  it("matches AWS's worked GET Object example", async () => {
    const headers = await signS3(
      { method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'), headers: { range: 'bytes=0-9' }, payloadHash: sha256Hex(''), datetime: AWS_EXAMPLE.datetime },
      AWS_EXAMPLE.creds,
    );
    expect(headers.authorization).toMatch(`Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=${AWS_EXAMPLE.signedHeaders}, `);
    expect(signatureOf(headers.authorization)).toBe(AWS_EXAMPLE.signature);
    expect(headers).toMatchObject({ 'x-amz-date': AWS_EXAMPLE.datetime, 'x-amz-content-sha256': sha256Hex(''), range: 'bytes=0-9' });
  });

  it("the fake S3's verifier (AWS SDK's signer) gives AWS's signature for the same example", async () => {
    const signed = await awsSigner(AWS_EXAMPLE.creds).sign(
      { method: 'GET', protocol: 'https:', hostname: 'examplebucket.s3.amazonaws.com', path: '/test.txt', query: {}, headers: { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9', 'x-amz-content-sha256': sha256Hex('') } },
      { signingDate: new Date('2013-05-24T00:00:00Z') },
    );
    expect(signatureOf(String(signed.headers.authorization))).toBe(AWS_EXAMPLE.signature);
  });
});

const CREDS = { accessKeyId: 'AKIDTESTIMAGES', secretAccessKey: 'secret/for+images', region: 'eu-central-1' };

/** S3's canonical URI: each path segment decoded, then percent-encoded once with RFC 3986's unreserved set kept. */
function s3CanonicalPath(rawPath: string): string {
  const strict = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return rawPath
    .split('/')
    .map((seg) => strict(decodeURIComponent(seg)))
    .join('/');
}

/**
 * A small S3-speaking server (PUT/GET object, path-style) that checks every request as S3 does:
 * the SigV4 signature, recomputed with the AWS SDK's own signer (not the client's aws4fetch) over the
 * headers the request says it signed; the credential scope; the clock skew; and the payload hash
 * against the body received. Anything else is refused with S3's XML errors.
 */
async function startFakeS3(): Promise<{ url: string; objects: Map<string, { data: Buffer; type: string }>; refused: number; close(): Promise<void> }> {
  const objects = new Map<string, { data: Buffer; type: string }>();
  const state = { refused: 0 };
  const signer = awsSigner(CREDS);
  const xml = (code: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code></Error>`;
  const verify = async (req: IncomingMessage, body: Buffer, url: URL): Promise<string | null> => {
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
    if (!m) return 'AuthorizationHeaderMalformed';
    const [, keyId, day, region, signedList, signature] = m;
    if (keyId !== CREDS.accessKeyId) return 'InvalidAccessKeyId';
    const date = String(req.headers['x-amz-date'] ?? '');
    const when = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    if (!when || day !== date.slice(0, 8) || region !== CREDS.region) return 'AuthorizationHeaderMalformed';
    const signingDate = new Date(`${when[1]}-${when[2]}-${when[3]}T${when[4]}:${when[5]}:${when[6]}Z`);
    if (Math.abs(Date.now() - signingDate.getTime()) > 15 * 60_000) return 'RequestTimeTooSkewed';
    const signed = signedList.split(';');
    if (!['host', 'x-amz-date', 'x-amz-content-sha256'].every((h) => signed.includes(h))) return 'AccessDenied';
    const hash = String(req.headers['x-amz-content-sha256']);
    if (hash !== sha256Hex(body)) return 'XAmzContentSHA256Mismatch';
    const headers = Object.fromEntries(signed.map((h) => [h, String(req.headers[h] ?? '')]));
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const expected = await signer.sign({ method: req.method!, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: s3CanonicalPath(url.pathname), query, headers }, { signingDate });
    return signatureOf(String(expected.headers.authorization)) === signature ? null : 'SignatureDoesNotMatch';
  };
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url!, `http://${req.headers.host}`);
    const problem = await verify(req, body, url);
    if (problem) {
      state.refused++;
      res.writeHead(403, { 'content-type': 'application/xml' }).end(xml(problem));
      return;
    }
    const key = url.pathname.slice(1).split('/').map(decodeURIComponent).join('/');
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
    // Keys S3 encodes differently from encodeURIComponent (!'()*), and non-ASCII, sign and land where asked.
    await client.put("images/it's (1)*!+é.png", Buffer.from('odd'), 'image/png');
    expect(s3.objects.get("b/images/it's (1)*!+é.png")?.data.toString()).toBe('odd');
    expect((await client.get("images/it's (1)*!+é.png"))?.data.toString()).toBe('odd');
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

import { createHash, createHmac } from 'node:crypto';
import { Agent, request } from 'undici';
import { GatewayError } from '../core/errors.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface SignInput {
  method: string;
  url: URL;
  /** Headers to sign (lower- or mixed-case names); `host` is added from the URL when absent. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. */
  payloadHash: string;
  /** `YYYYMMDDTHHMMSSZ` */
  amzDate: string;
  service?: string;
}

/**
 * AWS Signature Version 4 for one request: returns the `Authorization` header value. Written from
 * the published algorithm (canonical request → string to sign → derived key) and checked against
 * AWS's own worked example in the tests.
 */
export function signV4(input: SignInput, creds: S3Credentials): string {
  const service = input.service ?? 's3';
  const headers = new Map<string, string>();
  for (const [k, v] of Object.entries(input.headers)) headers.set(k.toLowerCase(), v.trim().replace(/\s+/g, ' '));
  if (!headers.has('host')) headers.set('host', input.url.host);
  const names = [...headers.keys()].sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers.get(n)}\n`).join('');
  const signedHeaders = names.join(';');
  const query = [...input.url.searchParams]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [input.method, canonicalPath(input.url.pathname), query, canonicalHeaders, signedHeaders, input.payloadHash].join('\n');
  const day = input.amzDate.slice(0, 8);
  const scope = `${day}/${creds.region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', input.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${creds.secretAccessKey}`, day);
  for (const part of [creds.region, service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`;
}

export function amzDate(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** S3 signs the path as sent: each segment percent-encoded once (RFC 3986 unreserved kept), slashes kept. */
function canonicalPath(pathname: string): string {
  return pathname
    .split('/')
    .map((seg) => rfc3986(safeDecode(seg)))
    .join('/');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface S3Config extends S3Credentials {
  /** `https://s3.example.com` (path-style addressing: `<endpoint>/<bucket>/<key>`, which every S3-compatible server accepts). */
  endpoint: string;
  bucket: string;
}

/** The two calls image storage needs, PUT and GET of one object, signed with SigV4 and sent with undici. */
export class S3Client {
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connect: { timeout: 10_000 } });

  constructor(private readonly cfg: S3Config) {}

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    const res = await this.send('PUT', key, body, { 'content-type': contentType });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) throw s3Error('store', res.statusCode, text);
  }

  /** The object, or null when the bucket has no such key. */
  async get(key: string): Promise<{ data: Buffer; contentType: string } | null> {
    const res = await this.send('GET', key);
    if (res.statusCode === 404) {
      await res.body.dump();
      return null;
    }
    const data = Buffer.from(await res.body.arrayBuffer());
    if (res.statusCode < 200 || res.statusCode >= 300) throw s3Error('read', res.statusCode, data.toString('utf8'));
    const ct = res.headers['content-type'];
    return { data, contentType: typeof ct === 'string' ? ct : 'application/octet-stream' };
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async send(method: 'PUT' | 'GET', key: string, body?: Buffer, extra: Record<string, string> = {}) {
    const base = this.cfg.endpoint.replace(/\/+$/, '');
    const url = new URL(`${base}/${encodeURIComponent(this.cfg.bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`);
    const payloadHash = sha256Hex(body ?? '');
    const headers: Record<string, string> = { ...extra, 'x-amz-date': amzDate(), 'x-amz-content-sha256': payloadHash };
    headers.authorization = signV4({ method, url, headers, payloadHash, amzDate: headers['x-amz-date'] }, this.cfg);
    try {
      return await request(url, { method, headers, body, dispatcher: this.agent, headersTimeout: 30_000, bodyTimeout: 60_000 });
    } catch (err) {
      throw new GatewayError('internal', 'The image storage could not be reached.', { cause: err, code: 'storage_unreachable' });
    }
  }
}

function s3Error(what: string, status: number, text: string): GatewayError {
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `HTTP ${status}`;
  return new GatewayError('internal', `The image storage refused to ${what} an image.`, { cause: new Error(`S3 ${status} ${code}`), code: 'storage_error' });
}

import { createHash } from 'node:crypto';
import { AwsV4Signer } from 'aws4fetch';
import { Agent } from '../core/undici.js';
import { GatewayError } from '../core/errors.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface S3SignInput {
  method: string;
  url: URL;
  /** Headers to send and sign besides `host`, `x-amz-date` and `x-amz-content-sha256`. */
  headers?: Record<string, string>;
  /** Hex SHA-256 of the body (sent as `x-amz-content-sha256`), or `UNSIGNED-PAYLOAD`. */
  payloadHash: string;
  /** `YYYYMMDDTHHMMSSZ`; now when not given. */
  datetime?: string;
}

/**
 * AWS Signature Version 4 (header form) of one S3 request, by aws4fetch's signer: returns every
 * header to send, `authorization` included. aws4fetch's `AwsClient.fetch` is not used: requests go
 * through undici with our own agent and timeouts, and without its retries.
 */
export async function signS3(input: S3SignInput, creds: S3Credentials): Promise<Record<string, string>> {
  const signer = new AwsV4Signer({
    method: input.method,
    url: input.url.toString(),
    headers: { ...input.headers, 'x-amz-content-sha256': input.payloadHash },
    accessKeyId: creds.accessKeyId,
    secretAccessKey: creds.secretAccessKey,
    region: creds.region,
    service: 's3',
    datetime: input.datetime,
    // Sign every header given, content-type included (aws4fetch leaves content-type and range out by default).
    allHeaders: true,
  });
  const signed = await signer.sign();
  return Object.fromEntries(signed.headers);
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A path segment as S3 canonicalises it: RFC 3986 unreserved characters kept, all else percent-encoded. */
function encodeSegment(s: string): string {
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
    // Sent already in canonical form, so the path S3 reads is the one that was signed.
    const url = new URL(`${base}/${encodeSegment(this.cfg.bucket)}/${key.split('/').map(encodeSegment).join('/')}`);
    // The real hash rather than UNSIGNED-PAYLOAD: the body is in memory anyway, and S3 then checks it.
    const headers = await signS3({ method, url, headers: extra, payloadHash: sha256Hex(body ?? '') }, this.cfg);
    try {
      // undici's `request` comes with its whole index (core/undici.ts): loaded when images are first stored.
      const { request } = await import('undici');
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

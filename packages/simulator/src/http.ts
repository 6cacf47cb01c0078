// Request-side plumbing: body reading, JSON/multipart parsing, header flattening.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

const MAX_BODY = 64 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on('end', () => resolve(parts.length === 1 ? parts[0] : Buffer.concat(parts)));
    req.on('error', reject);
  });
}

export function flattenHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export interface UploadedFile {
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface ParsedBody {
  /** Parsed JSON, or the text fields of a multipart form; null when empty/not parseable. */
  body: unknown;
  files: Record<string, UploadedFile>;
  /** True when the body claimed to be JSON but did not parse. */
  invalidJson: boolean;
}

export function parseBody(raw: Buffer, contentType: string | undefined): ParsedBody {
  const ct = (contentType ?? '').toLowerCase();
  if (raw.length === 0) return { body: null, files: {}, invalidJson: false };
  if (ct.startsWith('multipart/form-data')) {
    const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
    const boundary = m ? (m[1] ?? m[2]).trim() : '';
    return boundary ? parseMultipart(raw, boundary) : { body: null, files: {}, invalidJson: false };
  }
  if (ct.startsWith('application/x-www-form-urlencoded')) {
    return { body: Object.fromEntries(new URLSearchParams(raw.toString('utf8'))), files: {}, invalidJson: false };
  }
  try {
    return { body: JSON.parse(raw.toString('utf8')), files: {}, invalidJson: false };
  } catch {
    return { body: null, files: {}, invalidJson: ct.includes('json') || ct === '' };
  }
}

/**
 * Minimal multipart/form-data reader (Stability's form posts, OpenAI audio uploads). A field whose
 * name ends in `[]` (e.g. `timestamp_granularities[]`) collects every value into an array.
 */
function parseMultipart(raw: Buffer, boundary: string): ParsedBody {
  const fields: Record<string, string | string[]> = {};
  const files: Record<string, UploadedFile> = {};
  const delim = Buffer.from(`--${boundary}`);
  let pos = raw.indexOf(delim);
  while (pos >= 0) {
    let start = pos + delim.length;
    if (raw[start] === 0x2d && raw[start + 1] === 0x2d) break; // closing "--"
    if (raw[start] === 0x0d && raw[start + 1] === 0x0a) start += 2;
    const next = raw.indexOf(delim, start);
    if (next < 0) break;
    const part = raw.subarray(start, next - 2); // strip the CRLF before the delimiter
    const headEnd = part.indexOf('\r\n\r\n');
    if (headEnd >= 0) {
      const head = part.subarray(0, headEnd).toString('utf8');
      const data = part.subarray(headEnd + 4);
      const name = /(?:^|[;\s])name="([^"]*)"/i.exec(head)?.[1];
      const filename = /filename="([^"]*)"/i.exec(head)?.[1];
      const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? 'application/octet-stream';
      if (name !== undefined) {
        if (filename !== undefined) files[name] = { filename, contentType: type, data: Buffer.from(data) };
        else if (name.endsWith('[]')) {
          const prev = fields[name];
          fields[name] = [...(Array.isArray(prev) ? prev : prev === undefined ? [] : [prev]), data.toString('utf8')];
        } else fields[name] = data.toString('utf8');
      }
    }
    pos = next;
  }
  return { body: fields, files, invalidJson: false };
}

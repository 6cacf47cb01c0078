import { randomBytes } from 'node:crypto';
import { GatewayError } from '../core/errors.js';

/**
 * multipart/form-data (RFC 7578), both ways: reading the uploads of `/v1/images/edits`, and writing
 * the forms Stability and OpenAI's edits endpoint require. Fastify has no multipart parser built in;
 * the format is small enough that a careful reader is less code to trust than a dependency.
 */

export interface FormFile {
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface ParsedForm {
  fields: Record<string, string>;
  /** Files by field name; a name sent several times (`image[]`) keeps every file in order. */
  files: Record<string, FormFile[]>;
}

export interface FormLimits {
  maxParts: number;
  maxFieldBytes: number;
}

const DEFAULT_LIMITS: FormLimits = { maxParts: 32, maxFieldBytes: 64 * 1024 };
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data` content type, or null when there is none. */
export function boundaryOf(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType.trim())) return null;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : null;
}

/** Reads a whole form. Throws a 400 GatewayError naming what is wrong with a malformed body. */
export function parseMultipart(body: Buffer, boundary: string, limits: FormLimits = DEFAULT_LIMITS): ParsedForm {
  const bad = (why: string) => new GatewayError('invalid_request', `The multipart/form-data body is malformed: ${why}.`, { code: 'invalid_multipart' });
  const delimiter = Buffer.from(`--${boundary}`);
  const form: ParsedForm = { fields: {}, files: {} };
  // The first delimiter may be preceded by a preamble, which is ignored.
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw bad('the boundary never appears');
  let parts = 0;
  for (;;) {
    pos += delimiter.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return form; // "--": the closing delimiter
    // Transport padding (spaces/tabs) may follow a delimiter before its CRLF.
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++;
    if (!body.subarray(pos, pos + 2).equals(CRLF)) throw bad('a boundary line does not end with CRLF');
    pos += 2;
    const headEnd = body.indexOf(HEADER_END, pos);
    if (headEnd < 0) throw bad('a part has no end of headers');
    const headers = parsePartHeaders(body.subarray(pos, headEnd).toString('latin1'));
    const contentStart = headEnd + 4;
    // A part's content ends at CRLF + the next delimiter: searching for that whole sequence means
    // the boundary text inside binary data without the preceding CRLF cannot end it early.
    const next = body.indexOf(Buffer.concat([CRLF, delimiter]), contentStart);
    if (next < 0) throw bad('the closing boundary is missing');
    const content = body.subarray(contentStart, next);
    if (++parts > limits.maxParts) throw bad(`more than ${limits.maxParts} parts`);
    const disposition = headers['content-disposition'];
    if (!disposition) throw bad('a part has no Content-Disposition');
    const params = dispositionParams(disposition);
    const name = params.name;
    if (name === undefined) throw bad('a part has no name');
    if (params.filename !== undefined) {
      (form.files[name] ??= []).push({ filename: params.filename, contentType: headers['content-type'] ?? 'application/octet-stream', data: Buffer.from(content) });
    } else {
      if (content.length > limits.maxFieldBytes) throw bad(`the field '${name}' is longer than ${limits.maxFieldBytes} bytes`);
      form.fields[name] = content.toString('utf8');
    }
    pos = next + 2;
  }
}

function parsePartHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return out;
}

/** `form-data; name="image"; filename="a b.png"` → {name, filename}; quoted values may contain `;` and `\"`. */
function dispositionParams(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /;\s*([a-zA-Z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const key = m[1].toLowerCase();
    const raw = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3].trim();
    if (key === 'filename*') {
      // RFC 5987: charset'lang'percent-encoded; preferred over plain filename when present.
      const ext = /^[^']*'[^']*'(.*)$/.exec(raw);
      try {
        out.filename = decodeURIComponent(ext ? ext[1] : raw);
      } catch {
        out.filename = raw;
      }
    } else if (!(key === 'filename' && out.filename !== undefined)) {
      out[key] = raw;
    }
  }
  return out;
}

export type FormValue = string | FormFile;

/** Encodes fields and files as one multipart/form-data body with a fresh random boundary. */
export function encodeMultipart(entries: [string, FormValue][]): { body: Buffer; contentType: string } {
  const boundary = `----apigpt${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of entries) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"`;
    if (typeof value === 'string') {
      chunks.push(Buffer.from(`${head}\r\n\r\n`, 'utf8'), Buffer.from(value, 'utf8'), CRLF);
    } else {
      head += `; filename="${quote(value.filename)}"\r\nContent-Type: ${value.contentType}`;
      chunks.push(Buffer.from(`${head}\r\n\r\n`, 'utf8'), value.data, CRLF);
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Quotes and CR/LF are escaped as browsers do (WHATWG form encoding), so a name cannot break the header. */
function quote(s: string): string {
  return s.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** The built console, wherever this module runs from (`src/http` under tests, `dist/http` in production). */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../console/dist', import.meta.url));

/** Paths that belong to the APIs: an unknown URL under them must get the API's JSON 404, never the app's HTML. */
const API_PREFIXES = ['/api', '/v1', '/v1beta', '/sdapi'];

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Vite puts content-hashed bundles here, so a file's name changes whenever its bytes do. */
const HASHED_DIR = '/assets/';

const MISSING_BUILD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>APIGPT</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>APIGPT gateway is running</h1>
<p>The web console has not been built yet. Run <code>npm run build</code> in the repository, then reload this page.</p>
<p>控制台尚未构建。请在仓库中运行 <code>npm run build</code>，然后刷新本页。</p>
<p>The API works already: <a href="/api/docs">/api/docs</a>.</p>
</body></html>`;

export interface ConsoleOptions {
  /** Folder holding the built single-page app (index.html + assets/). */
  dir?: string;
  /** Sent with every file and page (content security policy, frame protection: core/page-headers.ts). */
  headers?: Record<string, string>;
}

/**
 * Serves the console's static build at `/` with a single-page-app fallback: any GET that is not a
 * file and not under an API prefix answers index.html, so client-side routes survive a reload.
 * Registered last-resort (a wildcard), so every real route wins over it.
 */
export function registerConsole(app: FastifyInstance, opts: ConsoleOptions = {}): void {
  const root = resolve(opts.dir ?? DEFAULT_CONSOLE_DIR);
  const headers = opts.headers ?? {};

  app.get('/*', { config: { auth: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const path = decodePath(req.url.split('?')[0]);
    if (path === null || API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return reply.callNotFound();
    reply.headers(headers);

    const encodings = acceptedEncodings(req.headers['accept-encoding']);
    const file = path === '/' ? null : await fileUnder(root, path);
    if (file) return sendFile(reply, await precompressed(file, encodings), path.startsWith(HASHED_DIR));
    // A missing hashed asset is a stale tab asking for an old bundle: a 404 lets it fail loudly
    // instead of parsing index.html as JavaScript.
    if (path.startsWith(HASHED_DIR) || extname(path) !== '') return reply.callNotFound();

    const index = await fileUnder(root, '/index.html');
    if (!index) return reply.code(200).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(MISSING_BUILD_PAGE);
    return sendFile(reply, await precompressed(index, encodings), false);
  });
}

export function decodePath(raw: string): string | null {
  try {
    const p = decodeURIComponent(raw);
    return p.includes('\0') ? null : p;
  } catch {
    return null;
  }
}

/** Resolves a URL path to a regular file inside root; traversal (`..`) outside root yields nothing. */
export async function fileUnder(root: string, urlPath: string): Promise<{ path: string; size: number } | null> {
  const full = resolve(root, `.${normalize(urlPath)}`);
  if (full !== root && !full.startsWith(root + sep)) return null;
  try {
    const s = await stat(full);
    return s.isFile() ? { path: full, size: s.size } : null;
  } catch {
    return null;
  }
}

/** Text files the build precompresses (console/vite.config.ts `precompress`); images and fonts are compressed already. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt', '.webmanifest']);

/** The build's siblings, best first: `.br` (Brotli) is about a fifth smaller than `.gz` on the bundles. */
const PRECOMPRESSED = [
  { encoding: 'br', suffix: '.br' },
  { encoding: 'gzip', suffix: '.gz' },
] as const;

type Encoding = (typeof PRECOMPRESSED)[number]['encoding'];

interface Found {
  path: string;
  size: number;
}

export interface Sendable extends Found {
  /** The file the bytes stand for (its extension gives the content type). */
  original: string;
  encoding: Encoding | null;
  compressible: boolean;
}

/**
 * The encodings a client accepts, from `Accept-Encoding` (RFC 9110 §12.5.3): listed with a
 * non-zero quality, or covered by `*`. Quality order does not matter here: Brotli is preferred
 * whenever accepted, as every browser that sends `br` lists it beside `gzip`.
 */
export function acceptedEncodings(header: string | string[] | undefined): Set<Encoding> {
  const out = new Set<Encoding>();
  const refused = new Set<string>();
  let star = false;
  for (const part of (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const zero = q !== undefined && Number(q.slice(2)) === 0;
    if (name === '*') star = !zero;
    else if (zero) refused.add(name);
    else if (name === 'br' || name === 'gzip') out.add(name);
    else if (name === 'x-gzip') out.add('gzip');
  }
  if (star) for (const { encoding } of PRECOMPRESSED) if (!refused.has(encoding)) out.add(encoding);
  return out;
}

/** The precompressed sibling the client accepts, when the build made one; the file itself otherwise. */
export async function precompressed(file: Found, accepted: Set<Encoding>): Promise<Sendable> {
  const compressible = COMPRESSIBLE.has(extname(file.path).toLowerCase());
  if (compressible)
    for (const { encoding, suffix } of PRECOMPRESSED) {
      if (!accepted.has(encoding)) continue;
      try {
        const s = await stat(file.path + suffix);
        if (s.isFile()) return { path: file.path + suffix, size: s.size, original: file.path, encoding, compressible };
      } catch {
        // no sibling of this encoding: try the next
      }
    }
  return { ...file, original: file.path, encoding: null, compressible };
}

function sendFile(reply: FastifyReply, file: Sendable, immutable: boolean): FastifyReply {
  const { path, size } = file;
  if (file.encoding) reply.header('content-encoding', file.encoding);
  // Caches keep one copy per encoding: the same URL answers Brotli, gzip or plain bytes.
  if (file.compressible) reply.header('vary', 'Accept-Encoding');
  reply
    .header('content-type', CONTENT_TYPES[extname(file.original).toLowerCase()] ?? 'application/octet-stream')
    .header('content-length', size)
    .header('x-content-type-options', 'nosniff')
    // index.html must be revalidated so a new deploy's bundle names are picked up at once.
    .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  return reply.send(createReadStream(path));
}

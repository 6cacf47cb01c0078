import { createReadStream } from 'node:fs';
import { extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { acceptedEncodings, CONTENT_TYPES, decodePath, fileUnder, precompressed, type Sendable } from './console.js';

/**
 * The built AGIEditor (packages/editor/dist): its bundle `agi-editor.js` and the demo page. Read
 * from disk like the console; the gateway never imports the editor's code.
 */
export const DEFAULT_EDITOR_DIR = fileURLToPath(new URL('../../../../packages/editor/dist', import.meta.url));

/** The bundle's name is fixed (pages link it): a short cache keeps a new deploy visible soon. */
const BUNDLE_CACHE = 'public, max-age=300';

export interface EditorOptions {
  dir?: string;
  /** The page headers (content security policy, frame protection) for the demo page. */
  headers?: Record<string, string>;
}

/**
 * `GET /editor/` is the demo page, `GET /editor/agi-editor.js` the bundle any page may load with
 * `<script type="module">`. A module script is fetched in CORS mode, so the files carry
 * `access-control-allow-origin: *` (no credentials: they are the same public bytes for everyone)
 * and a cross-origin resource policy that lets other sites embed them.
 */
export function registerEditor(app: FastifyInstance, opts: EditorOptions = {}): void {
  const root = resolve(opts.dir ?? DEFAULT_EDITOR_DIR);
  const pageHeaders = opts.headers ?? {};
  const route = { config: { auth: 'public' as const }, schema: { hide: true } };

  app.get('/editor', route, async (_req, reply) => reply.redirect('/editor/', 301));

  app.get('/editor/*', route, async (req, reply) => {
    const path = decodePath(req.url.split('?')[0]);
    const rel = path === null ? null : path.slice('/editor'.length) === '/' ? '/index.html' : path.slice('/editor'.length);
    const file = rel === null ? null : await fileUnder(root, rel);
    if (!file || rel === null) {
      return reply.code(404).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(`Not found: ${path ?? ''}. The editor is built by \`npm run build\` (packages/editor/dist).`);
    }
    // The build writes Brotli and gzip siblings of the bundle (scripts/build.mjs), sent as the console's are.
    const sendable = await precompressed(file, acceptedEncodings(req.headers['accept-encoding']));
    if (rel.endsWith('.html')) {
      reply.headers(pageHeaders);
      return send(reply, sendable, 'no-cache');
    }
    reply.header('access-control-allow-origin', '*').header('cross-origin-resource-policy', 'cross-origin');
    return send(reply, sendable, BUNDLE_CACHE);
  });
}

function send(reply: FastifyReply, file: Sendable, cacheControl: string): FastifyReply {
  if (file.encoding) reply.header('content-encoding', file.encoding);
  if (file.compressible) reply.header('vary', 'Accept-Encoding');
  return reply
    .header('content-type', CONTENT_TYPES[extname(file.original).toLowerCase()] ?? 'application/octet-stream')
    .header('content-length', file.size)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', cacheControl)
    .send(createReadStream(file.path));
}

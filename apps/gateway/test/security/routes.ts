import type { FastifyInstance } from 'fastify';

/**
 * Every route the server has, as `METHOD /path`, read from Fastify's route tree (`printRoutes` with
 * full paths: one line per node, children indented by four characters under their parent).
 * HEAD routes are the automatic twins of GET routes and are left out.
 */
export function routeTable(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = [...m[1]].length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + m[2];
    stack[depth] = path;
    for (const method of (m[3] ?? '').split(', ')) if (method && method !== '-' && method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return out;
}

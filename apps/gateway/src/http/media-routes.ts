import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../core/errors.js';
import { STORED_NAME, type ImageLinks } from '../media/storage.js';

/** `/files/images/*`: the signed, expiring links that image answers with `url` point to. */
export function registerMediaRoutes(app: FastifyInstance, links: ImageLinks): void {
  app.get('/files/images/:name', { schema: { hide: true } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const q = request.query as Record<string, unknown>;
    const verdict = STORED_NAME.test(name) ? links.check(name, q.exp, q.sig) : 'bad_signature';
    if (verdict !== 'ok')
      throw new GatewayError('permission', verdict === 'expired' ? 'This image link has expired.' : 'This image link is not valid.', { code: verdict === 'expired' ? 'link_expired' : 'invalid_signature' });
    const image = await links.get(name);
    if (!image) throw new GatewayError('not_found', 'This image is no longer stored.', { code: 'image_not_found' });
    const exp = Number(q.exp);
    return reply
      .header('content-type', image.contentType)
      .header('cache-control', `private, max-age=${Math.max(0, exp - Math.floor(Date.now() / 1000))}`)
      .header('x-content-type-options', 'nosniff')
      .send(image.data);
  });
}

import type { FastifyInstance } from 'fastify';
import type { GatewayError } from '../../core/errors.js';
import type { FormatHost } from '../host.js';
import { WebuiGenerationBody } from '../openai/images/schemas.js';

/**
 * A1111's own API (`/sdapi/v1/txt2img`, `img2img`, `sd-models`) through the gateway, for WebUI
 * clients that cannot speak OpenAI. Errors come back in A1111's shape; the key arrives as a bearer
 * token, or as the password of HTTP Basic (the only auth `--api-auth` clients know).
 */
export function registerWebuiRoutes(app: FastifyInstance, host: FormatHost): void {
  const config = { dialect: 'sd-webui' };
  const tags = ['Images'];
  const auth = async (request: Parameters<FormatHost['requireKey']>[0]) => {
    const header = request.headers.authorization;
    if (typeof header === 'string' && /^basic /i.test(header)) {
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      const password = decoded.slice(decoded.indexOf(':') + 1);
      if (password) request.headers.authorization = `Bearer ${password}`;
    }
    request.apiKey = await host.requireKey(request, 'openai');
  };
  for (const endpoint of ['/sdapi/v1/txt2img', '/sdapi/v1/img2img'] as const) {
    app.post(endpoint, { config, onRequest: auth, schema: { tags, summary: `A1111 WebUI ${endpoint.slice(10)} through the gateway (pass-through to a sd-webui channel)`, body: WebuiGenerationBody, security: [{ bearer: [] }] } }, async (request, reply) =>
      host.run(request, reply, { kind: 'webui', endpoint, body: request.body as Record<string, unknown> }, 'sd-webui'),
    );
  }
  app.get('/sdapi/v1/sd-models', { config, onRequest: auth, schema: { tags, summary: 'Checkpoints this key may use, in A1111 shape', security: [{ bearer: [] }] } }, async (request) => {
    const allowed = request.apiKey!.limits?.models;
    const models = (await host.webuiModels(request.apiKey!.group)).filter((m) => !allowed || allowed.includes(m));
    // `title` is what a client sends back as override_settings.sd_model_checkpoint, so it is the gateway's model name.
    return models.map((name) => ({ title: name, model_name: name.replace(/\.(safetensors|ckpt)\b.*$/, ''), hash: null, sha256: null, filename: name, config: null }));
  });
}

/** A1111's error body (FastAPI's HTTPException as the WebUI sends it). */
export function renderWebuiError(e: GatewayError): { status: number; body: unknown } {
  return { status: e.status, body: { error: e.code ?? e.kind, detail: e.message, body: '', errors: '' } };
}

// Azure OpenAI (§2): OpenAI bodies behind deployment-scoped URLs with `api-version`, the
// `api-key` header, content-filter annotations, and Azure's own routing/auth error bodies.
import { header } from '../http.js';
import type { Ctx, Dialect, Outcome, Route } from '../route.js';
import { chatCompletion, chatDirectiveText, type ChatFlavor } from './openai-chat.js';
import { bearer, completions, embeddings, listModels, openaiError, promptList, validateChat } from './openai.js';

export const azureDialect: Dialect = {
  name: 'azure',
  authorize(ctx, apiKey) {
    const key = header(ctx.req, 'api-key') ?? bearer(ctx.req);
    if (key === apiKey) return null;
    return {
      kind: 'json',
      status: 401,
      body: {
        error: {
          code: '401',
          message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
        },
      },
    };
  },
  error: (status, message, code) => openaiError(status, message, code),
  modelNotFound: (model) => ({
    kind: 'json',
    status: 404,
    body: { error: { code: 'DeploymentNotFound', message: `The API deployment ${model} for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.` } },
  }),
};

const RESOURCE_NOT_FOUND: Outcome = { kind: 'json', status: 404, body: { error: { code: '404', message: 'Resource not found' } } };

/** Dated URLs need `api-version`; without it Azure answers a bare 404. */
function needsVersion(ctx: Ctx, then: () => Outcome): Outcome {
  return ctx.query['api-version'] ? then() : RESOURCE_NOT_FOUND;
}

function azureFlavor(model: string | undefined): ChatFlavor {
  return { idPrefix: 'chatcmpl-', object: true, streamUsage: 'option', azure: true, openaiExtras: true, model };
}

const deployment = (ctx: Ctx): string => decodeURIComponent(ctx.params.deployment);
const bodyModel = (ctx: Ctx): string | undefined => (typeof ctx.body?.model === 'string' ? ctx.body.model : undefined);
const lastPrompt = (b: { prompt?: unknown }): string => {
  const l = promptList(b.prompt);
  const s = l[l.length - 1];
  return typeof b.prompt === 'string' ? b.prompt : typeof s === 'string' ? s : '';
};
const lastInput = (b: { input?: unknown }): string => (typeof b.input === 'string' ? b.input : Array.isArray(b.input) && typeof b.input[b.input.length - 1] === 'string' ? b.input[b.input.length - 1] : '');

const DEP = '\\/openai\\/deployments\\/(?<deployment>[^/]+)';

export const azureRoutes: Route[] = [
  {
    method: 'POST',
    pattern: new RegExp(`^${DEP}\\/chat\\/completions$`),
    dialect: azureDialect,
    directiveText: chatDirectiveText,
    model: deployment,
    handle: (ctx) => needsVersion(ctx, () => validateChat(ctx, openaiError, false) ?? chatCompletion(ctx, azureFlavor(deployment(ctx)))),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${DEP}\\/completions$`),
    dialect: azureDialect,
    directiveText: lastPrompt,
    model: deployment,
    handle: (ctx) => needsVersion(ctx, () => completions(ctx, deployment(ctx))),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${DEP}\\/embeddings$`),
    dialect: azureDialect,
    directiveText: lastInput,
    model: deployment,
    handle: (ctx) => needsVersion(ctx, () => embeddings(ctx, { model: deployment(ctx) })),
  },
  // The v1 API: OpenAI paths under /openai/v1, the body's `model` is the deployment name.
  {
    method: 'POST',
    pattern: /^\/openai\/v1\/chat\/completions$/,
    dialect: azureDialect,
    directiveText: chatDirectiveText,
    model: bodyModel,
    handle: (ctx) => validateChat(ctx, openaiError) ?? chatCompletion(ctx, azureFlavor(undefined)),
  },
  {
    method: 'POST',
    pattern: /^\/openai\/v1\/completions$/,
    dialect: azureDialect,
    directiveText: lastPrompt,
    model: bodyModel,
    handle: (ctx) => completions(ctx),
  },
  {
    method: 'POST',
    pattern: /^\/openai\/v1\/embeddings$/,
    dialect: azureDialect,
    directiveText: lastInput,
    model: bodyModel,
    handle: (ctx) => embeddings(ctx),
  },
  {
    method: 'GET',
    pattern: /^\/openai\/(?:v1\/)?models$/,
    dialect: azureDialect,
    handle: (ctx) => ({
      kind: 'json',
      body: { object: 'list', data: listModels(ctx).map((id) => ({ id, object: 'model', created: 1715367049, owned_by: 'system', status: 'succeeded' })) },
    }),
  },
];

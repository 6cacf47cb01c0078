// Self-hosted ChatGLM3 "OpenAI-compatible" server (§5.6), mounted under /chatglm: no auth,
// legacy function_call tool shape, no usage in streams, sse-starlette CRLF framing and pings,
// FastAPI `{"detail": ...}` errors.
import type { Ctx, Dialect, Outcome, Route } from '../route.js';
import { chatCompletion, chatDirectiveText, type ChatFlavor } from './openai-chat.js';
import { embeddings } from './openai.js';

export function fastapiError(status: number, message: string): Outcome {
  return { kind: 'json', status, body: { detail: message } };
}

export const chatglmDialect: Dialect = {
  name: 'chatglm',
  authorize: () => null, // the reference servers have no auth at all
  error: (status, message) => fastapiError(status, message),
  modelNotFound: (model) => fastapiError(404, `Model ${model} not found`),
};

const FLAVOR: ChatFlavor = { idPrefix: 'chatcmpl-', object: true, streamUsage: 'never', legacyFunctionsOnly: true, starlette: true };

function chat(ctx: Ctx): Outcome {
  const msgs = ctx.body?.messages;
  if (!Array.isArray(msgs) || msgs.length === 0 || msgs[msgs.length - 1]?.role === 'assistant') return fastapiError(400, 'Invalid request');
  return chatCompletion(ctx, { ...FLAVOR, model: typeof ctx.body.model === 'string' ? ctx.body.model : 'chatglm3-6b' });
}

export const chatglmRoutes: Route[] = [
  { method: 'GET', pattern: /^\/chatglm\/health$/, dialect: chatglmDialect, handle: () => ({ kind: 'bytes', body: '', contentType: 'text/plain' }) },
  {
    method: 'GET',
    pattern: /^\/chatglm\/v1\/models$/,
    dialect: chatglmDialect,
    handle: () => ({ kind: 'json', body: { object: 'list', data: [{ id: 'chatglm3-6b', object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'owner', root: null, parent: null, permission: null }] } }),
  },
  { method: 'POST', pattern: /^\/chatglm\/v1\/chat\/completions$/, dialect: chatglmDialect, directiveText: chatDirectiveText, handle: chat },
  {
    method: 'POST',
    pattern: /^\/chatglm\/v1\/embeddings$/,
    dialect: chatglmDialect,
    handle: (ctx) => embeddings(ctx, { dims: () => 1024, err: (s, m) => fastapiError(s, m) }),
  },
];

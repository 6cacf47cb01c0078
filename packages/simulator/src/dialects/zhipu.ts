// Zhipu GLM open platform (§5.1–5.5): OpenAI-like chat with its own differences, embeddings,
// CogView image generation, API-key or HS256-JWT auth, and `{error:{code:"1211"}}` errors.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { concreteSeed, parseSize, renderImage } from '../images.js';
import type { Ctx, Dialect, Outcome, Route } from '../route.js';
import { chatCompletion, chatDirectiveText, type ChatFlavor } from './openai-chat.js';
import { bearer, embeddings, validateChat } from './openai.js';
import { parseRerank, rankDocuments, rerankTokens } from './rerank.js';

const CODES: Record<number, string> = { 400: '1214', 401: '1000', 404: '1211', 429: '1302', 503: '1305' };

export function zhipuError(status: number, message: string, code?: string): Outcome {
  return { kind: 'json', status, body: { error: { code: code ?? CODES[status] ?? (status >= 500 ? '500' : '1214'), message } } };
}

export const zhipuDialect: Dialect = {
  name: 'zhipu',
  authorize(ctx, apiKey) {
    const token = bearer(ctx.req);
    if (!token) return zhipuError(401, 'Authorization header is missing', '1001');
    if (token === apiKey) return null;
    const verdict = verifyJwt(token, apiKey);
    if (verdict === 'ok') return null;
    if (verdict === 'expired') return zhipuError(401, 'Authentication token has expired', '1003');
    return zhipuError(401, 'Authentication token is invalid', '1002');
  },
  error: (status, message, code) => zhipuError(status, message, code),
  // Zhipu answers an unknown model with HTTP 400 and business code 1211 (§11).
  modelNotFound: (model) => zhipuError(400, `模型不存在，请检查模型代码。(model ${model} does not exist)`, '1211'),
};

/**
 * Verifies the legacy signed token of §5.2: HS256 over `header.payload` with the key's secret,
 * `api_key` = the key's id, `exp` in milliseconds. Only possible when the key is `id.secret`.
 */
export function verifyJwt(token: string, apiKey: string): 'ok' | 'expired' | 'invalid' {
  const dot = apiKey.indexOf('.');
  const parts = token.split('.');
  if (dot < 0 || parts.length !== 3) return 'invalid';
  const id = apiKey.slice(0, dot);
  const secret = apiKey.slice(dot + 1);
  try {
    const head = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (head?.alg !== 'HS256') return 'invalid';
    const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    if (payload?.api_key !== id) return 'invalid';
    if (typeof payload.exp !== 'number' || payload.exp <= Date.now()) return 'expired';
    return 'ok';
  } catch {
    return 'invalid';
  }
}

const FLAVOR: ChatFlavor = {
  idPrefix: '',
  object: false,
  streamUsage: 'finish-chunk',
  wholeArguments: true,
  extra: (ctx, id) => ({ request_id: typeof ctx.body?.request_id === 'string' ? ctx.body.request_id : id }),
};

function chat(ctx: Ctx): Outcome {
  const invalid = validateChat(ctx, zhipuError);
  if (invalid) return invalid;
  return chatCompletion(ctx, FLAVOR);
}

function cogview(ctx: Ctx): Outcome {
  const b = ctx.body;
  if (!b || typeof b.prompt !== 'string' || !b.prompt) return zhipuError(400, 'prompt 不能为空 (prompt is required)', '1214');
  const [width, height] = parseSize(b.size, [1024, 1024]);
  if (width < 256 || height < 256 || width > 2048 || height > 2048) return zhipuError(400, `size ${b.size} is not supported`, '1214');
  const png = renderImage({ prompt: b.prompt, width, height, seed: concreteSeed(undefined, b.prompt) });
  const item = b.response_format === 'b64_json' ? { b64_json: png.toString('base64') } : { url: `${ctx.sim.baseUrl(ctx.req)}/_sim/images/${ctx.sim.storeImage(png)}.png` };
  return { kind: 'json', body: { created: Math.floor(Date.now() / 1000), data: [item], content_filter: [{ role: 'user', level: 3 }] } };
}

/**
 * POST /api/paas/v4/rerank (https://docs.bigmodel.cn/api-reference, 文本重排序): the shared rerank
 * request with `top_n` 0 = all; documents come back as plain strings when `return_documents`.
 */
function rerank(ctx: Ctx): Outcome {
  const r = parseRerank(ctx.body, { topNZeroIsAll: true });
  if (typeof r === 'string') return zhipuError(400, r, '1214');
  const id = ctx.sim.newId('');
  const results = rankDocuments(r.query, r.documents)
    .slice(0, r.topN)
    .map((d) => ({ ...(r.returnDocuments ? { document: d.text } : {}), index: d.index, relevance_score: d.relevance_score }));
  const out: Record<string, unknown> = { created: Math.floor(Date.now() / 1000), id, request_id: typeof ctx.body.request_id === 'string' ? ctx.body.request_id : id, results };
  if (!ctx.controls.noUsage) {
    const n = rerankTokens(ctx.sim.tokens, r.query, r.documents);
    out.usage = { prompt_tokens: n, total_tokens: n };
  }
  return { kind: 'json', body: out };
}

const bodyModel = (ctx: Ctx): string | undefined => (typeof ctx.body?.model === 'string' ? ctx.body.model : undefined);
const lastInput = (b: { input?: unknown }): string => (typeof b.input === 'string' ? b.input : Array.isArray(b.input) && typeof b.input[b.input.length - 1] === 'string' ? b.input[b.input.length - 1] : '');

export const zhipuRoutes: Route[] = [
  { method: 'POST', pattern: /^\/api\/paas\/v4\/chat\/completions$/, dialect: zhipuDialect, directiveText: chatDirectiveText, model: bodyModel, handle: chat },
  {
    method: 'POST',
    pattern: /^\/api\/paas\/v4\/embeddings$/,
    dialect: zhipuDialect,
    directiveText: lastInput,
    model: bodyModel,
    handle: (ctx) => embeddings(ctx, { dims: (m) => (m === 'embedding-2' ? 1024 : 2048), err: zhipuError }),
  },
  { method: 'POST', pattern: /^\/api\/paas\/v4\/rerank$/, dialect: zhipuDialect, directiveText: (b) => (typeof b.query === 'string' ? b.query : ''), model: bodyModel, handle: rerank },
  { method: 'POST', pattern: /^\/api\/paas\/v4\/images\/generations$/, dialect: zhipuDialect, directiveText: (b) => (typeof b.prompt === 'string' ? b.prompt : ''), model: bodyModel, handle: cogview },
];

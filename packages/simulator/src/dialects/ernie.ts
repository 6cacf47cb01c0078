// Baidu ERNIE through the Qianfan v1 API (WENXINWORKSHOP, https://cloud.baidu.com/doc/WENXINWORKSHOP/):
// OAuth client-credentials tokens from POST /oauth/2.0/token (API key = client_id, secret key =
// client_secret), then chat at POST /rpc/2.0/ai_custom/v1/wenxinworkshop/chat/{endpoint}
// ?access_token=... Chat errors come as HTTP 200 with `{error_code, error_msg}`: 110 unknown
// token, 111 expired token, 336003 invalid parameters.
//
// Simulator rules: any non-empty client_id/client_secret pair is accepted except a secret of
// "bad" (401 invalid_client). Tokens are random and kept per instance with their expiry
// (option `ernieTokenExpiresIn`, default 30 days); /_sim/ernie/* and `sim.ernie` list, count and
// expire them.
import { emptyConversation, generate } from '../generate.js';
import type { Ctx, Dialect, Outcome, Route } from '../route.js';
import { dataEvent } from '../sse.js';
import { splitEven } from '../tokens.js';
import { stripDirective } from '../controls.js';
import { chatDirectiveText, countChatPrompt, toStopList } from './openai-chat.js';

/** `{error_code, error_msg}`; HTTP 200 unless a status is given (simulated faults). */
export function ernieError(code: number, message: string, status = 200): Outcome {
  return { kind: 'json', status, body: { error_code: code, error_msg: message } };
}

/** Business codes for simulated HTTP faults (the real API answers these with HTTP 200). */
function codeFor(status: number): number {
  if (status === 400) return 336003;
  if (status === 401) return 110;
  if (status === 403) return 6;
  if (status === 404) return 3;
  if (status === 429) return 18;
  if (status === 500) return 336000;
  if (status >= 500) return 336100;
  return 336003;
}

export const ernieDialect: Dialect = {
  name: 'ernie',
  // The access token is the credential, checked on every request whether or not `apiKey` is set.
  gate(ctx) {
    switch (ctx.sim.ernieTokens.check(ctx.query.access_token)) {
      case 'unknown':
        return ernieError(110, 'Access token invalid or no longer valid');
      case 'expired':
        return ernieError(111, 'Access token expired');
      default:
        return null;
    }
  },
  authorize: () => null,
  error: (status, message) => ernieError(codeFor(status), message, status),
  modelNotFound: () => ernieError(3, 'Unsupported openapi method'),
};

function oauthError(status: number, error: string, description: string): Outcome {
  return { kind: 'json', status, body: { error, error_description: description } };
}

export const baiduOAuthDialect: Dialect = {
  name: 'baidu-oauth',
  authorize: () => null,
  error: (status, message) => oauthError(status, status >= 500 ? 'server_error' : 'invalid_request', message),
  modelNotFound: () => oauthError(400, 'invalid_request', 'unknown model'),
};

function token(ctx: Ctx): Outcome {
  // Parameters in the query string (what Baidu documents) or an x-www-form-urlencoded body.
  const form = ctx.body && typeof ctx.body === 'object' && !Array.isArray(ctx.body) ? (ctx.body as Record<string, unknown>) : {};
  const param = (k: string): string => (typeof ctx.query[k] === 'string' && ctx.query[k] ? ctx.query[k] : typeof form[k] === 'string' ? (form[k] as string) : '');
  if (param('grant_type') !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'The authorization grant type is not supported');
  const clientId = param('client_id');
  const secret = param('client_secret');
  if (!clientId || !secret || secret === 'bad') return oauthError(401, 'invalid_client', 'unknown client id');
  const t = ctx.sim.ernieTokens.issue(clientId);
  return {
    kind: 'json',
    body: {
      refresh_token: t.refresh_token,
      expires_in: ctx.sim.ernieTokens.expiresIn,
      session_key: t.session_key,
      access_token: t.access_token,
      scope: 'public brain_all_scope wenxinworkshop_mgr ai_custom_yiyan_com ai_custom_yiyan_com_eb_instant ai_custom_yiyan_com_128k',
      session_secret: t.session_secret,
    },
  };
}

type ErnieMsg = { role?: unknown; content?: unknown };

/** 336003 checks: odd number of messages alternating user/assistant from a user turn. */
function validate(b: unknown): string | null {
  if (!b || typeof b !== 'object' || Array.isArray(b)) return 'the request body must be a JSON object';
  const body = b as Record<string, unknown>;
  const msgs = body.messages;
  if (!Array.isArray(msgs) || msgs.length === 0) return 'the length of messages must be an odd number';
  if (msgs.length % 2 === 0) return 'the length of messages must be an odd number';
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i] as ErnieMsg;
    if (!m || typeof m !== 'object') return 'the messages must be objects';
    if (i % 2 === 0 && m.role !== 'user') return 'the role of message with even index in the messages must be user';
    if (i % 2 === 1 && m.role !== 'assistant') return 'the role of message with odd index in the messages must be assistant';
    if (typeof m.content !== 'string' || !m.content) return 'the content of message must be a non-empty string';
  }
  if (body.system !== undefined && typeof body.system !== 'string') return 'system must be a string';
  if (body.max_output_tokens !== undefined && (typeof body.max_output_tokens !== 'number' || body.max_output_tokens < 1)) return 'max_output_tokens must be a positive integer';
  return null;
}

function chat(ctx: Ctx): Outcome {
  const invalid = validate(ctx.body);
  if (invalid) return ernieError(336003, invalid);
  const b = ctx.body as { messages: Array<{ role: string; content: string }>; system?: string; stream?: boolean; max_output_tokens?: number; stop?: unknown };
  const { sim, controls } = ctx;
  const last = b.messages[b.messages.length - 1];
  const conv = { ...emptyConversation(), lastUserText: stripDirective(last.content), maxTokens: b.max_output_tokens, stop: toStopList(b.stop) };
  const gen = generate(conv, controls, sim.tokens, () => sim.newId('call_'));
  const turns = b.system ? [{ role: 'system', content: b.system }, ...b.messages] : b.messages;
  const promptTokens = countChatPrompt({ messages: turns }, sim.tokens);
  const finish = gen.finish === 'length' ? 'length' : gen.stopSequence !== null ? 'stop' : 'normal';
  const truncated = gen.finish === 'length';
  const id = sim.newId('as-');
  const created = Math.floor(Date.now() / 1000);
  const usageFor = (completion: number) => ({ prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion });

  if (!b.stream) {
    const out: Record<string, unknown> = {
      id,
      object: 'chat.completion',
      created,
      result: gen.text,
      is_truncated: truncated,
      need_clear_history: false,
      finish_reason: finish,
    };
    if (!controls.noUsage) out.usage = usageFor(gen.outputTokens);
    return { kind: 'json', body: out };
  }
  const parts = splitEven(gen.text, controls.chunks).filter((p, i) => p || i === 0);
  let soFar = '';
  const events = parts.map((result, i) => {
    soFar += result;
    const end = i === parts.length - 1;
    const ev: Record<string, unknown> = {
      id,
      object: 'chat.completion',
      created,
      sentence_id: i,
      is_end: end,
      is_truncated: end ? truncated : false,
      result,
      need_clear_history: false,
      finish_reason: end ? finish : 'normal',
    };
    // Every event carries the running usage; the last one has the final counts.
    if (!controls.noUsage) ev.usage = usageFor(end ? gen.outputTokens : sim.tokens.count(soFar));
    return dataEvent(ev);
  });
  return { kind: 'sse', events };
}

export const ernieRoutes: Route[] = [
  { method: 'POST', pattern: /^\/oauth\/2\.0\/token$/, dialect: baiduOAuthDialect, handle: token },
  { method: 'GET', pattern: /^\/oauth\/2\.0\/token$/, dialect: baiduOAuthDialect, handle: token },
  {
    method: 'POST',
    pattern: /^\/rpc\/2\.0\/ai_custom\/v1\/wenxinworkshop\/chat\/(?<endpoint>[^/]+)$/,
    dialect: ernieDialect,
    directiveText: chatDirectiveText,
    model: (ctx) => decodeURIComponent(ctx.params.endpoint),
    handle: chat,
  },
];

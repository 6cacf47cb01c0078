import type { ProviderChannel as Channel } from '../types.js';
import { GatewayError } from '../../core/errors.js';
import type { Operation } from '../../core/calls.js';
import type { Provider as ProviderAdapter, UpstreamCall, UpstreamRequest } from '../types.js';
import { classifyOpenAIShapedError, trimSlash } from '../common/failure.js';
import { chatglmFormat } from './format.js';
import { jsonBody } from '../common/json-body.js';

const PATHS: Partial<Record<Operation, string>> = { chat: '/chat/completions', embedding: '/embeddings' };

/**
 * A self-hosted ChatGLM "OpenAI-compatible" server (ChatGLM3's api_server.py). `baseUrl` includes
 * /v1. No auth by default. Chat is always translated, so OpenAI callers get `tool_calls` back
 * while the server sees the legacy `function_call` shape it understands.
 */
export const chatglmAdapter: ProviderAdapter = {
  kind: 'chatglm',
  defaultBaseUrl: 'http://127.0.0.1:8000/v1',
  label: 'ChatGLM (self-hosted)',
  dialect: 'openai',
  operations: ['chat', 'embedding'],
  needsSecret: false,
  format: chatglmFormat,
  translateAlways: ['chat', 'embedding'],
  buildRequest: buildChatglmRequest,
  // FastAPI's `{"detail": ...}` bodies are read by OpenAI's classifier too.
  classifyError: classifyOpenAIShapedError,
  modelsRequest: (channel) => ({ method: 'GET', url: `${trimSlash(channel.baseUrl)}/models`, headers: auth(channel) }),
  parseModels: (body) => ((body as { data?: { id: string }[] })?.data ?? []).map((m) => m.id),
};

function buildChatglmRequest(call: UpstreamCall, channel: Channel): UpstreamRequest {
  const path = PATHS[call.operation];
  if (!path) throw new GatewayError('invalid_request', `ChatGLM channels cannot serve ${call.operation} requests.`, { code: 'unsupported_operation' });
  return { method: 'POST', url: trimSlash(channel.baseUrl) + path, headers: { 'content-type': 'application/json', ...auth(channel) }, body: jsonBody(call) };
}

function auth(channel: Channel): Record<string, string> {
  return channel.secret ? { authorization: `Bearer ${channel.secret}` } : {};
}

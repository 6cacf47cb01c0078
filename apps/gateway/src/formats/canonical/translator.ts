import type { PromptTokens } from '../tokens.js';
import { GatewayError } from '../../core/errors.js';
import type { Dialect, Operation, Usage } from '../../core/calls.js';
import type { StreamTap } from '../types.js';
import { TranslatingTap } from './stream.js';
import type { EncodeContext, WireFormat } from './types.js';
import { estimatedUsage, producedText } from './util.js';

/** Names the caller's built-in tools a translated provider cannot run, which were left out. */
export const DROPPED_TOOLS_HEADER = 'x-apigpt-dropped-tools';

/** The caller's side of a text call, as the translator needs it. */
export interface TranslateRequest {
  dialect: Dialect;
  operation: Operation;
  model: string;
  stream: boolean;
  body: Record<string, unknown>;
  clientWantsUsage: boolean;
}

/** One translated call: the provider's body, and how its answer is turned back into the caller's dialect. */
export interface Translation {
  body: Record<string, unknown>;
  /** Headers the caller's answer carries about the translation (tools left out). */
  headers: Record<string, string>;
  reply(json: unknown): { body: Buffer; usage: Usage };
  tapStream(): StreamTap;
}

/**
 * Cross-dialect calls through the canonical form: caller's body → canonical → provider's body, and
 * the provider's answer (whole or streamed) → canonical → the caller's dialect. Throws a 400
 * GatewayError when the provider's format cannot express the call.
 */
export function translate(req: TranslateRequest, from: WireFormat, to: WireFormat, upstreamModel: string, promptTokens: PromptTokens, target: string): Translation {
  const op = req.operation;
  if ((op !== 'chat' && op !== 'embedding') || !from.translates.includes(op) || !to.translates.includes(op))
    throw new GatewayError('invalid_request', `${target} cannot serve ${req.dialect}-dialect ${op} requests.`, { code: 'unsupported_dialect' });
  const canonical = from.parseRequest(op, req.body, req.model, req.stream);
  const ctx: EncodeContext = { model: req.model, clientWantsUsage: req.clientWantsUsage, request: canonical };
  const headers: Record<string, string> = {};
  if (canonical.kind === 'chat') {
    // A web search goes only to providers that run one; for the others it is left out and named.
    const search = canonical.webSearch;
    if (search && !(to.searches?.(canonical, upstreamModel) ?? false)) {
      canonical.webSearch = undefined;
      canonical.droppedTools = [...new Set([...(canonical.droppedTools ?? []), search.tool])];
    }
    if (canonical.droppedTools?.length) headers[DROPPED_TOOLS_HEADER] = canonical.droppedTools.join(', ');
  }
  return {
    body: to.renderRequest(canonical, upstreamModel),
    headers,
    reply(json) {
      const res = to.parseResponse(json, canonical);
      const usage = res.usage ?? estimatedUsage(promptTokens, res.kind === 'chat' ? producedText(res.choices) : '');
      const body = from.renderResponse({ ...res, usage }, ctx);
      return { body: Buffer.from(JSON.stringify(body)), usage };
    },
    tapStream: () => new TranslatingTap(to.decoder(canonical), from.encoder(ctx), promptTokens),
  };
}

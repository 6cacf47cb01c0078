import { GatewayError } from '../../core/errors.js';
import type { Translation, Translator, RelayRequest } from '../../relay/pipeline.js';
import type { Route } from '../../relay/router.js';
import type { Dialect, Operation, ProviderAdapter } from '../../relay/types.js';
import { anthropicFormat } from '../anthropic/canonical.js';
import { geminiFormat } from '../gemini/canonical.js';
import { openaiFormat } from '../openai/canonical.js';
import { TranslatingTap } from './stream.js';
import type { EncodeContext, WireFormat } from './types.js';
import { estimatedUsage, producedText } from './util.js';

/** The format each client dialect speaks (and, by default, providers of that dialect). */
export const DIALECT_FORMATS: Record<Dialect, WireFormat> = { openai: openaiFormat, anthropic: anthropicFormat, gemini: geminiFormat };

/**
 * Cross-dialect calls through the canonical form: caller's body → canonical → provider's body, and
 * the provider's answer (whole or streamed) → canonical → the caller's dialect.
 */
export class CanonicalTranslator implements Translator {
  constructor(private readonly formats: Record<Dialect, WireFormat> = DIALECT_FORMATS) {}

  /** Same dialect goes through untouched, unless the provider is only a near-copy of it (Zhipu, ChatGLM). */
  needed(dialect: Dialect, adapter: ProviderAdapter, operation: Operation): boolean {
    return adapter.dialect !== dialect || (adapter.translateAlways?.includes(operation) ?? false);
  }

  begin(req: RelayRequest, route: Route, promptEstimate: number): Translation {
    const from = this.formats[req.dialect];
    const to = route.adapter.format ?? this.formats[route.adapter.dialect];
    const op = req.operation;
    if ((op !== 'chat' && op !== 'embedding') || !from.translates.includes(op) || !to.translates.includes(op))
      throw new GatewayError('invalid_request', `Channel ${route.channel.name} (${route.adapter.label}) cannot serve ${req.dialect}-dialect ${op} requests.`, { code: 'unsupported_dialect' });
    const canonical = from.parseRequest(op, req.body, req.model, req.stream);
    const ctx: EncodeContext = { model: req.model, clientWantsUsage: req.clientWantsUsage, request: canonical };
    return {
      call: { operation: op, model: route.upstreamModel, stream: req.stream, body: to.renderRequest(canonical, route.upstreamModel) },
      reply(json) {
        const res = to.parseResponse(json, canonical);
        const usage = res.usage ?? estimatedUsage(promptEstimate, res.kind === 'chat' ? producedText(res.choices) : '');
        const body = from.renderResponse({ ...res, usage }, ctx);
        return { body: Buffer.from(JSON.stringify(body)), usage };
      },
      tapStream: () => new TranslatingTap(to.decoder(canonical), from.encoder(ctx), promptEstimate),
    };
  }
}

import type { FastifyInstance } from 'fastify';
import type { Dialect } from '../core/calls.js';
import type { GatewayError } from '../core/errors.js';
import { anthropicCodec } from './anthropic/codec.js';
import { anthropicFormat } from './anthropic/canonical.js';
import { registerAnthropicRoutes } from './anthropic/routes.js';
import type { WireFormat } from './canonical/types.js';
import { geminiCodec } from './gemini/codec.js';
import { geminiFormat } from './gemini/canonical.js';
import { registerGeminiRoutes } from './gemini/routes.js';
import type { FormatHost } from './host.js';
import { registerAudioRoutes } from './openai/audio.js';
import { openaiCodec } from './openai/codec.js';
import { openaiFormat } from './openai/canonical.js';
import { registerImageRoutes } from './openai/images/routes.js';
import { registerOpenAIRoutes } from './openai/routes.js';
import { registerRerankRoutes, RERANK_DIALECT } from './rerank/routes.js';
import { responsesCodec } from './openai-responses/codec.js';
import { responsesFormat, RESPONSES_DIALECT } from './openai-responses/canonical.js';
import { registerResponsesRoutes } from './openai-responses/routes.js';
import { registerWebuiRoutes, renderWebuiError } from './sd-webui/routes.js';
import type { DialectCodec, RenderedError } from './types.js';

/**
 * One client-facing wire format: its routes, its error shape, and for text calls its codec (usage,
 * stream tap, quote) and canonical mapping.
 */
export interface Format {
  id: Dialect;
  renderError(e: GatewayError): RenderedError;
  codec?: DialectCodec;
  wire?: WireFormat;
  /** The gateway key is checked before the body is read, by the server's hook (false: the routes check it themselves). */
  keyed: boolean;
  register(app: FastifyInstance, host: FormatHost): void;
}

/** Every format the gateway speaks. Adding one: a folder beside this file and one line here. */
export const FORMATS: readonly Format[] = [
  {
    id: 'openai',
    renderError: openaiCodec.renderError,
    codec: openaiCodec,
    wire: openaiFormat,
    keyed: true,
    register(app, host) {
      registerOpenAIRoutes(app, host);
      registerImageRoutes(app, host);
      registerAudioRoutes(app, host);
    },
  },
  { id: 'anthropic', renderError: anthropicCodec.renderError, codec: anthropicCodec, wire: anthropicFormat, keyed: true, register: registerAnthropicRoutes },
  { id: 'gemini', renderError: geminiCodec.renderError, codec: geminiCodec, wire: geminiFormat, keyed: true, register: registerGeminiRoutes },
  { id: RESPONSES_DIALECT, renderError: responsesCodec.renderError, codec: responsesCodec, wire: responsesFormat, keyed: true, register: registerResponsesRoutes },
  { id: 'sd-webui', renderError: renderWebuiError, keyed: false, register: registerWebuiRoutes },
  // Rerank (Cohere / Jina shape): OpenAI's error envelope, like the rest of /v1.
  { id: RERANK_DIALECT, renderError: openaiCodec.renderError, keyed: true, register: registerRerankRoutes },
];

export const FORMATS_BY_ID: ReadonlyMap<Dialect, Format> = new Map(FORMATS.map((f) => [f.id, f]));

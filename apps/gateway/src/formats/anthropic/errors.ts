import type { GatewayError } from '../../core/errors.js';
import { anthropicErrorType, anthropicStreamError } from './canonical.js';
import type { RenderedError } from '../types.js';

/**
 * Anthropic's envelope: `{type:"error", error:{type, message}}`. Overload is sent as 529, the status
 * Anthropic's SDK recognises as "overloaded, retry with backoff".
 */
export function renderAnthropicError(err: GatewayError): RenderedError {
  return {
    status: err.kind === 'overloaded' ? 529 : err.status,
    body: { type: 'error', error: { type: anthropicErrorType(err), message: err.message } },
  };
}

export function anthropicStreamErrorOf(err: GatewayError): string {
  return anthropicStreamError(anthropicErrorType(err), err.message);
}

import type { GatewayError } from '../../core/errors.js';
import type { RenderedError } from '../types.js';

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Google's envelope: `{error:{code, message, status}}`, `code` repeating the HTTP status. */
export function renderGeminiError(err: GatewayError): RenderedError {
  return { status: err.status, body: geminiErrorBody(err) };
}

export function geminiErrorBody(err: GatewayError): unknown {
  const status = STATUS_NAMES[err.status] ?? (err.status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
  const body: Record<string, unknown> = { code: err.status, message: err.message, status };
  if (err.code) body.details = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: err.code, domain: 'apigpt' }];
  return { error: body };
}

/** Gemini streams carry errors as a data event holding the same envelope. */
export function geminiStreamError(err: GatewayError): string {
  return `data: ${JSON.stringify(geminiErrorBody(err))}\n\n`;
}

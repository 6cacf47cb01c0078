import type { GatewayError } from '../../core/errors.js';
import type { RenderedError } from '../types.js';

const TYPE: Record<GatewayError['kind'], string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'invalid_request_error',
  permission: 'permission_error',
  not_found: 'invalid_request_error',
  conflict: 'invalid_request_error',
  payload_too_large: 'invalid_request_error',
  rate_limit: 'rate_limit_error',
  insufficient_quota: 'insufficient_quota',
  upstream: 'upstream_error',
  upstream_timeout: 'timeout_error',
  overloaded: 'server_error',
  unavailable: 'server_error',
  internal: 'server_error',
};

/** OpenAI's envelope: `{error: {message, type, param, code}}`, all four keys always present. */
export function renderOpenAIError(err: GatewayError): RenderedError {
  return {
    status: err.status,
    body: { error: { message: err.message, type: TYPE[err.kind], param: err.param, code: err.code } },
  };
}

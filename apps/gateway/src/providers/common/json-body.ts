import type { UpstreamCall } from '../types.js';

/**
 * A JSON call's body as it goes to the provider: the caller's own bytes when they say what `body`
 * says (`UpstreamCall.raw`: a call passed through unchanged), else `body` serialised. For adapters
 * that send `body` as it is; one that changes it serialises its own object.
 */
export function jsonBody(call: UpstreamCall): string | Buffer {
  return call.raw ?? JSON.stringify(call.body);
}

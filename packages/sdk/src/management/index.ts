/** `@apigpt/sdk/management`: the typed management API alone (what the console imports). */
export { ManagementClient, type CallArgs } from './client.js';
export type * from './types.js';
export { Transport, type ClientOptions, type RequestOptions } from '../core/transport.js';
export * from '../core/errors.js';

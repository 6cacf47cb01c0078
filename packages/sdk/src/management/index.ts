/** `@apigpt/sdk/management`: the typed management API alone (what the console imports). */
export { ManagementClient, type CallArgs, type CallParameters } from './client.js';
export type * from './types.js';
export { Transport, type ClientOptions, type RequestOptions, type Query, type HttpRequest } from '../core/transport.js';
export * from '../core/errors.js';

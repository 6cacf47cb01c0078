import { Transport, type ClientOptions, type RequestOptions } from '../core/transport.js';
import type { OperationId, Operations } from './types.js';

type Part<K extends string, T, Required extends boolean> = [T] extends [never] ? unknown : Required extends true ? { [P in K]: T } : { [P in K]?: T };

/** What a call of `Op` takes: its path parameters and body when it has them, its query optionally. */
export type CallArgs<Op extends OperationId> = Part<'params', Operations[Op]['params'], true> & Part<'query', Operations[Op]['query'], false> & Part<'body', Operations[Op]['body'], true>;

/** The parameters of `call` after the operation: its arguments (optional when it needs none) and request options. */
export type CallParameters<Op extends OperationId> = object extends CallArgs<Op> ? [args?: CallArgs<Op>, options?: RequestOptions] : [args: CallArgs<Op>, options?: RequestOptions];

/**
 * The whole management API, typed by operation: `mgmt.call('GET /api/billing/account')`,
 * `mgmt.call('PATCH /api/keys/{id}', { params: { id }, body: { rpm: 60 } })`. The console calls it
 * with its login cookie (no key); automation with the root token as `apiKey`; an App key reaches the
 * routes open to keys (the account's own).
 */
export class ManagementClient {
  readonly transport: Transport;

  constructor(options: ClientOptions | Transport = {}) {
    this.transport = options instanceof Transport ? options : new Transport(options);
  }

  async call<Op extends OperationId>(op: Op, ...[args, options]: CallParameters<Op>): Promise<Operations[Op]['response']> {
    const space = op.indexOf(' ');
    const method = op.slice(0, space) as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    const a = (args ?? {}) as { params?: Record<string, string>; query?: Record<string, string | number | boolean | undefined>; body?: unknown };
    const path = op.slice(space + 1).replace(/\{(\w+)\}/g, (_, name: string) => {
      const v = a.params?.[name];
      if (v === undefined) throw new TypeError(`${op} needs the path parameter "${name}".`);
      return encodeURIComponent(v);
    });
    const { data } = await this.transport.json<Operations[Op]['response']>({ method, path, query: a.query, body: a.body }, options);
    return data;
  }
}

import type { CallRequest } from './call.js';
import type { RequestLogRow, RequestLogWriter } from './request-log.js';
import type { Quote, Usage } from '../core/calls.js';

/**
 * What billing and limits may know of a call before it goes upstream: who calls, what, from where
 * (the call's request), and the operation's own quote of its units. Never the request body: a new
 * endpoint states its units and needs no billing change.
 */
export interface CallInfo extends Omit<CallRequest, 'logDialect'> {
  /** The call's id (its log row's): what it holds is filed under it. */
  requestId: string;
  quote: Quote;
  /** The call's log row so far (read when it is admitted: a reservation's journal intent records it). */
  log: RequestLogRow;
}

/** How the call ended: the log row to write and the usage to meter. */
export interface CallOutcome {
  usage: Usage;
  /** True when nothing was produced that may be charged (upstream failed before answering). */
  failed: boolean;
  log: RequestLogRow;
}

export interface Admission {
  /**
   * Called exactly once per admitted call. Resolves when the call's charge is durable (journaled or
   * committed): the relay completes the answer only then, so no answer is served without its charge.
   * Never rejects.
   */
  settle(outcome: CallOutcome): Promise<void>;
}

/**
 * The seam between the relay and everything that decides whether a call may run and what it costs
 * (credit, limits, rate limits). `admit` throws a GatewayError to refuse; the relay then makes no
 * upstream call. The default policy admits everything and only records the log row.
 */
export interface CallPolicy {
  admit(call: CallInfo): Promise<Admission>;
}

export class LogOnlyPolicy implements CallPolicy {
  constructor(private readonly writer: RequestLogWriter) {}

  async admit(): Promise<Admission> {
    return {
      settle: async (o) => {
        this.writer.push(o.log);
      },
    };
  }
}

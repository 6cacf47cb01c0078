import type { RelayRequest } from './pipeline.js';
import type { RequestLogRow, RequestLogWriter } from './request-log.js';
import type { Usage } from './types.js';

/** What the gateway knows about a call before it goes upstream: the request, and its prompt's tokens as the gateway counts them. */
export type CallInfo = Omit<RelayRequest, 'clientWantsUsage'> & { promptEstimate: number };

/** How the call ended: the log row to write and the usage to meter. */
export interface CallOutcome {
  usage: Usage;
  /** True when nothing was produced that may be charged (upstream failed before answering). */
  failed: boolean;
  log: RequestLogRow;
}

export interface Admission {
  /** Called exactly once per admitted call. */
  settle(outcome: CallOutcome): void;
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
    return { settle: (o) => this.writer.push(o.log) };
  }
}

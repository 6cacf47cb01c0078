import type { RequestOptions, Transport } from '../core/transport.js';
import { ManagementClient } from '../management/client.js';
import type { Account as AccountInfo, LogQuery, Page, RedeemResult, RequestLog, UsageSummary } from '../management/types.js';

/** The account behind the key: its credit, what it spent, the key's recent calls, and codes to redeem. */
export class Account {
  private readonly mgmt: ManagementClient;
  constructor(private readonly transport: Transport) {
    this.mgmt = new ManagementClient(transport);
  }

  /** Balance (P), group, price multiplier, low-balance threshold and notices. */
  balance(options?: RequestOptions): Promise<AccountInfo> {
    return this.mgmt.call('GET /api/billing/account', {}, options);
  }

  /** Spend and calls per day and per model over the last `days` (default 30). */
  usage(query: { days?: number } = {}, options?: RequestOptions): Promise<UsageSummary> {
    return this.mgmt.call('GET /api/billing/usage', { query }, options);
  }

  /** This key's calls, newest first (no content is ever logged). */
  calls(query: Omit<LogQuery, 'userId' | 'keyId' | 'appId'> = {}, options?: RequestOptions): Promise<Page<RequestLog>> {
    return this.mgmt.call('GET /api/logs', { query }, options);
  }

  /**
   * Redeems a code. Retries carry one Idempotency-Key, so a retried redemption is applied once; pass
   * your own `idempotencyKey` to make a repeat of your own safe too. `replayed` says the gateway
   * answered a repeat with the first answer.
   */
  async redeem(code: string, options?: RequestOptions): Promise<RedeemResult & { replayed: boolean }> {
    const { data, headers } = await this.transport.json<RedeemResult>({ method: 'POST', path: '/api/billing/redeem', body: { code } }, options);
    return { ...data, replayed: headers.get('idempotent-replayed') === 'true' };
  }
}

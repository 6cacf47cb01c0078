import type { Db } from '../storage/database.js';
import type { PrivacyPoliciesTable } from '../storage/schema.js';
import type { CustomPattern, PiiKind } from './pii.js';
import type { PolicyInput, PolicyScope, PrivacyPolicy, RedactionMode } from './policy.js';

function fromRow(r: PrivacyPoliciesTable): PrivacyPolicy {
  return {
    scope: r.scope as PolicyScope,
    target: r.target,
    contentLogging: r.content_logging === 1,
    retentionDays: Number(r.retention_days),
    redaction: r.redaction as RedactionMode,
    kinds: JSON.parse(r.kinds) as PiiKind[],
    patterns: JSON.parse(r.patterns) as CustomPattern[],
    updatedAt: Number(r.updated_at),
  };
}

/** The admins' privacy policies per user group and per App (migration 0015_privacy). */
export class PolicyStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async list(): Promise<PrivacyPolicy[]> {
    const rows = await this.db.selectFrom('privacy_policies').selectAll().orderBy('scope').orderBy('target').execute();
    return rows.map(fromRow);
  }

  async get(scope: PolicyScope, target: string, db: Db = this.db): Promise<PrivacyPolicy | null> {
    const r = await db.selectFrom('privacy_policies').selectAll().where('scope', '=', scope).where('target', '=', target).executeTakeFirst();
    return r ? fromRow(r) : null;
  }

  /** Sets a policy (made or replaced), on the caller's transaction so its audit row commits with it. */
  async put(scope: PolicyScope, target: string, p: PolicyInput, db: Db = this.db): Promise<PrivacyPolicy> {
    const row: PrivacyPoliciesTable = {
      scope,
      target,
      content_logging: p.contentLogging ? 1 : 0,
      retention_days: p.retentionDays,
      redaction: p.redaction,
      kinds: JSON.stringify(p.kinds),
      patterns: JSON.stringify(p.patterns),
      updated_at: this.now(),
    };
    await db
      .insertInto('privacy_policies')
      .values(row)
      .onConflict((oc) => oc.columns(['scope', 'target']).doUpdateSet({ content_logging: row.content_logging, retention_days: row.retention_days, redaction: row.redaction, kinds: row.kinds, patterns: row.patterns, updated_at: row.updated_at }))
      .execute();
    return fromRow(row);
  }

  async delete(scope: PolicyScope, target: string, db: Db = this.db): Promise<boolean> {
    const r = await db.deleteFrom('privacy_policies').where('scope', '=', scope).where('target', '=', target).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Changes when any policy does: the count (a deletion) and the latest change time. */
  async version(): Promise<string> {
    const r = await this.db.selectFrom('privacy_policies').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('updated_at').as('u')]).executeTakeFirst();
    return `${Number(r?.n ?? 0)}:${Number(r?.u ?? 0)}`;
  }
}

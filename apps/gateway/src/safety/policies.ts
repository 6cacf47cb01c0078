import { GatewayError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Db } from '../storage/database.js';
import type { SafetyPoliciesTable } from '../storage/schema.js';
import type { SafetyAction } from './rules.js';

export type PolicyScope = 'group' | 'app';

/**
 * The moderation model a policy asks: a channel serving `model` for the `moderation` operation
 * (OpenAI's `/v1/moderations` shape), on the input and, when `directions` says so, on whole
 * answers (a stream is read by the rules alone: the model judges whole texts, and a stream's text
 * has gone out by the time it is whole). A category is hit when its score reaches its threshold
 * (categories without one: when the model itself flags them). When the channel does not answer
 * within `timeoutMs` (or fails), `failMode` decides: `open` lets the call through, `closed`
 * refuses it.
 */
export interface ModerationSettings {
  model: string;
  thresholds: Record<string, number>;
  action: 'block' | 'flag';
  timeoutMs: number;
  failMode: 'open' | 'closed';
  /** Which side of the call the model reads (absent in policies made before it existed: input only). */
  directions?: ModerationDirection[];
}

export type ModerationDirection = 'input' | 'output';

/** The directions a moderation setting checks (input only when it names none). */
export function moderationDirections(m: ModerationSettings): ModerationDirection[] {
  return m.directions && m.directions.length > 0 ? m.directions : ['input'];
}

/** A policy: for one user group or one App, which rules apply, which actions they take, the moderation model. */
export interface SafetyPolicy {
  id: string;
  scope: PolicyScope;
  /** The group's name, or the App's id. */
  target: string;
  /** The rules that apply (null: each rule by its own groups). */
  ruleIds: string[] | null;
  /** Per rule id: the action it takes under this policy instead of its own. */
  actions: Record<string, SafetyAction>;
  moderation: ModerationSettings | null;
  createdAt: number;
  updatedAt: number;
}

export type PolicyInput = Pick<SafetyPolicy, 'scope' | 'target'> & Partial<Pick<SafetyPolicy, 'ruleIds' | 'actions' | 'moderation'>>;

const ACTIONS = new Set(['block', 'mask', 'flag']);
export const DEFAULT_MODERATION_TIMEOUT_MS = 3_000;

function fromRow(r: SafetyPoliciesTable): SafetyPolicy {
  return {
    id: r.id,
    scope: r.scope as PolicyScope,
    target: r.target,
    ruleIds: r.rule_ids === null ? null : (JSON.parse(r.rule_ids) as string[]),
    actions: JSON.parse(r.actions) as Record<string, SafetyAction>,
    moderation: r.moderation === null ? null : (JSON.parse(r.moderation) as ModerationSettings),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** A policy as stored: checked as a whole (valid actions, thresholds between 0 and 1). */
function validated(p: PolicyInput): Required<PolicyInput> {
  const bad = (message: string, param: string) => new GatewayError('invalid_request', message, { param, code: 'invalid_policy' });
  if (p.scope !== 'group' && p.scope !== 'app') throw bad('scope is "group" or "app".', 'scope');
  if (!p.target.trim()) throw bad('A policy names its group or App.', 'target');
  for (const [rule, action] of Object.entries(p.actions ?? {})) if (!ACTIONS.has(action)) throw bad(`The action of rule ${rule} is "block", "mask" or "flag".`, 'actions');
  const m = p.moderation ?? null;
  if (m) {
    if (!m.model.trim()) throw bad('The moderation model needs a name (a model a moderation channel serves).', 'moderation.model');
    for (const [c, v] of Object.entries(m.thresholds)) if (!(v >= 0 && v <= 1)) throw bad(`The threshold of ${c} is a score between 0 and 1.`, 'moderation.thresholds');
    for (const d of m.directions ?? []) if (d !== 'input' && d !== 'output') throw bad('The moderation model reads "input", "output" or both.', 'moderation.directions');
  }
  return {
    scope: p.scope,
    target: p.target.trim(),
    ruleIds: p.ruleIds === undefined || p.ruleIds === null ? null : [...new Set(p.ruleIds)],
    actions: p.actions ?? {},
    moderation: m && { model: m.model.trim(), thresholds: m.thresholds, action: m.action, timeoutMs: m.timeoutMs || DEFAULT_MODERATION_TIMEOUT_MS, failMode: m.failMode, directions: [...new Set(m.directions?.length ? m.directions : ['input' as const])].sort() },
  };
}

/** The policies in the database: at most one per (scope, target). */
export class PolicyStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<SafetyPolicy[]> {
    const rows = await this.db.selectFrom('safety_policies').selectAll().orderBy('scope').orderBy('target').execute();
    return rows.map(fromRow);
  }

  async get(id: string): Promise<SafetyPolicy | null> {
    const row = await this.db.selectFrom('safety_policies').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  /** A cheap fingerprint of the table, like the rules' (safety/store.ts). */
  async version(): Promise<string> {
    const r = await this.db
      .selectFrom('safety_policies')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('updated_at').as('u')])
      .executeTakeFirst();
    return `${Number(r?.n ?? 0)}:${Number(r?.u ?? 0)}`;
  }

  /** Makes the policy of (scope, target), or replaces it: a group or an App has one policy. */
  async put(input: PolicyInput): Promise<{ before: SafetyPolicy | null; after: SafetyPolicy }> {
    const p = validated(input);
    const before = await this.db.selectFrom('safety_policies').selectAll().where('scope', '=', p.scope).where('target', '=', p.target).executeTakeFirst();
    const now = before ? Math.max(Date.now(), Number(before.updated_at) + 1) : Date.now();
    const row: SafetyPoliciesTable = {
      id: before?.id ?? newId('sfp'),
      scope: p.scope,
      target: p.target,
      rule_ids: p.ruleIds === null ? null : JSON.stringify(p.ruleIds),
      actions: JSON.stringify(p.actions),
      moderation: p.moderation === null ? null : JSON.stringify(p.moderation),
      created_at: before ? Number(before.created_at) : now,
      updated_at: now,
    };
    if (before) await this.db.updateTable('safety_policies').set({ rule_ids: row.rule_ids, actions: row.actions, moderation: row.moderation, updated_at: now }).where('id', '=', before.id).execute();
    else await this.db.insertInto('safety_policies').values(row).execute();
    return { before: before ? fromRow(before) : null, after: fromRow(row) };
  }

  async delete(id: string): Promise<SafetyPolicy | null> {
    const before = await this.get(id);
    if (before) await this.db.deleteFrom('safety_policies').where('id', '=', id).execute();
    return before;
  }
}

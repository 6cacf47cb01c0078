import { GatewayError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Db } from '../storage/database.js';
import type { SafetyRulesTable } from '../storage/schema.js';
import { compilePattern, type Direction, type SafetyAction, type SafetyKind, type SafetyRule } from './rules.js';

/** What an admin sends to make or change a rule. */
export interface RuleInput {
  name?: string;
  kind?: SafetyKind;
  action?: SafetyAction;
  words?: string[];
  pattern?: string | null;
  groups?: string[];
  directions?: Direction[];
  enabled?: boolean;
}

/** A rule as the API answers it: the stored rule with its times and word count. */
export type StoredRule = SafetyRule & { createdAt: number; updatedAt: number };

/** One decision, as recorded: never the checked text. */
export interface Decision {
  requestId: string;
  ruleId: string;
  action: SafetyAction;
  direction: Direction;
  userId: string | null;
}

const ACTIONS: readonly SafetyAction[] = ['block', 'mask', 'flag'];
const KINDS: readonly SafetyKind[] = ['words', 'regex'];
const DIRECTIONS: readonly Direction[] = ['input', 'output'];
/** A word list's size limit: the automaton handles far more, the stored JSON row should not grow without bound. */
export const MAX_WORDS = 100_000;

function fromRow(r: SafetyRulesTable): StoredRule {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as SafetyKind,
    action: r.action as SafetyAction,
    words: JSON.parse(r.words) as string[],
    pattern: r.pattern,
    groups: JSON.parse(r.groups) as string[],
    directions: JSON.parse(r.directions) as Direction[],
    enabled: r.enabled === 1,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** The rule a creation or change leaves, checked as a whole (a regex rule needs a valid pattern). */
function validated(rule: SafetyRule): SafetyRule {
  const bad = (message: string, param: string) => new GatewayError('invalid_request', message, { param, code: 'invalid_rule' });
  if (!rule.name.trim()) throw bad('A rule needs a name.', 'name');
  if (!KINDS.includes(rule.kind)) throw bad('kind is "words" or "regex".', 'kind');
  if (!ACTIONS.includes(rule.action)) throw bad('action is "block", "mask" or "flag".', 'action');
  if (rule.directions.length === 0 || rule.directions.some((d) => !DIRECTIONS.includes(d))) throw bad('directions lists "input" and/or "output".', 'directions');
  if (rule.kind === 'regex') {
    if (!rule.pattern) throw bad('A regex rule needs a pattern.', 'pattern');
    try {
      compilePattern(rule.pattern);
    } catch (err) {
      throw bad(`The pattern is not a valid regular expression: ${(err as Error).message}`, 'pattern');
    }
  }
  if (rule.words.length > MAX_WORDS) throw bad(`A list holds at most ${MAX_WORDS} words.`, 'words');
  return { ...rule, words: cleanWords(rule.words) };
}

/** Words trimmed, empty ones and repeats dropped, order kept. */
export function cleanWords(words: readonly string[]): string[] {
  return [...new Set(words.map((w) => w.trim()).filter(Boolean))];
}

/**
 * A word file as admins have them: one word per line (UTF-8, a BOM tolerated), `#` starting a
 * comment line; commas and tabs also separate words (CSV exports of common lists).
 */
export function parseWordFile(text: string): string[] {
  return cleanWords(
    text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .filter((line) => !line.trimStart().startsWith('#'))
      .flatMap((line) => line.split(/[,\t]/)),
  );
}

/** The rules and decisions in the database. */
export class SafetyStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<StoredRule[]> {
    const rows = await this.db.selectFrom('safety_rules').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(fromRow);
  }

  async get(id: string): Promise<StoredRule | null> {
    const row = await this.db.selectFrom('safety_rules').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  /** A cheap fingerprint of the table: changes whenever a rule is made, changed or deleted. */
  async version(): Promise<string> {
    const r = await this.db
      .selectFrom('safety_rules')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('updated_at').as('u')])
      .executeTakeFirst();
    return `${Number(r?.n ?? 0)}:${Number(r?.u ?? 0)}`;
  }

  async create(input: RuleInput): Promise<StoredRule> {
    const rule = validated({
      id: newId('sfr'),
      name: input.name ?? '',
      kind: input.kind ?? 'words',
      action: input.action ?? 'block',
      words: input.words ?? [],
      pattern: input.pattern ?? null,
      groups: input.groups ?? [],
      directions: input.directions ?? ['input', 'output'],
      enabled: input.enabled ?? true,
    });
    const now = Date.now();
    await this.db.insertInto('safety_rules').values(toRow(rule, now, now)).execute();
    return { ...rule, createdAt: now, updatedAt: now };
  }

  async update(id: string, patch: RuleInput): Promise<StoredRule | null> {
    const before = await this.get(id);
    if (!before) return null;
    const rule = validated({ ...before, ...definedOnly(patch) });
    // Strictly later than before, so the version moves even for two changes in one millisecond.
    const now = Math.max(Date.now(), before.updatedAt + 1);
    const { id: _id, created_at: _c, ...row } = toRow(rule, before.createdAt, now);
    await this.db.updateTable('safety_rules').set(row).where('id', '=', id).execute();
    return { ...rule, createdAt: before.createdAt, updatedAt: now };
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('safety_rules').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Adds a word file's words to a list (or replaces the list): how many words it holds after. */
  async importWords(id: string, text: string, replace: boolean): Promise<StoredRule | null> {
    const rule = await this.get(id);
    if (!rule) return null;
    if (rule.kind !== 'words') throw new GatewayError('invalid_request', 'Words are imported into a word-list rule.', { code: 'invalid_rule' });
    const words = parseWordFile(text);
    return this.update(id, { words: replace ? words : [...rule.words, ...words] });
  }

  async record(decisions: readonly Decision[]): Promise<void> {
    if (decisions.length === 0) return;
    const now = Date.now();
    await this.db
      .insertInto('safety_decisions')
      .values(decisions.map((d) => ({ id: newId('sfd'), created_at: now, request_id: d.requestId, rule_id: d.ruleId, action: d.action, direction: d.direction, user_id: d.userId })))
      .execute();
  }

  /** The latest decisions, newest first (optionally of one rule). */
  async decisions(opts: { ruleId?: string; requestId?: string; limit: number }): Promise<(Decision & { id: string; createdAt: number })[]> {
    let q = this.db.selectFrom('safety_decisions').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit);
    if (opts.ruleId) q = q.where('rule_id', '=', opts.ruleId);
    if (opts.requestId) q = q.where('request_id', '=', opts.requestId);
    const rows = await q.execute();
    return rows.map((r) => ({ id: r.id, createdAt: Number(r.created_at), requestId: r.request_id, ruleId: r.rule_id, action: r.action as SafetyAction, direction: r.direction as Direction, userId: r.user_id }));
  }

  /** Hits per rule and action, for the console's counts. */
  async counts(): Promise<{ ruleId: string; action: string; direction: string; count: number }[]> {
    const rows = await this.db
      .selectFrom('safety_decisions')
      .select((eb) => ['rule_id', 'action', 'direction', eb.fn.countAll<number>().as('n')])
      .groupBy(['rule_id', 'action', 'direction'])
      .orderBy('rule_id')
      .execute();
    return rows.map((r) => ({ ruleId: r.rule_id, action: r.action, direction: r.direction, count: Number(r.n) }));
  }
}

function toRow(rule: SafetyRule, created: number, updated: number): SafetyRulesTable {
  return {
    id: rule.id,
    name: rule.name.trim(),
    kind: rule.kind,
    action: rule.action,
    words: JSON.stringify(rule.words),
    pattern: rule.kind === 'regex' ? rule.pattern : null,
    groups: JSON.stringify(rule.groups),
    directions: JSON.stringify(rule.directions),
    enabled: rule.enabled ? 1 : 0,
    created_at: created,
    updated_at: updated,
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

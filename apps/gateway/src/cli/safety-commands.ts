import { readFileSync } from 'node:fs';
import { GatewayError } from '../core/errors.js';
import { PolicyStore, type ModerationSettings, type PolicyInput } from '../safety/policies.js';
import { groupScope, RuleSet, mask, type Direction, type SafetyAction } from '../safety/rules.js';
import { parseWordFile, SafetyStore, type StoredRule } from '../safety/store.js';
import type { Storage } from '../storage-handle.js';
import { withStorage } from './with-storage.js';
import { out, parse, required, intOption, UsageError, type Command } from './args.js';
import { auditCli } from './audit.js';

/** Opens the database `serve` uses with the safety stores, runs `fn`, closes. A running gateway sees the change within 5 s. */
async function withSafety<T>(values: Record<string, unknown>, fn: (s: Storage, rules: SafetyStore, policies: PolicyStore) => Promise<T>): Promise<T> {
  return withStorage(values, (storage) => fn(storage, new SafetyStore(storage.db), new PolicyStore(storage.db)));
}

const list = (v: unknown) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : undefined);
const summary = (r: StoredRule) => ({ id: r.id, name: r.name, kind: r.kind, action: r.action, words: r.words.length, pattern: r.pattern, groups: r.groups, directions: r.directions, enabled: r.enabled });
const ACTIONS = ['block', 'mask', 'flag'];

function action(v: unknown, allowed = ACTIONS): SafetyAction | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !allowed.includes(v)) throw new UsageError(`the action is one of ${allowed.join(', ')}`);
  return v as SafetyAction;
}

/** `cat=0.7` pairs (thresholds) or `ruleId=action` pairs. */
function pairs(v: unknown, name: string): [string, string][] {
  return (list(v) ?? []).map((p) => {
    const i = p.lastIndexOf('=');
    if (i <= 0) throw new UsageError(`--${name} takes name=value pairs separated by commas`);
    return [p.slice(0, i), p.slice(i + 1)];
  });
}

/** The admins' content-safety commands: the same stores and checks as the management API, audited as `via: cli`. */
export const SAFETY_COMMANDS: Record<string, Command> = {
  'safety rules': {
    usage: 'apigpt safety rules [--json]',
    summary: 'List the content-safety rules (word counts, not the words)',
    async run(argv) {
      const { values } = parse(argv, {});
      const rules = await withSafety(values, (_s, store) => store.list());
      const human = rules.length
        ? rules.map((r) => `${r.id}  ${r.enabled ? 'on ' : 'off'}  ${r.action.padEnd(5)} ${r.kind.padEnd(5)} ${r.name}  ${r.kind === 'words' ? `${r.words.length} words` : r.pattern}  [${r.directions.join(',')}]${r.groups.length ? ` groups: ${r.groups.join(',')}` : ''}`).join('\n')
        : 'No rules.';
      out(values.json, rules.map(summary), human);
      return 0;
    },
  },
  'safety add': {
    usage: 'apigpt safety add --name N (--words a,b | --file WORDS.txt | --pattern REGEX) [--action block|mask|flag] [--directions input,output] [--groups g1,g2] [--json]',
    summary: 'Make a word-list or regular-expression rule (a word file: one word per line, # comments)',
    async run(argv) {
      const { values } = parse(argv, { name: { type: 'string' }, words: { type: 'string' }, file: { type: 'string' }, pattern: { type: 'string' }, action: { type: 'string' }, directions: { type: 'string' }, groups: { type: 'string' } });
      const pattern = values.pattern as string | undefined;
      if (!pattern && !values.words && !values.file) throw new UsageError('give --words, --file or --pattern');
      const rule = await withSafety(values, async (s, store) => {
        const created = await store.create({
          name: required(values, 'name'),
          kind: pattern ? 'regex' : 'words',
          action: action(values.action),
          words: pattern ? [] : [...(list(values.words) ?? []), ...(values.file ? parseWordFile(readFileSync(values.file as string, 'utf8')) : [])],
          pattern: pattern ?? null,
          directions: list(values.directions) as Direction[] | undefined,
          groups: list(values.groups),
        });
        await auditCli(s.db, { action: 'safety_rule.create', targetType: 'safety_rule', targetId: created.id, after: summary(created) });
        return created;
      });
      out(values.json, summary(rule), `Made rule "${rule.name}" (${rule.id}): ${rule.action} ${rule.kind === 'words' ? `${rule.words.length} words` : rule.pattern}`);
      return 0;
    },
  },
  'safety import': {
    usage: 'apigpt safety import RULE_ID FILE [--replace] [--json]',
    summary: 'Add a word file to a word-list rule (or replace its list)',
    async run(argv) {
      const { values, positionals } = parse(argv, { replace: { type: 'boolean' } }, true);
      if (positionals.length !== 2) throw new UsageError('give the rule id and the file');
      const [id, file] = positionals;
      const text = readFileSync(file, 'utf8');
      const rule = await withSafety(values, async (s, store) => {
        const before = await store.get(id);
        const after = before && (await store.importWords(id, text, values.replace === true));
        if (!before || !after) throw new GatewayError('not_found', `No such rule: ${id}.`, { code: 'rule_not_found' });
        await auditCli(s.db, { action: 'safety_rule.import', targetType: 'safety_rule', targetId: id, before: summary(before), after: summary(after) });
        return after;
      });
      out(values.json, summary(rule), `Rule "${rule.name}" now lists ${rule.words.length} words`);
      return 0;
    },
  },
  'safety delete': {
    usage: 'apigpt safety delete RULE_ID [--json]',
    summary: 'Delete a rule (its recorded decisions stay)',
    async run(argv) {
      const { values, positionals } = parse(argv, {}, true);
      if (positionals.length !== 1) throw new UsageError('give the rule id');
      await withSafety(values, async (s, store) => {
        const before = await store.get(positionals[0]);
        if (!before || !(await store.delete(before.id))) throw new GatewayError('not_found', `No such rule: ${positionals[0]}.`, { code: 'rule_not_found' });
        await auditCli(s.db, { action: 'safety_rule.delete', targetType: 'safety_rule', targetId: before.id, before: summary(before) });
      });
      out(values.json, { deleted: true }, `Deleted rule ${positionals[0]}`);
      return 0;
    },
  },
  'safety test': {
    usage: 'apigpt safety test TEXT [--group G] [--direction input|output] [--json]',
    summary: "What the rules would do to a text (for a group; every rule when none is given); nothing is recorded",
    async run(argv) {
      const { values, positionals } = parse(argv, { group: { type: 'string' }, direction: { type: 'string' } }, true);
      if (positionals.length !== 1) throw new UsageError('give the text (quoted)');
      const direction = (values.direction as Direction | undefined) ?? 'input';
      if (direction !== 'input' && direction !== 'output') throw new UsageError('--direction is input or output');
      const rules = new RuleSet(await withSafety(values, (_s, store) => store.list()));
      const v = rules.check(positionals[0], groupScope((values.group as string | undefined) ?? null), direction);
      const result = { action: v.action, masked: mask(positionals[0], v.hits), hits: v.hits };
      out(values.json, result, v.action === null ? 'No rule hits.' : `${v.action}: ${[...new Set(v.hits.map((h) => `${h.ruleName} (${h.action})`))].join(', ')}\n${result.masked}`);
      return 0;
    },
  },
  'safety policy': {
    usage:
      'apigpt safety policy --scope group|app --target NAME_OR_APP_ID [--rules id,id | --all-rules] [--actions id=flag,...] [--moderation-model M [--thresholds cat=0.7,...] [--moderation-action block|flag] [--timeout-ms N] [--fail open|closed] [--moderate input,output]] [--json]',
    summary: 'Make or replace the content-safety policy of a user group or an App',
    async run(argv) {
      const { values } = parse(argv, {
        scope: { type: 'string' },
        target: { type: 'string' },
        rules: { type: 'string' },
        'all-rules': { type: 'boolean' },
        actions: { type: 'string' },
        'moderation-model': { type: 'string' },
        thresholds: { type: 'string' },
        'moderation-action': { type: 'string' },
        'timeout-ms': { type: 'string' },
        fail: { type: 'string' },
        moderate: { type: 'string' },
      });
      const scope = required(values, 'scope');
      if (scope !== 'group' && scope !== 'app') throw new UsageError('--scope is group or app');
      const fail = (values.fail as string | undefined) ?? 'open';
      if (fail !== 'open' && fail !== 'closed') throw new UsageError('--fail is open or closed');
      const model = values['moderation-model'] as string | undefined;
      const moderation: ModerationSettings | null = model
        ? {
            model,
            thresholds: Object.fromEntries(pairs(values.thresholds, 'thresholds').map(([c, v]) => [c, Number(v)])),
            action: (action(values['moderation-action'], ['block', 'flag']) ?? 'block') as 'block' | 'flag',
            timeoutMs: intOption(values, 'timeout-ms') ?? 3_000,
            failMode: fail,
            // What the model reads: the input (the default), whole answers, or both.
            directions: (list(values.moderate) ?? ['input']).map((d) => {
              if (d !== 'input' && d !== 'output') throw new UsageError('--moderate is input, output or input,output');
              return d;
            }),
          }
        : null;
      const input: PolicyInput = {
        scope,
        target: required(values, 'target'),
        ruleIds: values['all-rules'] ? null : (list(values.rules) ?? null),
        actions: Object.fromEntries(pairs(values.actions, 'actions').map(([id, a]) => [id, action(a)!])),
        moderation,
      };
      const policy = await withSafety(values, async (s, store, policies) => {
        const known = new Set((await store.list()).map((r) => r.id));
        const unknown = [...(input.ruleIds ?? []), ...Object.keys(input.actions ?? {})].filter((id) => !known.has(id));
        if (unknown.length > 0) throw new GatewayError('invalid_request', `No such rule: ${unknown.join(', ')}.`, { code: 'rule_not_found' });
        const { before, after } = await policies.put(input);
        await auditCli(s.db, { action: before ? 'safety_policy.update' : 'safety_policy.create', targetType: 'safety_policy', targetId: after.id, before: before ?? undefined, after });
        return after;
      });
      out(values.json, policy, `Policy of ${policy.scope} ${policy.target} (${policy.id}): ${policy.ruleIds ? `${policy.ruleIds.length} rules` : 'rules by their groups'}${policy.moderation ? `, moderation ${policy.moderation.model} (fail ${policy.moderation.failMode})` : ''}`);
      return 0;
    },
  },
  'safety hits': {
    usage: 'apigpt safety hits [--json]',
    summary: 'The decisions recorded per rule, action and direction (never the texts)',
    async run(argv) {
      const { values } = parse(argv, {});
      const { counts, names } = await withSafety(values, async (_s, store) => ({ counts: await store.counts(), names: new Map((await store.list()).map((r) => [r.id, r.name])) }));
      const human = counts.length ? counts.map((c) => `${String(c.count).padStart(8)}  ${c.action.padEnd(5)} ${c.direction.padEnd(6)} ${names.get(c.ruleId) ?? c.ruleId}`).join('\n') : 'No decisions recorded.';
      out(values.json, counts, human);
      return 0;
    },
  },
};

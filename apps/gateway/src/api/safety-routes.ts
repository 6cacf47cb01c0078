import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../core/errors.js';
import type { PolicyInput, SafetyPolicy } from '../safety/policies.js';
import type { RuleInput, StoredRule } from '../safety/store.js';
import { audit } from './audit.js';
import type { ApiContext } from './context.js';

const tags = ['Admin: content safety'];
const Action = Type.Union([Type.Literal('block'), Type.Literal('mask'), Type.Literal('flag')]);
const Kind = Type.Union([Type.Literal('words'), Type.Literal('regex')]);
const Direction = Type.Union([Type.Literal('input'), Type.Literal('output')]);

const RuleFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  kind: Kind,
  action: Action,
  words: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100_000, description: 'The list (kind `words`); matched over normalised text' }),
  pattern: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], { description: 'A JavaScript regular expression (kind `regex`), matched case-insensitively' }),
  groups: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 200, description: 'User groups it applies to; empty: every group' }),
  directions: Type.Array(Direction, { minItems: 1, maxItems: 2 }),
  enabled: Type.Boolean(),
};

const Rule = Type.Object({ id: Type.String(), ...RuleFields, createdAt: Type.Number(), updatedAt: Type.Number() });
const RuleCreate = Type.Object({ name: RuleFields.name, kind: Type.Optional(Kind), action: Type.Optional(Action), words: Type.Optional(RuleFields.words), pattern: Type.Optional(RuleFields.pattern), groups: Type.Optional(RuleFields.groups), directions: Type.Optional(RuleFields.directions), enabled: Type.Optional(RuleFields.enabled) });
const RulePatch = Type.Partial(Type.Object(RuleFields));
const IdParam = Type.Object({ id: Type.String({ maxLength: 64 }) });

const Moderation = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 200, description: 'A model a channel serves for the `moderation` operation (OpenAI /v1/moderations shape)' }),
    thresholds: Type.Record(Type.String({ maxLength: 100 }), Type.Number({ minimum: 0, maximum: 1 }), { description: "Per category: the score from which it counts as hit; a category without one counts when the model flags it" }),
    action: Type.Union([Type.Literal('block'), Type.Literal('flag')]),
    timeoutMs: Type.Integer({ minimum: 50, maximum: 60_000 }),
    failMode: Type.Union([Type.Literal('open'), Type.Literal('closed')], { description: 'When the model does not answer in time: let the call through (open) or refuse it (closed)' }),
    directions: Type.Optional(
      Type.Array(Type.Union([Type.Literal('input'), Type.Literal('output')]), { minItems: 1, maxItems: 2, description: 'What the model reads: the input (default) and/or whole answers (streams are read by the rules alone)' }),
    ),
  },
  { description: 'The moderation model (null: none)' },
);
const PolicyFields = {
  scope: Type.Union([Type.Literal('group'), Type.Literal('app')]),
  target: Type.String({ minLength: 1, maxLength: 100, description: "The group's name or the App's id" }),
  ruleIds: Type.Union([Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 }), Type.Null()], { description: 'The rules that apply (null: each rule by its own groups)' }),
  actions: Type.Record(Type.String({ maxLength: 64 }), Action, { description: "Per rule id: the action it takes under this policy instead of its own" }),
  moderation: Type.Union([Moderation, Type.Null()]),
};
const Policy = Type.Object({ id: Type.String(), ...PolicyFields, createdAt: Type.Number(), updatedAt: Type.Number() });
const PolicyPut = Type.Object({ scope: PolicyFields.scope, target: PolicyFields.target, ruleIds: Type.Optional(PolicyFields.ruleIds), actions: Type.Optional(PolicyFields.actions), moderation: Type.Optional(PolicyFields.moderation) });

/** A rule as the audit log keeps it: the list's size, not the list (thousands of words would swamp the log). */
const summary = (r: StoredRule) => ({ id: r.id, name: r.name, kind: r.kind, action: r.action, words: r.words.length, pattern: r.pattern, groups: r.groups, directions: r.directions, enabled: r.enabled });

/**
 * Content-safety rules for admins: word lists and regular expressions with their action, groups and
 * directions; importing a word file; testing a text against the rules; the decisions and counts per
 * rule. Every change reloads this gateway's rules at once (others within seconds).
 */
export function registerSafetyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { store, guard } = ctx.services.safety;
  const db = ctx.services.db;
  const config = { auth: 'admin' as const };
  const notFound = () => new GatewayError('not_found', 'No such rule.', { code: 'rule_not_found' });

  app.get('/api/admin/safety/rules', { config, schema: { tags, summary: 'The content-safety rules', response: { 200: Type.Object({ items: Type.Array(Rule) }) } } }, async () => ({ items: await store.list() }));

  app.post('/api/admin/safety/rules', { config, schema: { tags, summary: 'Make a rule', body: RuleCreate, response: { 200: Rule } } }, async (req) => {
    const rule = await store.create(req.body as RuleInput);
    await guard.reload();
    await audit(req, db, { action: 'safety_rule.create', targetType: 'safety_rule', targetId: rule.id, after: summary(rule) });
    return rule;
  });

  app.get('/api/admin/safety/rules/:id', { config, schema: { tags, summary: 'One rule', params: IdParam, response: { 200: Rule } } }, async (req) => {
    return (await store.get((req.params as { id: string }).id)) ?? Promise.reject(notFound());
  });

  app.patch('/api/admin/safety/rules/:id', { config, schema: { tags, summary: 'Change a rule', params: IdParam, body: RulePatch, response: { 200: Rule } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const before = await store.get(id);
    const rule = before && (await store.update(id, req.body as RuleInput));
    if (!before || !rule) throw notFound();
    await guard.reload();
    await audit(req, db, { action: 'safety_rule.update', targetType: 'safety_rule', targetId: id, before: summary(before), after: summary(rule) });
    return rule;
  });

  app.delete('/api/admin/safety/rules/:id', { config, schema: { tags, summary: 'Delete a rule (its recorded decisions stay)', params: IdParam, response: { 200: Type.Object({ deleted: Type.Boolean() }) } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const before = await store.get(id);
    if (!before || !(await store.delete(id))) throw notFound();
    await guard.reload();
    await audit(req, db, { action: 'safety_rule.delete', targetType: 'safety_rule', targetId: id, before: summary(before) });
    return { deleted: true };
  });

  app.post(
    '/api/admin/safety/rules/:id/import',
    {
      config,
      schema: {
        tags,
        summary: 'Import a word file into a word-list rule',
        description: 'One word per line (UTF-8; `#` starts a comment line; commas and tabs also separate words). Added to the list, or replacing it with `replace: true`.',
        params: IdParam,
        body: Type.Object({ text: Type.String({ maxLength: 4_000_000 }), replace: Type.Optional(Type.Boolean()) }),
        response: { 200: Rule },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const { text, replace } = req.body as { text: string; replace?: boolean };
      const before = await store.get(id);
      const rule = before && (await store.importWords(id, text, replace === true));
      if (!before || !rule) throw notFound();
      await guard.reload();
      await audit(req, db, { action: 'safety_rule.import', targetType: 'safety_rule', targetId: id, before: summary(before), after: summary(rule) });
      return rule;
    },
  );

  app.post(
    '/api/admin/safety/test',
    {
      config,
      schema: {
        tags,
        summary: 'Test a text against the rules',
        description: "The rules' verdict on a text, for one user group (every rule when none is given) and direction; nothing is recorded.",
        body: Type.Object({ text: Type.String({ maxLength: 200_000 }), group: Type.Optional(Type.String({ maxLength: 100 })), direction: Type.Optional(Direction) }),
        response: {
          200: Type.Object({
            action: Type.Union([Action, Type.Null()]),
            masked: Type.String({ description: 'The text with masking rules applied' }),
            hits: Type.Array(Type.Object({ ruleId: Type.String(), ruleName: Type.String(), action: Action, start: Type.Integer(), end: Type.Integer() })),
          }),
        },
      },
    },
    async (req) => {
      const { text, group, direction } = req.body as { text: string; group?: string; direction?: 'input' | 'output' };
      // A test changes nothing (like the privacy preview): no audit row.
      req.audited = true;
      await guard.reload();
      const v = guard.inspect([text], { group: group ?? null }, direction ?? 'input');
      const hits = guard.current().check(text, group ?? null, direction ?? 'input').hits;
      return { action: v.action, masked: v.masked[0] ?? text, hits };
    },
  );

  const { policies } = ctx.services.safety;
  const policyGone = () => new GatewayError('not_found', 'No such policy.', { code: 'policy_not_found' });
  const policySummary = (p: SafetyPolicy) => ({ id: p.id, scope: p.scope, target: p.target, ruleIds: p.ruleIds, actions: p.actions, moderation: p.moderation });

  app.get('/api/admin/safety/policies', { config, schema: { tags, summary: 'The content-safety policies (per user group and per App)', response: { 200: Type.Object({ items: Type.Array(Policy) }) } } }, async () => ({ items: await policies.list() }));

  app.put(
    '/api/admin/safety/policies',
    {
      config,
      schema: {
        tags,
        summary: 'Make or replace the policy of a group or an App',
        description: "A call follows its App's policy, else its group's, else each rule by its own groups. Rules named must exist.",
        body: PolicyPut,
        response: { 200: Policy },
      },
    },
    async (req) => {
      const input = req.body as PolicyInput;
      const known = new Set((await store.list()).map((r) => r.id));
      const unknown = [...(input.ruleIds ?? []), ...Object.keys(input.actions ?? {})].filter((id) => !known.has(id));
      if (unknown.length > 0) throw new GatewayError('invalid_request', `No such rule: ${unknown.join(', ')}.`, { param: 'ruleIds', code: 'rule_not_found' });
      if (input.scope === 'app' && !(await db.selectFrom('apps').select('id').where('id', '=', input.target).executeTakeFirst()))
        throw new GatewayError('invalid_request', `No such App: ${input.target}.`, { param: 'target', code: 'app_not_found' });
      const { before, after } = await policies.put(input);
      await guard.reload();
      await audit(req, db, { action: before ? 'safety_policy.update' : 'safety_policy.create', targetType: 'safety_policy', targetId: after.id, before: before ? policySummary(before) : undefined, after: policySummary(after) });
      return after;
    },
  );

  app.delete('/api/admin/safety/policies/:id', { config, schema: { tags, summary: 'Delete a policy (its group or App falls back to the rules’ own groups)', params: IdParam, response: { 200: Type.Object({ deleted: Type.Boolean() }) } } }, async (req) => {
    const before = await policies.delete((req.params as { id: string }).id);
    if (!before) throw policyGone();
    await guard.reload();
    await audit(req, db, { action: 'safety_policy.delete', targetType: 'safety_policy', targetId: before.id, before: policySummary(before) });
    return { deleted: true };
  });

  app.get(
    '/api/admin/safety/decisions',
    {
      config,
      schema: {
        tags,
        summary: "The rules' latest decisions and the counts per rule",
        description: 'Each decision names the rule, action, request and direction; the checked text is never stored.',
        querystring: Type.Object({
          ruleId: Type.Optional(Type.String({ maxLength: 64 })),
          requestId: Type.Optional(Type.String({ maxLength: 64, description: "One call's decisions (the request log's id)" })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(Type.Object({ id: Type.String(), createdAt: Type.Number(), requestId: Type.String(), ruleId: Type.String(), action: Type.String(), direction: Type.String(), userId: Type.Union([Type.String(), Type.Null()]) })),
            counts: Type.Array(Type.Object({ ruleId: Type.String(), action: Type.String(), direction: Type.String(), count: Type.Integer() })),
          }),
        },
      },
    },
    async (req) => {
      const q = req.query as { ruleId?: string; requestId?: string; limit?: number };
      const items = await store.decisions({ ruleId: q.ruleId, requestId: q.requestId, limit: q.limit ?? 100 });
      // One call's decisions (the request log's detail) need no counts over the whole table.
      return { items, counts: q.requestId ? [] : await store.counts() };
    },
  );
}

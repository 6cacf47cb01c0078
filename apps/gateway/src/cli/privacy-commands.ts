import { writeFileSync } from 'node:fs';
import { requireUserByEmail } from '../accounts/users.js';
import { createPrivacy, PII_KINDS, validatePolicy, type Privacy, type PolicyScope, type PiiKind, type RedactionMode } from '../privacy/index.js';
import type { Storage } from '../storage-handle.js';
import { withStorage } from './with-storage.js';
import { out, parse, intOption, UsageError, type Command } from './args.js';
import { auditCli } from './audit.js';

/** Opens the database `serve` uses and privacy protection on it (no purge timer), runs `fn`, closes. */
async function withPrivacy<T>(values: Record<string, unknown>, fn: (s: Storage, p: Privacy) => Promise<T>): Promise<T> {
  return withStorage(values, async (storage) => {
    const privacy = await createPrivacy(storage.db, storage.log, { start: false });
    try {
      return await fn(storage, privacy);
    } finally {
      await privacy.close();
    }
  });
}

/** `--group NAME` or `--app ID`: exactly one. */
function scopeOf(values: Record<string, unknown>): { scope: PolicyScope; target: string } {
  const group = values.group as string | undefined;
  const app = values.app as string | undefined;
  if (Boolean(group) === Boolean(app)) throw new UsageError('give either --group NAME or --app ID');
  return group ? { scope: 'group', target: group } : { scope: 'app', target: app! };
}

const onOff = (v: unknown, name: string): boolean | undefined => {
  if (v === undefined) return undefined;
  if (v === 'on' || v === 'off') return v === 'on';
  throw new UsageError(`--${name} is on or off`);
};

const describe = (p: { scope: string; target: string; contentLogging: boolean; retentionDays: number; redaction: string; kinds: string[]; patterns: { name: string }[] }) =>
  `${p.scope}:${p.target}  content log ${p.contentLogging ? `on (${p.retentionDays} days)` : 'off'}  redaction ${p.redaction}${p.redaction === 'off' ? '' : ` [${[...p.kinds, ...p.patterns.map((c) => `custom:${c.name}`)].join(', ')}]`}`;

export const PRIVACY_COMMANDS: Record<string, Command> = {
  'privacy list': {
    usage: 'apigpt privacy list [--json]',
    summary: 'List the privacy policies (content logging, redaction) per user group and App',
    async run(argv) {
      const { values } = parse(argv, {});
      const list = await withPrivacy(values, (_s, p) => p.policies.list());
      out(values.json, list, list.length ? list.map(describe).join('\n') : 'No privacy policies: no content is logged and nothing is redacted.');
      return 0;
    },
  },
  'privacy set': {
    usage: `apigpt privacy set (--group NAME | --app ID) [--content-log on|off] [--retention-days N] [--redaction off|mask|reversible] [--kinds ${PII_KINDS.join(',')}] [--pattern NAME=REGEX]... [--json]`,
    summary: "Set a group's or an App's privacy policy (what is not given keeps its value; an App's policy replaces its group's)",
    async run(argv) {
      const { values } = parse(argv, { group: { type: 'string' }, app: { type: 'string' }, 'content-log': { type: 'string' }, 'retention-days': { type: 'string' }, redaction: { type: 'string' }, kinds: { type: 'string' }, pattern: { type: 'string', multiple: true } });
      const { scope, target } = scopeOf(values);
      const patterns = (values.pattern as string[] | undefined)?.map((p) => {
        const at = p.indexOf('=');
        if (at < 1) throw new UsageError('--pattern is NAME=REGEX');
        return { name: p.slice(0, at), pattern: p.slice(at + 1) };
      });
      const policy = await withPrivacy(values, (s, p) =>
        s.db.transaction().execute(async (trx) => {
          if (scope === 'app' && !(await trx.selectFrom('apps').select('id').where('id', '=', target).executeTakeFirst())) throw new UsageError(`no App with id ${target}`);
          const before = await p.policies.get(scope, target, trx);
          const input = validatePolicy({
            contentLogging: onOff(values['content-log'], 'content-log') ?? before?.contentLogging ?? false,
            retentionDays: intOption(values, 'retention-days') ?? before?.retentionDays ?? 30,
            redaction: (values.redaction as RedactionMode | undefined) ?? before?.redaction ?? 'off',
            kinds: values.kinds !== undefined ? ((values.kinds as string).split(',').map((k) => k.trim()).filter(Boolean) as PiiKind[]) : (before?.kinds ?? []),
            patterns: patterns ?? before?.patterns ?? [],
          });
          const after = await p.policies.put(scope, target, input, trx);
          await auditCli(trx, { action: 'privacy_policy.set', targetType: `privacy_policy_${scope}`, targetId: target, before: before ?? undefined, after });
          return after;
        }),
      );
      out(values.json, policy, `Set ${describe(policy)} (running gateways pick it up within 5 seconds)`);
      return 0;
    },
  },
  'privacy unset': {
    usage: 'apigpt privacy unset (--group NAME | --app ID) [--json]',
    summary: 'Remove a privacy policy (an App falls back to its group\'s)',
    async run(argv) {
      const { values } = parse(argv, { group: { type: 'string' }, app: { type: 'string' } });
      const { scope, target } = scopeOf(values);
      await withPrivacy(values, (s, p) =>
        s.db.transaction().execute(async (trx) => {
          const before = await p.policies.get(scope, target, trx);
          if (!before || !(await p.policies.delete(scope, target, trx))) throw new UsageError(`no policy is set for ${scope} ${target}`);
          await auditCli(trx, { action: 'privacy_policy.delete', targetType: `privacy_policy_${scope}`, targetId: target, before });
        }),
      );
      out(values.json, { deleted: true }, `Removed the policy of ${scope} ${target}`);
      return 0;
    },
  },
  'privacy purge': {
    usage: 'apigpt privacy purge [--json]',
    summary: 'Delete logged content past its retention now (serve does it at start and every 10 minutes)',
    async run(argv) {
      const { values } = parse(argv, {});
      const purged = await withPrivacy(values, async (s, p) => {
        const n = await p.contents.purgeExpired();
        await auditCli(s.db, { action: 'privacy.purge', targetType: 'request_contents', after: { purged: n } });
        return n;
      });
      out(values.json, { purged }, `Purged the content of ${purged} calls`);
      return 0;
    },
  },
  'privacy export': {
    usage: 'apigpt privacy export --email EMAIL [--out FILE]',
    summary: "Export a user's account data as JSON (what the user gets from the console; keys without secrets)",
    async run(argv) {
      const { values } = parse(argv, { email: { type: 'string' }, out: { type: 'string' } });
      if (typeof values.email !== 'string') throw new UsageError('--email is required');
      const data = await withPrivacy(values, async (s, p) => {
        const user = await requireUserByEmail(s.db, values.email as string);
        const exported = await p.account.export(user.id);
        await auditCli(s.db, { action: 'account.export', targetType: 'user', targetId: user.id });
        return exported;
      });
      const text = JSON.stringify(data, null, 2) + '\n';
      if (typeof values.out === 'string') {
        writeFileSync(values.out, text, { mode: 0o600 });
        process.stdout.write(`Wrote ${values.out}\n`);
      } else process.stdout.write(text);
      return 0;
    },
  },
  'privacy delete-user': {
    usage: 'apigpt privacy delete-user --email EMAIL [--json]',
    summary: "Delete a user's account for them: keys revoked, content purged, personal fields removed; the ledger stays, pseudonymised",
    async run(argv) {
      const { values } = parse(argv, { email: { type: 'string' } });
      if (typeof values.email !== 'string') throw new UsageError('--email is required');
      const done = await withPrivacy(values, async (s, p) => {
        const user = await requireUserByEmail(s.db, values.email as string);
        if (user.role === 'admin') throw new UsageError('this is an administrator: make it a user account first');
        const result = await p.account.delete(user.id);
        await auditCli(s.db, { action: 'account.delete', targetType: 'user', targetId: user.id, after: { keysRevoked: result.keysRevoked, contentsDeleted: result.contentsDeleted, storedResponsesDeleted: result.storedResponsesDeleted } });
        return result;
      });
      out(values.json, done, `Deleted the account (now ${done.pseudonym}): ${done.keysRevoked} keys revoked, content of ${done.contentsDeleted} calls and ${done.storedResponsesDeleted} stored responses deleted`);
      return 0;
    },
  },
};

// The administration commands: users, keys, channels, migrations, the simulator, billing, safety and
// privacy. Loaded by `main` only when one of them runs (or for --help), so `apigpt serve` — and above
// all a cluster's primary, which serves nothing — never loads what they import (the database, the
// accounts, the billing engine).
import { createApp, findAppByName } from '../apps/apps.js';
import { createKey, revokeKeyByPrefix } from '../apps/keys.js';
import { createUser, replacePasswordHash, requireUserByEmail } from '../accounts/users.js';
import { checkPasswordStrength } from '../accounts/password-strength.js';
import { TwoFactor } from '../accounts/two-factor.js';
import { hashPassword } from '../core/crypto.js';
import { migrateToLatest } from '../storage/migrations.js';
import { configFrom, out, parse, required, intOption, UsageError, type Command } from './args.js';
import { withStorage } from './with-storage.js';
import { BILLING_COMMANDS, withBilling } from './billing-commands.js';
import { auditCli } from './audit.js';
import { SAFETY_COMMANDS } from './safety-commands.js';
import { PRIVACY_COMMANDS } from './privacy-commands.js';

export const ADMIN_COMMANDS: Record<string, Command> = {
  migrate: {
    usage: 'apigpt migrate [--data DIR] [--json]',
    summary: 'Apply database migrations (serve also does this at start)',
    async run(argv) {
      const { values } = parse(argv, {});
      const config = configFrom(values);
      const { openDatabase } = await import('../storage/database.js');
      const dbh = await openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, schema: config.databaseSchema, stallMs: config.databaseStallMs });
      try {
        const applied = await migrateToLatest(dbh.db, { schema: dbh.schema });
        out(values.json, { database: dbh.describe, applied }, applied.length ? `Applied ${applied.join(', ')} to ${dbh.describe}` : `${dbh.describe} is up to date`);
      } finally {
        await dbh.close();
      }
      return 0;
    },
  },
  simulator: {
    usage: 'apigpt simulator [--port N] [--host H] [--api-key K]',
    summary: 'Run the provider simulator on its own port',
    async run(argv) {
      const { values } = parse(argv, { port: { type: 'string' }, host: { type: 'string' }, 'api-key': { type: 'string' } });
      // Loaded by this command only: \`apigpt serve\` does not compile it unless a channel needs it.
      const { startSimulator } = await import('@apigpt/simulator');
      const sim = await startSimulator({ port: intOption(values, 'port') ?? 8787, host: (values.host as string) ?? '127.0.0.1', apiKey: values['api-key'] as string | undefined });
      out(values.json, { url: sim.url }, `Simulator listening on ${sim.url} (OpenAI-style base URL: ${sim.url}/v1)`);
      await new Promise<void>((resolve) => {
        const stop = () => void sim.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      return 0;
    },
  },
  'user create': {
    usage: 'apigpt user create --email E --password P [--admin] [--json]',
    summary: 'Create a user',
    async run(argv) {
      const { values } = parse(argv, { email: { type: 'string' }, password: { type: 'string' }, admin: { type: 'boolean' } });
      const email = required(values, 'email');
      const password = required(values, 'password');
      // The same strength check as a sign-up, before anything is opened.
      await checkPasswordStrength(password, { minScore: configFrom(values).passwordMinScore }, [email]);
      // Through billing's sign-up hook, so a CLI-made account gets its trial credit like any other;
      // the audit row rides the same transaction.
      const user = await withBilling(values, (s, billing) =>
        createUser(s.db, { email, password, role: values.admin ? 'admin' : 'user' }, async (trx, created) => {
          await billing.onUserCreated(trx, created);
          await auditCli(trx, { action: 'user.create', targetType: 'user', targetId: created.id, after: created });
        }),
      );
      out(values.json, user, `Created ${user.role} ${user.email} (${user.id})`);
      return 0;
    },
  },
  'user set-password': {
    usage: 'apigpt user set-password --email E --password P [--json]',
    summary: "Set a user's password (checked for strength like a sign-up; ends the user's console sessions)",
    async run(argv) {
      const { values } = parse(argv, { email: { type: 'string' }, password: { type: 'string' } });
      const email = required(values, 'email');
      const password = required(values, 'password');
      const user = await withStorage(values, async (s) => {
        const before = await requireUserByEmail(s.db, email);
        await checkPasswordStrength(password, { minScore: s.config.passwordMinScore }, [before.email, before.display_name ?? '']);
        // Hashed before the transaction (tens of milliseconds); the change and its audit row commit together.
        const hash = await hashPassword(password);
        await s.db.transaction().execute(async (trx) => {
          await replacePasswordHash(trx, before.id, hash);
          await auditCli(trx, { action: 'user.update', targetType: 'user', targetId: before.id, before, after: { ...before, passwordChanged: true } });
        });
        return before;
      });
      out(values.json, { ok: true, user: { id: user.id, email: user.email } }, `Set the password of ${user.email}; their console sessions have ended`);
      return 0;
    },
  },
  'user reset-2fa': {
    usage: 'apigpt user reset-2fa --email E [--json]',
    summary: "Turn a user's two-factor sign-in off (lost phone and recovery codes); they sign in with the password alone",
    async run(argv) {
      const { values } = parse(argv, { email: { type: 'string' } });
      const email = required(values, 'email');
      const result = await withStorage(values, async (s) => {
        const user = await requireUserByEmail(s.db, email);
        const tf = new TwoFactor(s.db, s.box);
        return s.db.transaction().execute(async (trx) => {
          const was = await tf.status(user.id, trx);
          await tf.remove(user.id, trx);
          await auditCli(trx, { action: 'user.two_factor_reset', targetType: 'user', targetId: user.id, before: { email: user.email, twoFactor: was.enabled, pending: was.pending, recoveryCodesLeft: was.recoveryCodesLeft }, after: { email: user.email, twoFactor: false } });
          return { user, was };
        });
      });
      const human = result.was.enabled || result.was.pending ? `Two-factor sign-in of ${email} is off; they sign in with the password alone` : `${email} had no two-factor sign-in; nothing changed`;
      out(values.json, { ok: true, user: { id: result.user.id, email: result.user.email }, wasEnabled: result.was.enabled }, human);
      return 0;
    },
  },
  'app create': {
    usage: 'apigpt app create --email E --name N [--json]',
    summary: "Create an app for a user and print its first key (shown once)",
    async run(argv) {
      const { values } = parse(argv, { email: { type: 'string' }, name: { type: 'string' } });
      const res = await withStorage(values, async (s) => {
        const user = await requireUserByEmail(s.db, required(values, 'email'));
        const app = await createApp(s.db, user.id, { name: required(values, 'name') });
        const key = await createKey(s.db, user.id, app.id, 'default');
        return { app, key: key.key, keyRecord: key.record };
      });
      out(values.json, res, `Created app "${res.app.name}" (${res.app.id})\nAPI key (shown once): ${res.key}`);
      return 0;
    },
  },
  'key create': {
    usage: 'apigpt key create --email E --app NAME [--name KEYNAME] [--json]',
    summary: 'Create another key for an app (shown once)',
    async run(argv) {
      const { values } = parse(argv, { email: { type: 'string' }, app: { type: 'string' }, name: { type: 'string' } });
      const res = await withStorage(values, async (s) => {
        const user = await requireUserByEmail(s.db, required(values, 'email'));
        const app = await findAppByName(s.db, user.id, required(values, 'app'));
        const key = await createKey(s.db, user.id, app.id, values.name as string | undefined);
        return { key: key.key, record: key.record };
      });
      out(values.json, res, `API key (shown once): ${res.key}`);
      return 0;
    },
  },
  'key revoke': {
    usage: 'apigpt key revoke PREFIX [--json]',
    summary: 'Revoke the one live key that starts with PREFIX (or the whole key)',
    async run(argv) {
      const { values, positionals } = parse(argv, {}, true);
      if (positionals.length !== 1) throw new UsageError('give exactly one key prefix');
      const key = await withStorage(values, (s) =>
        s.db.transaction().execute(async (trx) => {
          const revoked = await revokeKeyByPrefix(trx, positionals[0]);
          await auditCli(trx, { action: 'key.revoke', targetType: 'key', targetId: revoked.id, after: revoked });
          return revoked;
        }),
      );
      out(values.json, key, `Revoked key ${key.prefix}… (${key.name})`);
      return 0;
    },
  },
  'channel add': {
    usage: 'apigpt channel add --provider KIND --name N --base-url URL [--key SECRET] --models a,b [--priority P] [--weight W] [--json]',
    summary: 'Add an upstream channel (the secret is stored encrypted)',
    async run(argv) {
      const { values } = parse(argv, {
        provider: { type: 'string' },
        name: { type: 'string' },
        'base-url': { type: 'string' },
        key: { type: 'string' },
        models: { type: 'string' },
        priority: { type: 'string' },
        weight: { type: 'string' },
      });
      const channel = await withStorage(values, (s) =>
        s.db.transaction().execute(async (trx) => {
          const created = await s.channels.create(
            {
              provider: required(values, 'provider'),
              name: required(values, 'name'),
              baseUrl: required(values, 'base-url'),
              secret: (values.key as string | undefined) ?? null,
              models: required(values, 'models').split(',').map((m) => m.trim()).filter(Boolean),
              priority: intOption(values, 'priority'),
              weight: intOption(values, 'weight'),
            },
            trx,
          );
          // The view has `hasSecret`, never the key.
          await auditCli(trx, { action: 'channel.create', targetType: 'channel', targetId: created.id, after: created });
          return created;
        }),
      );
      out(values.json, channel, `Added channel "${channel.name}" (${channel.id}) serving ${channel.models.join(', ')}`);
      return 0;
    },
  },
  'channel list': {
    usage: 'apigpt channel list [--json]',
    summary: 'List channels (never their secrets)',
    async run(argv) {
      const { values } = parse(argv, {});
      const list = await withStorage(values, (s) => s.channels.list());
      const human = list.length
        ? list.map((c) => `${c.id}  ${c.enabled ? 'on ' : 'off'}  p${c.priority} w${c.weight}  ${c.provider.padEnd(17)} ${c.name}${c.simulated ? ' [simulated]' : ''}  ${c.baseUrl}  [${c.models.join(', ')}]`).join('\n')
        : 'No channels.';
      out(values.json, list, human);
      return 0;
    },
  },
  ...BILLING_COMMANDS,
  ...SAFETY_COMMANDS,
  ...PRIVACY_COMMANDS,
};

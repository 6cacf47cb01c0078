import { join } from 'node:path';
import { requireUserByEmail } from '../accounts/users.js';
import { Billing } from '../billing/index.js';
import { checkBilling } from '../billing/check.js';
import { parseIdempotencyKey, type IdempotencyKey } from '../billing/idempotency.js';
import { accountOf } from '../billing/ledger.js';
import { formatPoints, fromPoints, toPoints } from '../billing/money.js';
import { priceView } from '../billing/pricing.js';
import type { Storage } from '../storage-handle.js';
import { withStorage } from './with-storage.js';
import { out, parse, required, intOption, UsageError, type Command } from './args.js';
import { MAX_COUNT, MAX_POINTS, MAX_PRICE } from '../api/billing-schemas.js';
import { auditCli } from './audit.js';

/** Opens the database `serve` uses and billing on it (Redis too when REDIS_URL is set), runs `fn`, closes. */
export async function withBilling<T>(values: Record<string, unknown>, fn: (s: Storage, billing: Billing) => Promise<T>): Promise<T> {
  return withStorage(values, async (storage) => {
    const billing = await Billing.create({ config: storage.config, db: storage.db, log: storage.log, serving: false });
    try {
      return await fn(storage, billing);
    } finally {
      await billing.close();
    }
  });
}

/**
 * A decimal number of points; `--amount=-5` deducts (the `=` keeps the minus from reading as a flag).
 * Bounded as the management API bounds it (`max`: MAX_POINTS, or MAX_PRICE for unit prices).
 */
function points(values: Record<string, unknown>, name: string, opts: { optional?: boolean; max?: number; negative?: boolean } = {}): number | undefined {
  const v = values[name];
  if (v === undefined && opts.optional) return undefined;
  if (typeof v !== 'string' || !/^-?\d+(\.\d{1,6})?$/.test(v.trim())) throw new UsageError(`--${name} must be a number of points, e.g. 12.5`);
  const n = Number(v);
  const max = opts.max ?? MAX_POINTS;
  const min = opts.negative ? -max : 0;
  if (n < min || n > max) throw new UsageError(`--${name} must be from ${min} to ${max} points (got ${v.trim()})`);
  return fromPoints(n);
}

/** A whole-number option with bounds. */
function boundedInt(values: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const n = intOption(values, name);
  if (n !== undefined && (n < min || n > max)) throw new UsageError(`--${name} must be from ${min} to ${max}`);
  return n;
}

/** A unit price option: a number of points, `none` to remove it, or left out (undefined: unchanged). */
function unitPoints(values: Record<string, unknown>, name: string): number | null | undefined {
  if (typeof values[name] === 'string' && (values[name] as string).trim().toLowerCase() === 'none') return null;
  return points(values, name, { optional: true, max: MAX_PRICE });
}

/**
 * `--idempotency-key KEY`: the command's key, scoped to the CLI and the command. Without the option
 * there is no key (the CLI never invents one: a retry is then a new request).
 */
function idempotencyKey(values: Record<string, unknown>, command: string, params: unknown): IdempotencyKey | undefined {
  const v = values['idempotency-key'];
  if (v === undefined) return undefined;
  let key: string;
  try {
    key = parseIdempotencyKey(v, '--idempotency-key');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return { scope: 'cli', route: `cli ${command}`, key, params };
}

/** Said on stderr, so a replay's stdout (and --json) is exactly the first run's. */
function noteReplay(replayed: boolean, values: Record<string, unknown>): void {
  if (replayed) process.stderr.write(`Replayed: idempotency key "${values['idempotency-key'] as string}" was used before; this is its first answer and nothing moved again.\n`);
}

const IDEMPOTENCY_OPTION = { 'idempotency-key': { type: 'string' } } as const;

type PriceView = ReturnType<typeof priceView>;

/** `0.5 P in, 1.5 P out, 0.5 P cached per 1K tokens; 0.1 P per second (6 P per minute)`. */
function describePrice(v: PriceView): string {
  const parts = [`${v.input} P in, ${v.output} P out, ${v.cachedInput} P cached per 1K tokens`];
  if (v.perImage !== null) parts.push(`${v.perImage} P per image`);
  if (v.perKChars !== null) parts.push(`${v.perKChars} P per 1K characters`);
  if (v.perSecond !== null) parts.push(`${v.perSecond} P per second (${toPoints(Math.round(fromPoints(v.perSecond) * 60))} P per minute)`);
  if (v.perKSearches !== null) parts.push(`${v.perKSearches} P per 1K searches`);
  return parts.join('; ');
}

export const BILLING_COMMANDS: Record<string, Command> = {
  'credit show': {
    usage: 'apigpt credit show --email E [--json]',
    summary: "Show a user's balance and latest ledger rows",
    async run(argv) {
      const { values } = parse(argv, { email: { type: 'string' } });
      const res = await withBilling(values, async (s) => {
        const user = await requireUserByEmail(s.db, required(values, 'email'));
        const acc = await accountOf(s.db, user.id);
        const ledger = await s.db.selectFrom('ledger').selectAll().where('user_id', '=', user.id).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(10).execute();
        return { email: user.email, group: user.group_name, balance: toPoints(Number(acc.balance)), ledger: ledger.map((l) => ({ ...l, amount: toPoints(Number(l.amount)), balance_after: toPoints(Number(l.balance_after)) })) };
      });
      const lines = res.ledger.map((l) => `  ${new Date(l.created_at).toISOString()}  ${l.kind.padEnd(7)} ${String(l.amount).padStart(14)}  → ${l.balance_after}  ${l.reason ?? ''}`);
      out(values.json, res, `${res.email} (${res.group}): ${res.balance} P${lines.length ? `\nLatest:\n${lines.join('\n')}` : ''}`);
      return 0;
    },
  },
  'credit grant': {
    usage: 'apigpt credit grant --email E --amount P --reason R [--idempotency-key K] [--json]   (--amount=-P deducts)',
    summary: 'Grant or deduct credit, recorded in the ledger with the reason (a repeat with the same --idempotency-key moves nothing again)',
    async run(argv) {
      const { values } = parse(argv, { email: { type: 'string' }, amount: { type: 'string' }, reason: { type: 'string' }, ...IDEMPOTENCY_OPTION });
      const amount = points(values, 'amount', { negative: true })!;
      const reason = required(values, 'reason');
      if (amount === 0) throw new UsageError('--amount must not be zero');
      const res = await withBilling(values, async (s, billing) => {
        const user = await requireUserByEmail(s.db, required(values, 'email'));
        const key = idempotencyKey(values, 'credit grant', { user: user.id, amount, reason });
        const c = await billing.adjust(user.id, amount, amount > 0 ? 'topup' : 'adjust', `${reason} (by CLI)`, key, (trx, done) =>
          auditCli(trx, { action: 'credit.adjust', targetType: 'user', targetId: user.id, before: { balance: toPoints(done.balance - amount) }, after: { balance: toPoints(done.balance), amount: toPoints(amount), reason } }),
        );
        noteReplay(c.replayed, values);
        return { email: user.email, amount: toPoints(amount), balance: toPoints(c.balance) };
      });
      out(values.json, res, `${amount > 0 ? 'Granted' : 'Deducted'} ${formatPoints(Math.abs(amount))} ${amount > 0 ? 'to' : 'from'} ${res.email}; balance ${res.balance} P`);
      return 0;
    },
  },
  'price set': {
    usage:
      'apigpt price set --model M --input P --output P [--cached P] [--image P] [--per-1k-chars P] [--per-second P] [--per-1k-searches P] [--max-output N] [--json]   (a unit price left out stays as it was; "none" removes it)',
    summary: "Set a model's price (P per 1K tokens; --image: P per standard image; --per-1k-chars: speech; --per-second: audio heard; --per-1k-searches: rerank)",
    async run(argv) {
      const { values } = parse(argv, {
        model: { type: 'string' },
        input: { type: 'string' },
        output: { type: 'string' },
        cached: { type: 'string' },
        image: { type: 'string' },
        'per-1k-chars': { type: 'string' },
        'per-second': { type: 'string' },
        'per-1k-searches': { type: 'string' },
        'max-output': { type: 'string' },
      });
      const model = required(values, 'model');
      const input = points(values, 'input', { max: MAX_PRICE })!;
      const output = points(values, 'output', { max: MAX_PRICE })!;
      const cached = points(values, 'cached', { optional: true, max: MAX_PRICE });
      const image = unitPoints(values, 'image');
      const perKChars = unitPoints(values, 'per-1k-chars');
      const perSecond = unitPoints(values, 'per-second');
      const perKSearches = unitPoints(values, 'per-1k-searches');
      const maxOutput = boundedInt(values, 'max-output', 0, MAX_COUNT);
      const res = await withBilling(values, (s, billing) =>
        s.db.transaction().execute(async (trx) => {
          const old = await billing.prices.get(model, trx);
          const price = await billing.prices.set(
            {
              model,
              input,
              output,
              cachedInput: cached ?? input,
              perImage: image === undefined ? (old?.perImage ?? null) : image,
              perKChars: perKChars === undefined ? (old?.perKChars ?? null) : perKChars,
              perSecond: perSecond === undefined ? (old?.perSecond ?? null) : perSecond,
              perKSearches: perKSearches === undefined ? (old?.perKSearches ?? null) : perKSearches,
              maxOutput: maxOutput ?? old?.maxOutput ?? 4096,
            },
            trx,
          );
          await auditCli(trx, { action: 'price.set', targetType: 'price', targetId: model, before: old && priceView(old), after: priceView(price) });
          return price;
        }),
      );
      const view = priceView(res);
      out(values.json, view, `${view.model}: ${describePrice(view)}`);
      return 0;
    },
  },
  'price list': {
    usage: 'apigpt price list [--model M] [--json]',
    summary: 'List the price table (every unit in P; "-" where a model is not sold by that unit)',
    async run(argv) {
      const { values } = parse(argv, { model: { type: 'string' } });
      const prices = await withBilling(values, (_s, billing) => billing.prices.list());
      const items = prices.filter((p) => values.model === undefined || p.model === values.model).map(priceView);
      if (values.model !== undefined && items.length === 0) throw new UsageError(`no price is set for ${values.model as string}`);
      const head = ['model', 'in/1K', 'out/1K', 'cached/1K', 'image', 'chars/1K', 'second', 'searches/1K', 'max out'];
      const cell = (v: number | null) => (v === null ? '-' : String(v));
      const rows = items.map((v) => [v.model, cell(v.input), cell(v.output), cell(v.cachedInput), cell(v.perImage), cell(v.perKChars), cell(v.perSecond), cell(v.perKSearches), String(v.maxOutput)]);
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
      out(values.json, { items }, [`${line(head)}   (P)`, ...rows.map(line)].join('\n'));
      return 0;
    },
  },
  'code create': {
    usage: 'apigpt code create --count N --value P [--expires ISO] [--name N] [--idempotency-key K] [--json]',
    summary: 'Generate redemption codes (each works once; a repeat with the same --idempotency-key prints the first batch)',
    async run(argv) {
      const { values } = parse(argv, { count: { type: 'string' }, value: { type: 'string' }, expires: { type: 'string' }, name: { type: 'string' }, ...IDEMPOTENCY_OPTION });
      const count = boundedInt(values, 'count', 1, 1000);
      if (count === undefined) throw new UsageError('--count is required');
      const value = points(values, 'value')!;
      let expiresAt: number | null = null;
      if (values.expires !== undefined) {
        expiresAt = Date.parse(values.expires as string);
        if (Number.isNaN(expiresAt)) throw new UsageError('--expires must be a date such as 2026-12-31 or 2026-12-31T23:59:00Z');
      }
      const input = { count, value, expiresAt, name: (values.name as string | undefined) ?? null };
      // The codes are printed this once: the database keeps only their hashes (and the Idempotency-Key record, sealed).
      const { codes, replayed } = await withBilling(values, (s, billing) =>
        billing.createCodes(input, idempotencyKey(values, 'code create', input), s.box, (trx, made) =>
          auditCli(trx, { action: 'codes.create', targetType: 'codes', targetId: made[0]?.id ?? null, after: { count: made.length, value: toPoints(value), name: input.name, expiresAt, codes: made.map((c) => ({ id: c.id, hint: c.hint })) } }),
        ),
      );
      noteReplay(replayed, values);
      const items = codes.map((r) => ({ id: r.id, code: r.code, hint: r.hint, name: r.name, value: toPoints(r.value), expires_at: r.expires_at }));
      out(values.json, { items }, items.map((i) => i.code).join('\n'));
      return 0;
    },
  },
  'code redeem': {
    usage: 'apigpt code redeem --email E CODE [--idempotency-key K] [--json]',
    summary: 'Redeem a code for a user (a repeat with the same --idempotency-key prints the first answer)',
    async run(argv) {
      const { values, positionals } = parse(argv, { email: { type: 'string' }, ...IDEMPOTENCY_OPTION }, true);
      if (positionals.length !== 1) throw new UsageError('give exactly one code');
      const res = await withBilling(values, async (s, billing) => {
        const user = await requireUserByEmail(s.db, required(values, 'email'));
        const r = await billing.redeem(user.id, positionals[0], idempotencyKey(values, 'code redeem', { user: user.id, code: positionals[0] }));
        noteReplay(r.replayed, values);
        return { email: user.email, amount: toPoints(r.amount), balance: toPoints(r.balance) };
      });
      out(values.json, res, `Redeemed ${res.amount} P for ${res.email}; balance ${res.balance} P`);
      return 0;
    },
  },
  'billing check': {
    usage: 'apigpt billing check [--json]',
    summary: 'Audit: balance == sum(ledger) for every account, every charge has its request-log row and the reverse, every call in a stopped process journal is charged, no stopped process holds credit (exit 1 on any difference)',
    async run(argv) {
      const { values } = parse(argv, {});
      const res = await withBilling(values, (s, billing) => checkBilling(s.db, { journalDir: join(s.config.dataDir, 'journal'), state: billing.state }));
      const held = res.processes.filter((p) => p.holds > 0).map((p) => `  ${p.owner} (${p.live ? 'live' : 'lease lapsed'}): ${p.held} µP in ${p.holds} holds`);
      const summary = `${res.accounts} accounts, ${res.charges} charges; ${res.journals.stopped} journals of stopped processes (${res.journals.rows} charged calls, ${res.journals.uncharged} not in the database)${held.length ? `; credit held now:\n${held.join('\n')}` : ''}`;
      out(values.json, res, res.ok ? `OK: ${summary}, no difference.` : `${res.problems.length} problem(s):\n${res.problems.map((p) => `  ${p}`).join('\n')}\n${summary}`);
      return res.ok ? 0 : 1;
    },
  },
};

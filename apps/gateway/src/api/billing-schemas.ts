import { Type, type TSchema } from '@sinclair/typebox';

/** Billing shapes of the management API. Money is in P (decimal), converted from micro-points. */
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/**
 * Largest amount (P) a balance, grant, code, limit or setting may name: 10^9 P is 10^15 µP, well
 * inside what integers hold exactly (2^53), with room for balances to add up.
 */
export const MAX_POINTS = 1_000_000_000;
/** Largest unit price (P per 1K tokens, per image, ...): a long call's cost must still fit. */
export const MAX_PRICE = 1_000_000;
/** Largest request or token count a rate limit may name, and the largest output a price may reserve. */
export const MAX_COUNT = 1_000_000_000;
const Points = (o: { description?: string } = {}) => Type.Number({ minimum: 0, maximum: MAX_POINTS, ...o });
const UnitPrice = (o: { description?: string } = {}) => Type.Number({ minimum: 0, maximum: MAX_PRICE, ...o });

export const Notice = Type.Object({ id: Type.String(), kind: Type.String(), message: Type.String(), created_at: Type.Number() });

export const Account = Type.Object({
  balance: Type.Number(),
  group: Type.String(),
  multiplier: Type.Number(),
  lowBalanceThreshold: Nullable(Type.Number()),
  notices: Type.Array(Notice),
});

export const LedgerKind = Type.Union(['trial', 'topup', 'redeem', 'charge', 'refund', 'adjust', 'referral'].map((k) => Type.Literal(k)));

export const LedgerEntry = Type.Object({
  id: Type.String(),
  created_at: Type.Number(),
  kind: LedgerKind,
  amount: Type.Number({ description: 'signed P' }),
  balance_after: Type.Number(),
  reason: Type.Union([Type.String(), Type.Null()]),
  request_id: Type.Union([Type.String(), Type.Null()]),
});

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});

export const RedeemBody = Type.Object({ code: Type.String({ minLength: 4, maxLength: 100 }) }, { additionalProperties: false });
export const RedeemResult = Type.Object({ amount: Type.Number(), balance: Type.Number() });

export const UsageQuery = Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 30 })) });
export const UsageReport = Type.Object({
  days: Type.Array(Type.Object({ date: Type.String(), requests: Type.Integer(), errors: Type.Integer(), cost: Type.Number(), prompt_tokens: Type.Integer(), completion_tokens: Type.Integer() })),
  models: Type.Array(Type.Object({ model: Type.String(), requests: Type.Integer(), cost: Type.Number() })),
});

export const LowBalanceBody = Type.Object({ threshold: Nullable(Points()) }, { additionalProperties: false });

export const PriceItem = Type.Object({
  model: Type.String(),
  input: Type.Number({ description: 'P per 1K input tokens' }),
  output: Type.Number({ description: 'P per 1K output tokens' }),
  cachedInput: Type.Number({ description: 'P per 1K cached input tokens' }),
  perImage: Nullable(Type.Number({ description: 'P per standard image (1024x1024, standard quality, 30 steps)' })),
  perKChars: Nullable(Type.Number({ description: 'P per 1,000 characters turned into speech (tts-1); null: not sold by characters' })),
  perSecond: Nullable(Type.Number({ description: 'P per second of audio transcribed or translated (whisper-1); null: not sold by time' })),
  perKSearches: Nullable(Type.Number({ description: 'P per 1,000 rerank search units (Cohere rerank); null: not sold by searches' })),
  maxOutput: Type.Integer({ description: 'Largest output the model produces: the worst case reserved when a call sets no max_tokens' }),
});
export const PriceBody = Type.Object(
  {
    input: UnitPrice(),
    output: UnitPrice(),
    cachedInput: Type.Optional(UnitPrice()),
    perImage: Type.Optional(Nullable(UnitPrice())),
    perKChars: Type.Optional(Nullable(UnitPrice({ description: 'P per 1,000 characters; omitted: unchanged, null: none' }))),
    perSecond: Type.Optional(Nullable(UnitPrice({ description: 'P per second of audio; omitted: unchanged, null: none' }))),
    perKSearches: Type.Optional(Nullable(UnitPrice({ description: 'P per 1,000 rerank searches; omitted: unchanged, null: none' }))),
    maxOutput: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_COUNT })),
  },
  { additionalProperties: false },
);
export const ModelParams = Type.Object({ model: Type.String({ minLength: 1, maxLength: 200 }) });

export const Group = Type.Object({ name: Type.String(), multiplier: Type.Number() });
export const GroupBody = Type.Object({ multiplier: Type.Number({ minimum: 0, maximum: 100 }) }, { additionalProperties: false });
export const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 50 }) });

export const CodesBody = Type.Object(
  {
    count: Type.Integer({ minimum: 1, maximum: 1000 }),
    value: Type.Number({ exclusiveMinimum: 0, maximum: MAX_POINTS }),
    expiresAt: Type.Optional(Type.Integer({ minimum: 0, maximum: 8.64e15, description: 'epoch ms' })),
    name: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export const NewCode = Type.Object({
  id: Type.String(),
  code: Type.String({ description: 'The code, shown this once: only its hash is stored' }),
  hint: Type.String({ description: 'The first group of the code, as the code list shows it' }),
  name: Type.Union([Type.String(), Type.Null()]),
  value: Type.Number(),
  expires_at: Nullable(Type.Number()),
});
export const CodeItem = Type.Object({
  id: Type.String(),
  hint: Type.String({ description: 'The first group of the code (`APG-ABCD`): codes are stored hashed and never shown again after creation' }),
  name: Type.Union([Type.String(), Type.Null()]),
  value: Type.Number(),
  created_at: Type.Number(),
  expires_at: Nullable(Type.Number()),
  redeemed_by_email: Type.Union([Type.String(), Type.Null()]),
  redeemed_at: Nullable(Type.Number()),
});
export const CodesQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  status: Type.Optional(Type.Union([Type.Literal('unused'), Type.Literal('used'), Type.Literal('expired')])),
});

export const CreditBody = Type.Object({ amount: Type.Number({ minimum: -MAX_POINTS, maximum: MAX_POINTS }), reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });
export const UserLimitsBody = Type.Object(
  { rpm: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: MAX_COUNT }))), tpm: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: MAX_COUNT }))) },
  { additionalProperties: false },
);

const RequireAdminTwoFactor = Type.Boolean({ description: 'Administrators must use two-factor sign-in: one without it can only reach the enrolment steps until enrolled' });
export const AdminSettings = Type.Object({ trialCredit: Type.Number(), signupEnabled: Type.Boolean(), lowBalanceDefault: Type.Number(), affinityTtlSec: Type.Integer(), requireAdminTwoFactor: RequireAdminTwoFactor });
export const AdminSettingsPatch = Type.Partial(
  Type.Object({
    trialCredit: Points(),
    signupEnabled: Type.Boolean(),
    lowBalanceDefault: Points(),
    // The same bounds as APIGPT_AFFINITY_TTL_SEC: a minute to a week.
    affinityTtlSec: Type.Integer({ minimum: 60, maximum: 604800, description: 'Seconds a prompt-cache session keeps its channel after its last call' }),
    requireAdminTwoFactor: RequireAdminTwoFactor,
  }),
  { additionalProperties: false },
);

export const BillingCheckResult = Type.Object({
  ok: Type.Boolean(),
  accounts: Type.Integer(),
  charges: Type.Integer(),
  problems: Type.Array(Type.String()),
  journals: Type.Object({ stopped: Type.Integer(), rows: Type.Integer(), uncharged: Type.Integer() }, { description: 'Journals of stopped processes: charged calls they served, and how many of those the database lacks' }),
  processes: Type.Array(Type.Object({ owner: Type.String(), live: Type.Boolean(), holds: Type.Integer(), held: Type.Integer() }), { description: 'Credit held per gateway process (µP) and whether its lease is live' }),
});

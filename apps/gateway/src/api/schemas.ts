import { Type, type TSchema } from '@sinclair/typebox';
import { MAX_COUNT, MAX_POINTS } from './billing-schemas.js';

/** Management API shapes: validation, TypeScript and the published OpenAPI document from one place. */
export const ApiError = Type.Object({
  error: Type.Object({ message: Type.String(), type: Type.String(), param: Type.Union([Type.String(), Type.Null()]), code: Type.Union([Type.String(), Type.Null()]) }),
});

export const User = Type.Object({
  id: Type.String(),
  email: Type.String(),
  display_name: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  group_name: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  created_at: Type.Number(),
  updated_at: Type.Number(),
  email_verified_at: Type.Optional(Type.Union([Type.Number(), Type.Null()], { description: 'When the address was confirmed by a mailed link; null when never' })),
  email_pending: Type.Optional(Type.Integer({ description: '1 while the account waits for its address to be confirmed (mail on): the trial credit comes then' })),
  two_factor_at: Type.Optional(Type.Union([Type.Number(), Type.Null()], { description: 'When two-factor sign-in was turned on; null while it is off' })),
});

export const Credentials = Type.Object({
  email: Type.String({ minLength: 3, maxLength: 254 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
});

export const LoginResult = Type.Object({
  user: Type.Optional(User),
  twoFactor: Type.Optional(
    Type.Object(
      { challenge: Type.String({ description: 'Send it with a code to POST /api/auth/login/two-factor' }), expiresAt: Type.Number() },
      { description: 'The password was right and the account has two-factor sign-in on: no session yet' },
    ),
  ),
});

export const SignupBody = Type.Object({
  email: Type.String({ minLength: 3, maxLength: 254 }),
  password: Type.String({ minLength: 8, maxLength: 256 }),
  displayName: Type.Optional(Type.String({ maxLength: 100 })),
  locale: Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')], { description: 'Language the confirmation mail leads with (default: from Accept-Language)' })),
  referralCode: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{4,32}$', description: 'The code of an invitation link (`/signup?ref=CODE`): the inviter and this account are rewarded when it first pays' })),
});

export const App = Type.Object({
  id: Type.String(),
  user_id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.Number(),
});

export const AppBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])) });
export const AppPatch = Type.Partial(AppBody);

export const ApiKey = Type.Object({
  id: Type.String(),
  user_id: Type.String(),
  app_id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  created_at: Type.Number(),
  revoked_at: Type.Union([Type.Number(), Type.Null()]),
  last_used_at: Type.Union([Type.Number(), Type.Null()]),
  creditLimit: Type.Union([Type.Number(), Type.Null()], { description: 'P this key may spend in total; null = no limit' }),
  expiresAt: Type.Union([Type.Number(), Type.Null()], { description: 'epoch ms' }),
  models: Type.Union([Type.Array(Type.String()), Type.Null()]),
  ips: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'Client IPs or CIDR ranges allowed' }),
  origins: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'Browser origins allowed (for keys used from a web page)' }),
  rpm: Type.Union([Type.Integer(), Type.Null()]),
  tpm: Type.Union([Type.Integer(), Type.Null()]),
  spent: Type.Number({ description: 'P charged through this key' }),
});

/** The only response that ever carries a key in clear. */
export const NewKey = Type.Object({ key: Type.String({ description: 'Shown once; store it now.' }), record: ApiKey });
export const KeyBody = Type.Object({ name: Type.Optional(Type.String({ maxLength: 100 })) });
const nullable = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
export const KeyPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    creditLimit: nullable(Type.Number({ minimum: 0, maximum: MAX_POINTS })),
    expiresAt: nullable(Type.Integer({ minimum: 0, maximum: 8.64e15 })),
    models: nullable(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 500 })),
    ips: nullable(Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 200 })),
    origins: nullable(Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 100 })),
    rpm: nullable(Type.Integer({ minimum: 1, maximum: MAX_COUNT })),
    tpm: nullable(Type.Integer({ minimum: 1, maximum: MAX_COUNT })),
  },
  { additionalProperties: false },
);

export const Channel = Type.Object({
  id: Type.String(),
  provider: Type.String(),
  name: Type.String(),
  baseUrl: Type.String(),
  hasSecret: Type.Boolean(),
  models: Type.Array(Type.String()),
  modelMap: Type.Record(Type.String(), Type.String()),
  groups: Type.Array(Type.String()),
  settings: Type.Record(Type.String(), Type.Unknown()),
  weight: Type.Integer(),
  priority: Type.Integer(),
  enabled: Type.Boolean(),
  disabledBy: Type.Union([Type.Literal('admin'), Type.Literal('health'), Type.Null()], { description: "Who disabled it; 'health' channels come back when a probe passes" }),
  simulated: Type.Boolean(),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
});

const channelFields = {
  provider: Type.String(),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  baseUrl: Type.String({ minLength: 1 }),
  secret: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Write-only: never returned.' })),
  models: Type.Optional(Type.Array(Type.String())),
  modelMap: Type.Optional(Type.Record(Type.String(), Type.String())),
  groups: Type.Optional(Type.Array(Type.String())),
  settings: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  weight: Type.Optional(Type.Integer({ minimum: 0 })),
  priority: Type.Optional(Type.Integer()),
  enabled: Type.Optional(Type.Boolean()),
};
export const ChannelBody = Type.Object(channelFields, { additionalProperties: false });
export const ChannelPatch = Type.Partial(Type.Object(channelFields), { additionalProperties: false });

export const ChannelTestResult = Type.Object({
  ok: Type.Boolean(),
  latencyMs: Type.Number(),
  status: Type.Union([Type.Integer(), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]),
  message: Type.String(),
});

export const UserPatch = Type.Object(
  {
    role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('admin')])),
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
    displayName: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 256 })),
  },
  { additionalProperties: false },
);

export const AdminUserBody = Type.Object({
  email: Type.String({ minLength: 3, maxLength: 254 }),
  password: Type.String({ minLength: 8, maxLength: 256 }),
  role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('admin')])),
  group: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
});

export const RequestLog = Type.Object({
  id: Type.String(),
  created_at: Type.Number(),
  user_id: Type.String(),
  app_id: Type.Union([Type.String(), Type.Null()]),
  key_id: Type.Union([Type.String(), Type.Null()]),
  key_prefix: Type.Union([Type.String(), Type.Null()]),
  client_request_id: Type.Union([Type.String(), Type.Null()], { description: "The caller's own id of the call (its X-Client-Request-Id or X-Request-Id header); null when it sent none" }),
  endpoint: Type.String(),
  dialect: Type.String(),
  model_requested: Type.Union([Type.String(), Type.Null()]),
  model_sent: Type.Union([Type.String(), Type.Null()]),
  channel_id: Type.Union([Type.String(), Type.Null()]),
  stream: Type.Integer(),
  status: Type.Integer(),
  error_code: Type.Union([Type.String(), Type.Null()]),
  error_message: Type.Union([Type.String(), Type.Null()]),
  latency_ms: Type.Number(),
  ttft_ms: Type.Union([Type.Number(), Type.Null()]),
  prompt_tokens: Type.Integer(),
  completion_tokens: Type.Integer(),
  cached_tokens: Type.Integer(),
  reasoning_tokens: Type.Integer({ description: 'The part of completion_tokens spent reasoning' }),
  images: Type.Integer({ description: 'Images produced' }),
  characters: Type.Integer({ description: 'Characters turned into speech' }),
  seconds: Type.Integer({ description: 'Seconds of audio transcribed or translated' }),
  searches: Type.Integer({ description: 'Rerank search units' }),
  attempts: Type.Integer(),
  cost: Type.Number({ description: 'P charged for the call' }),
});

export const LogQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  model: Type.Optional(Type.String()),
  appId: Type.Optional(Type.String()),
  keyId: Type.Optional(Type.String()),
  clientRequestId: Type.Optional(Type.String({ maxLength: 512, description: "The calls the caller named with this X-Client-Request-Id (or X-Request-Id)" })),
  status: Type.Optional(Type.Union([Type.Literal('ok'), Type.Literal('error')])),
  from: Type.Optional(Type.Integer({ description: 'epoch ms' })),
  to: Type.Optional(Type.Integer({ description: 'epoch ms' })),
  userId: Type.Optional(Type.String({ description: 'admins only' })),
  userEmail: Type.Optional(Type.String({ maxLength: 254, description: "admins only: the calls of the account with this email (exact, any case)" })),
});

/** A log row as an admin sees it: who called (their email) and which channel served (its name), not only ids. */
export const AdminRequestLog = Type.Object({
  ...RequestLog.properties,
  user_email: Type.Union([Type.String(), Type.Null()], { description: "The caller's email; null when the account is gone" }),
  channel_name: Type.Union([Type.String(), Type.Null()], { description: 'The name of the channel that served the call; null when none did or it was deleted' }),
});

/** A user in the admin's table: the account plus its credit and activity. */
export const AdminUser = Type.Object({
  ...User.properties,
  balance: Type.Number({ description: 'Credit left, in P' }),
  spend_30d: Type.Number({ description: "What the account's calls cost over the last 30 days, in P" }),
  last_active_at: Type.Union([Type.Number(), Type.Null()], { description: "The account's latest call (epoch ms); null when it never called" }),
});

const SystemDay = Type.Object({ date: Type.String(), requests: Type.Integer(), errors: Type.Integer(), cost: Type.Number(), prompt_tokens: Type.Integer(), completion_tokens: Type.Integer() });

/** The admin dashboard: the whole gateway's calls, spend and errors, and who and what used most. */
export const SystemReport = Type.Object({
  days: Type.Array(SystemDay),
  activeUsers: Type.Integer({ description: 'Accounts that made at least one call in the window' }),
  users: Type.Array(Type.Object({ userId: Type.String(), email: Type.Union([Type.String(), Type.Null()]), requests: Type.Integer(), errors: Type.Integer(), cost: Type.Number() }), { description: 'The accounts that spent most (up to 10)' }),
  models: Type.Array(Type.Object({ model: Type.String(), requests: Type.Integer(), errors: Type.Integer(), cost: Type.Number() }), { description: 'The models that cost most (up to 10)' }),
  channels: Type.Integer({ description: 'Channels configured' }),
  channelsEnabled: Type.Integer({ description: 'Channels serving' }),
  users_total: Type.Integer({ description: 'Accounts on the server' }),
});

/** The channel form's "fetch models": a channel as typed so far, or a saved one (its stored key stands in for an empty one). */
export const ChannelModelsBody = Type.Object(
  {
    provider: Type.Optional(Type.String({ minLength: 1, description: "The provider kind; with `channelId` it defaults to the saved channel's" })),
    baseUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: "With `channelId` it defaults to the saved channel's" })),
    secret: Type.Optional(Type.Union([Type.String({ maxLength: 10_000 }), Type.Null()], { description: "Write-only. Left out or empty with `channelId`: the saved channel's key" })),
    settings: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    channelId: Type.Optional(Type.String({ description: 'The saved channel being edited' })),
  },
  { additionalProperties: false },
);

export const Page = <T extends ReturnType<typeof Type.Object>>(item: T) => Type.Object({ items: Type.Array(item), total: Type.Integer() });
export const Ok = Type.Object({ ok: Type.Boolean() });
export const IdParams = Type.Object({ id: Type.String() });

export const ChannelHealth = Type.Object({
  id: Type.String(),
  name: Type.String(),
  enabled: Type.Boolean(),
  disabledBy: Type.Union([Type.String(), Type.Null()]),
  state: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half_open')]),
  consecutiveFailures: Type.Integer(),
  openUntil: Type.Union([Type.Number(), Type.Null()]),
  trips: Type.Integer(),
  /** Prompt caching on this channel over the last 24 hours, from the request log. */
  cache: Type.Object({
    calls: Type.Integer({ description: 'Calls that sent a prompt' }),
    promptTokens: Type.Integer(),
    cachedTokens: Type.Integer({ description: 'Prompt tokens the provider read from its prompt cache' }),
    cacheWriteTokens: Type.Integer({ description: 'Prompt tokens written to the prompt cache (5-minute and 1-hour writes)' }),
    hitRate: Type.Union([Type.Number({ description: 'cachedTokens / promptTokens' }), Type.Null()]),
  }),
});

export const ChannelEvent = Type.Object({
  id: Type.String(),
  channel_id: Type.String(),
  created_at: Type.Number(),
  kind: Type.String(),
  detail: Type.String(),
});

const NullablePoints = (description: string) => Type.Union([Type.Number({ description }), Type.Null()]);

/** A model as an account sees it: what it does, who serves it and what one unit costs this account (its group's multiplier applied), in P. */
export const ModelItem = Type.Object({
  id: Type.String(),
  ownedBy: Type.String({ description: 'The provider kind of the first channel serving it' }),
  capability: Type.Union(['chat', 'completion', 'image', 'embedding', 'speech', 'transcription', 'rerank'].map((c) => Type.Literal(c)), { description: 'What the model does: the endpoint its first call should use' }),
  price: Type.Union([
    Type.Object({
      input: Type.Number({ description: 'P per 1K input tokens' }),
      cachedInput: Type.Number({ description: 'P per 1K cached input tokens' }),
      output: Type.Number({ description: 'P per 1K output tokens' }),
      reasoning: Type.Number({ description: 'P per 1K reasoning tokens (billed as output tokens)' }),
      perImage: NullablePoints('P per standard image (1024x1024; other sizes, qualities and steps scale it)'),
      perKChars: NullablePoints('P per 1,000 characters of speech'),
      perSecond: NullablePoints('P per second of audio heard'),
      perMinute: NullablePoints('P per minute of audio heard'),
      perKSearches: NullablePoints('P per 1,000 rerank searches'),
    }),
    Type.Null(),
  ], { description: 'null: the model has no price, so its calls are refused' }),
  imageSizes: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'Image models: the sizes (WIDTHxHEIGHT) every channel serving it accepts; null: any size the provider takes, or not an image model' }),
});

/** What 1 P is worth: its US dollar value, and what the recharge providers sell it at. */
export const PointValue = Type.Object({
  usd: Type.Number({ description: 'US$ per P (list prices are written at this rate)' }),
  group: Type.String({ description: "The account's group" }),
  multiplier: Type.Number({ description: "The group's price multiplier, already applied to every price listed" }),
  rates: Type.Array(Type.Object({ provider: Type.String(), currency: Type.String(), pointsPerUnit: Type.Number({ description: 'P credited per whole unit of the currency' }) }), { description: 'Online recharge rates, one per configured payment provider' }),
});

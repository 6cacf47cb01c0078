import type { ChangeToken, Db } from '../storage/database.js';
import type { ChannelsTable } from '../storage/schema.js';
import { GatewayError, invalidRequest } from '../core/errors.js';
import type { SecretBox } from '../core/crypto.js';
import { newId } from '../core/ids.js';
import { Snapshot } from '../storage/snapshot.js';
import { isProviderKind, PROVIDER_KINDS } from '../providers/registry.js';
import type { MaybeAsync } from '../core/maybe-async.js';

/** A channel as the relay uses it: the secret opened, lists parsed. */
export interface Channel {
  id: string;
  provider: string;
  name: string;
  baseUrl: string;
  secret: string | null;
  models: string[];
  modelMap: Record<string, string>;
  /** User groups allowed; empty means every group. */
  groups: string[];
  settings: Record<string, unknown>;
  weight: number;
  priority: number;
  enabled: boolean;
  /** 'admin' or 'health' when disabled; only health-disabled channels are re-enabled by probes. */
  disabledBy: 'admin' | 'health' | null;
  simulated: boolean;
}

/** A channel as the management API shows it: never the secret, only whether there is one. */
export type ChannelView = Omit<Channel, 'secret'> & { hasSecret: boolean; createdAt: number; updatedAt: number };

export interface ChannelInput {
  provider: string;
  name: string;
  baseUrl: string;
  secret?: string | null;
  models?: string[];
  modelMap?: Record<string, string>;
  groups?: string[];
  settings?: Record<string, unknown>;
  weight?: number;
  priority?: number;
  enabled?: boolean;
  disabledBy?: 'admin' | 'health' | null;
  simulated?: boolean;
}

/**
 * Channel storage. Reads for the relay go through an in-memory snapshot (storage/snapshot.ts): on
 * SQLite it is reloaded as soon as anything changed, in any process; on PostgreSQL a change made by
 * another process shows within `snapshotTtlMs`. Changes made through this instance show at once.
 */
export class ChannelStore {
  private readonly snapshot: Snapshot<Channel[]>;

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    changeToken?: ChangeToken,
    snapshotTtlMs = 1000,
  ) {
    this.snapshot = new Snapshot(async () => (await this.db.selectFrom('channels').selectAll().where('enabled', '=', 1).execute()).map((r) => this.toChannel(r)), snapshotTtlMs, changeToken && (() => changeToken(['channels'])));
  }

  /**
   * Enabled channels, with their secrets open: what the router reads on every call. A new array
   * whenever one changed (the router indexes each once), the current one itself otherwise.
   */
  active(): MaybeAsync<Channel[]> {
    return this.snapshot.get();
  }

  invalidate(): void {
    this.snapshot.invalidate();
  }

  async list(): Promise<ChannelView[]> {
    const rows = await this.db.selectFrom('channels').selectAll().orderBy('priority', 'desc').orderBy('created_at', 'asc').execute();
    return rows.map(toView);
  }

  /** `db`: the caller's transaction, when the read belongs to one (an audited change). */
  async get(id: string, db: Db = this.db): Promise<ChannelView> {
    return toView(await this.row(id, db));
  }

  /** The channel with its secret, for the test button and the relay. */
  async open(id: string): Promise<Channel> {
    return this.toChannel(await this.row(id));
  }

  /**
   * Changes take the caller's transaction as `db` when they are part of one (the management API
   * writes the audit row in it); the snapshot is invalidated either way.
   */
  async create(input: ChannelInput, db: Db = this.db): Promise<ChannelView> {
    const v = validate(input, true);
    const now = Date.now();
    const row: ChannelsTable = {
      id: newId('ch'),
      provider: v.provider!,
      name: v.name!,
      base_url: v.baseUrl!,
      secret_enc: v.secret ? this.box.seal(v.secret) : null,
      models: JSON.stringify(v.models ?? []),
      model_map: JSON.stringify(v.modelMap ?? {}),
      groups: JSON.stringify(v.groups ?? []),
      settings: JSON.stringify(v.settings ?? {}),
      weight: v.weight ?? 1,
      priority: v.priority ?? 0,
      enabled: v.enabled === false ? 0 : 1,
      disabled_by: v.enabled === false ? (v.disabledBy ?? 'admin') : null,
      simulated: v.simulated ? 1 : 0,
      created_at: now,
      updated_at: now,
    };
    await db.insertInto('channels').values(row).execute();
    this.invalidate();
    return toView(row);
  }

  async update(id: string, patch: Partial<ChannelInput>, db: Db = this.db): Promise<ChannelView> {
    await this.row(id, db);
    const v = validate(patch, false);
    const set: Partial<ChannelsTable> = { updated_at: Date.now() };
    if (v.provider !== undefined) set.provider = v.provider;
    if (v.name !== undefined) set.name = v.name;
    if (v.baseUrl !== undefined) set.base_url = v.baseUrl;
    // undefined keeps the secret, null or '' clears it.
    if (v.secret !== undefined) set.secret_enc = v.secret ? this.box.seal(v.secret) : null;
    if (v.models !== undefined) set.models = JSON.stringify(v.models);
    if (v.modelMap !== undefined) set.model_map = JSON.stringify(v.modelMap);
    if (v.groups !== undefined) set.groups = JSON.stringify(v.groups);
    if (v.settings !== undefined) set.settings = JSON.stringify(v.settings);
    if (v.weight !== undefined) set.weight = v.weight;
    if (v.priority !== undefined) set.priority = v.priority;
    if (v.enabled !== undefined) {
      set.enabled = v.enabled ? 1 : 0;
      // Disabling records who did it; enabling clears it.
      set.disabled_by = v.enabled ? null : (v.disabledBy ?? 'admin');
    }
    if (v.simulated !== undefined) set.simulated = v.simulated ? 1 : 0;
    await db.updateTable('channels').set(set).where('id', '=', id).execute();
    this.invalidate();
    return this.get(id, db);
  }

  async remove(id: string, db: Db = this.db): Promise<void> {
    await this.row(id, db);
    await db.deleteFrom('channels').where('id', '=', id).execute();
    this.invalidate();
  }

  async count(): Promise<number> {
    const { n } = await this.db.selectFrom('channels').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(n);
  }

  private async row(id: string, db: Db = this.db): Promise<ChannelsTable> {
    const row = await db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new GatewayError('not_found', 'Channel not found.', { code: 'channel_not_found' });
    return row;
  }

  private toChannel(r: ChannelsTable): Channel {
    return { ...common(r), secret: r.secret_enc ? this.box.open(r.secret_enc) : null };
  }
}

/** What the relay's and the API's views of a channel share: the row with its lists parsed. */
function common(r: ChannelsTable): Omit<Channel, 'secret'> {
  return {
    id: r.id,
    provider: r.provider,
    name: r.name,
    baseUrl: r.base_url,
    models: JSON.parse(r.models),
    modelMap: JSON.parse(r.model_map),
    groups: JSON.parse(r.groups),
    settings: JSON.parse(r.settings),
    weight: r.weight,
    priority: r.priority,
    enabled: r.enabled === 1,
    disabledBy: (r.disabled_by as Channel['disabledBy']) ?? null,
    simulated: r.simulated === 1,
  };
}

function toView(r: ChannelsTable): ChannelView {
  return { ...common(r), hasSecret: r.secret_enc !== null, createdAt: r.created_at, updatedAt: r.updated_at };
}

function validate(input: Partial<ChannelInput>, creating: boolean): Partial<ChannelInput> {
  const out: Partial<ChannelInput> = { ...input };
  if (creating || input.provider !== undefined) {
    if (!isProviderKind(input.provider)) throw invalidRequest(`provider must be one of: ${PROVIDER_KINDS.join(', ')}.`, 'provider');
  }
  if (creating || input.name !== undefined) {
    if (typeof input.name !== 'string' || !input.name.trim()) throw invalidRequest('The channel needs a name.', 'name');
    out.name = input.name.trim();
  }
  if (creating || input.baseUrl !== undefined) {
    try {
      const u = new URL(String(input.baseUrl));
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      throw invalidRequest('baseUrl must be an http(s) URL.', 'baseUrl');
    }
    out.baseUrl = String(input.baseUrl).replace(/\/+$/, '');
  }
  if (input.models !== undefined) {
    if (!Array.isArray(input.models) || input.models.some((m) => typeof m !== 'string' || !m.trim())) throw invalidRequest('models must be a list of model names.', 'models');
    out.models = [...new Set(input.models.map((m) => m.trim()))];
  }
  if (input.groups !== undefined) {
    if (!Array.isArray(input.groups) || input.groups.some((g) => typeof g !== 'string' || !g.trim())) throw invalidRequest('groups must be a list of group names.', 'groups');
    out.groups = [...new Set(input.groups.map((g) => g.trim()))];
  }
  if (input.modelMap !== undefined) {
    if (!isStringRecord(input.modelMap)) throw invalidRequest('modelMap must map model names to model names.', 'modelMap');
  }
  if (input.settings !== undefined && (typeof input.settings !== 'object' || input.settings === null || Array.isArray(input.settings)))
    throw invalidRequest('settings must be an object.', 'settings');
  for (const f of ['weight', 'priority'] as const) {
    const v = input[f];
    if (v !== undefined && (!Number.isInteger(v) || v < (f === 'weight' ? 0 : -1000) || v > 1_000_000)) throw invalidRequest(`${f} must be a whole number${f === 'weight' ? ' ≥ 0' : ''}.`, f);
  }
  if (input.secret !== undefined && input.secret !== null && typeof input.secret !== 'string') throw invalidRequest('secret must be a string.', 'secret');
  return out;
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

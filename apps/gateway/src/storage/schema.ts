import type { ColumnType, Generated } from 'kysely';

/**
 * Table types. Times are epoch milliseconds, money is integer micro-points, booleans are 0/1 and
 * lists are JSON text: the same representation on SQLite and PostgreSQL.
 */
export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  display_name: string | null;
  role: 'user' | 'admin';
  group_name: string;
  status: 'active' | 'disabled';
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
}

export interface AppsTable {
  id: string;
  user_id: string;
  name: string;
  description: string | null;
  created_at: number;
  deleted_at: number | null;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  app_id: string;
  name: string;
  key_hash: string;
  /** The first characters of the key, shown so people can tell keys apart. */
  prefix: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface ChannelsTable {
  id: string;
  provider: string;
  name: string;
  base_url: string;
  /** AES-256-GCM sealed secret, or null when the provider needs none. */
  secret_enc: string | null;
  /** JSON string[] of public model names served. */
  models: string;
  /** JSON Record<public model, upstream model>. */
  model_map: string;
  /** JSON string[] of user groups allowed to use the channel; empty = every group. */
  groups: string;
  /** JSON provider-specific settings (Azure api-version, deployments...). */
  settings: string;
  weight: number;
  priority: number;
  enabled: number;
  simulated: number;
  created_at: number;
  updated_at: number;
}

export interface RequestLogsTable {
  id: string;
  created_at: number;
  user_id: string;
  app_id: string | null;
  key_id: string | null;
  key_prefix: string | null;
  endpoint: string;
  dialect: string;
  model_requested: string | null;
  model_sent: string | null;
  channel_id: string | null;
  stream: number;
  status: number;
  error_code: string | null;
  error_message: string | null;
  latency_ms: number;
  ttft_ms: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  attempts: number;
  client_ip: string | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  apps: AppsTable;
  api_keys: ApiKeysTable;
  channels: ChannelsTable;
  request_logs: RequestLogsTable;
}

export type Timestamp = ColumnType<number, number, number>;
export type AutoId = Generated<number>;

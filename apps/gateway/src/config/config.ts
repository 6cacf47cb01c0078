import { readFileSync, existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { usableCores } from './cores.js';
import { FIELDS, type FieldSpec } from './fields.js';

type ValueOf<T extends FieldSpec> = T['type'] extends 'int' | 'bytes'
  ? number
  : T['type'] extends 'bool'
    ? boolean
    : T['type'] extends 'list'
      ? string[]
      : string;

type Fields = (typeof FIELDS)[number];
type WithDefault = Extract<Fields, { default: unknown }>;
export type Config = { [F in WithDefault as F['key']]: ValueOf<F> } & {
  [F in Exclude<Fields, WithDefault> as F['key']]?: ValueOf<F>;
} & {
  /** Always set by loadConfig: its default depends on REDIS_URL and the machine (below). */
  workers: number;
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of apigpt.yaml; default `APIGPT_CONFIG` or `./apigpt.yaml` when present. */
  file?: string;
  /** Highest precedence: CLI flags and test overrides. */
  overrides?: Partial<Config>;
}

/** Precedence: overrides > environment > apigpt.yaml > defaults. Every value is validated. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.APIGPT_CONFIG ?? (existsSync('apigpt.yaml') ? 'apigpt.yaml' : undefined);
  const yaml = file ? readYaml(file) : {};
  const known = new Set<string>(FIELDS.map((f) => f.key));
  for (const k of Object.keys(yaml)) {
    if (!known.has(k)) throw new ConfigError(`${file}: unknown field "${k}" (expected one of: ${[...known].join(', ')})`);
  }
  const out: Record<string, unknown> = {};
  for (const field of FIELDS as readonly FieldSpec[]) {
    const override = (opts.overrides as Record<string, unknown> | undefined)?.[field.key];
    if (override !== undefined) {
      out[field.key] = parseField(field, override, `override ${field.key}`);
      continue;
    }
    const raw = env[field.env];
    if (raw !== undefined && raw !== '') out[field.key] = parseField(field, raw, field.env);
    else if (yaml[field.key] !== undefined && yaml[field.key] !== null) out[field.key] = parseField(field, yaml[field.key], `${file}: ${field.key}`);
    else if (field.default !== undefined) out[field.key] = parseField(field, field.default, `default ${field.key}`);
  }
  if (out.databaseUrl && !/^postgres(ql)?:\/\//.test(String(out.databaseUrl)))
    throw new ConfigError(`DATABASE_URL must be a postgres:// URL (got "${String(out.databaseUrl).replace(/\/\/.*@/, '//***@')}")`);
  trustProxyOption(String(out.trustProxy ?? 'false'));
  // `--workers 0`: one per core this process may use (the number of cores, or fewer under a CPU
  // quota). Unset: the same when Redis is configured (several workers need it, cli/cluster.ts), one
  // process otherwise, so the zero-configuration start stays one process on the SQLite file.
  if (out.workers === undefined) out.workers = out.redisUrl ? usableCores() : 1;
  else if (out.workers === 0) out.workers = usableCores();
  const sentinels = (out.redisSentinels as string[] | undefined)?.length;
  const clusterNodes = (out.redisClusterNodes as string[] | undefined)?.length;
  // Every "is Redis configured" check reads REDIS_URL; with Sentinel or a Cluster it carries the login.
  if ((sentinels || clusterNodes) && !out.redisUrl)
    throw new ConfigError(`${sentinels ? 'APIGPT_REDIS_SENTINELS' : 'APIGPT_REDIS_CLUSTER_NODES'} needs REDIS_URL as well, for the login (redis://[:password@]any-host[/db]; its host is not used)`);
  if (sentinels && clusterNodes) throw new ConfigError('Set APIGPT_REDIS_SENTINELS or APIGPT_REDIS_CLUSTER_NODES, not both');
  // Scripts and transactions touch several keys at once: on a Cluster they must share one hash slot
  // (state/connect.ts), which a hash tag at the start of the prefix gives every key.
  // OTLP's protocol names (opentelemetry.io/docs/specs/otel/protocol/exporter/); the gateway speaks OTLP/HTTP only.
  for (const [key, env] of [['otlpProtocol', 'OTEL_EXPORTER_OTLP_PROTOCOL'], ['otlpTracesProtocol', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']] as const) {
    const v = out[key];
    if (v !== undefined && v !== 'http/protobuf' && v !== 'http/json') throw new ConfigError(`${env} must be http/protobuf or http/json (got ${JSON.stringify(v)}${v === 'grpc' ? ': OTLP over gRPC is not offered, use http/protobuf to port 4318' : ''})`);
  }
  const prefix = String(out.redisPrefix ?? '');
  if (clusterNodes && !/^[^{]*\{[^}]+\}/.test(prefix))
    throw new ConfigError(`APIGPT_REDIS_PREFIX must hold a hash tag on a Redis Cluster (for example "{apigpt}:"), so that every key of the gateway is in one hash slot (got "${prefix}")`);
  return out as Config;
}

/**
 * `APIGPT_TRUST_PROXY` as Fastify's `trustProxy` takes it: `false` (forwarding headers ignored, the
 * socket's address is the client), the trusted proxies' addresses and CIDRs, or a hop count (the
 * `n` nearest hops are trusted — a function, since Fastify reads a bare number as "trust none").
 * Never `true`: trusting every hop lets any client name its own address in `X-Forwarded-For`.
 */
export function trustProxyOption(value: string): false | string[] | ((address: string, hop: number) => boolean) {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'false' || v === 'off' || v === 'no' || v === '0') return false;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    return (_address, hop) => hop < hops;
  }
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    const [addr, bits, extra] = item.split('/');
    const family = isIP(addr);
    const okBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (!family || !okBits || extra !== undefined)
      throw new ConfigError(`APIGPT_TRUST_PROXY must be false, a number of proxy hops, or proxy addresses and CIDRs separated by commas (got ${JSON.stringify(value)}; "${item}" is not an IP address or CIDR)`);
  }
  return items;
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (data == null) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`${file} must be a mapping of settings`);
  return data as Record<string, unknown>;
}

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

function parseField(field: FieldSpec, raw: unknown, where: string): unknown {
  const shown = field.secret ? '***' : JSON.stringify(raw);
  const fail = (expected: string): never => {
    throw new ConfigError(`${where} must be ${expected} (got ${shown})`);
  };
  switch (field.type) {
    case 'string':
      if (typeof raw !== 'string' && typeof raw !== 'number') fail('a string');
      return String(raw);
    case 'url': {
      const s = String(raw);
      try {
        new URL(s);
      } catch {
        fail('a URL such as http://host:port/path');
      }
      return s.replace(/\/+$/, '');
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : /^-?\d+$/.test(String(raw).trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(n)) fail('a whole number');
      if ((field.min !== undefined && n < field.min) || (field.max !== undefined && n > field.max))
        fail(`a whole number from ${field.min ?? '-∞'} to ${field.max ?? '∞'}`);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      return fail('true or false');
    }
    case 'bytes': {
      if (typeof raw === 'number' && Number.isInteger(raw) && raw > 0) return raw;
      const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(String(raw).trim());
      if (!m) return fail('a size such as 20mb, 512kb or a number of bytes');
      return Math.floor(Number(m[1]) * BYTE_UNITS[(m[2] ?? 'b').toLowerCase()]);
    }
    case 'list': {
      const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
      return items.map((s) => s.trim()).filter(Boolean);
    }
  }
}

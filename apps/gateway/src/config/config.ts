import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
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
  return out as Config;
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

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type Config } from '../config/config.js';

export class UsageError extends Error {}

/** One command of `apigpt`: its usage line, its one-line summary for --help, and what it does. */
export interface Command {
  usage: string;
  summary: string;
  run(argv: string[]): Promise<number>;
}

/** The configuration a command runs with: the file (--config), the environment, --data and `extra`. */
export function configFrom(values: Record<string, unknown>, extra: Partial<Config> = {}): Config {
  return loadConfig({
    file: values.config as string | undefined,
    overrides: { ...(values.data ? { dataDir: values.data as string } : {}), ...extra },
  });
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes: where the data is, how to print. */
export const COMMON: Options = {
  data: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export function parse(argv: string[], options: Options, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON, ...options }, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || !v) throw new UsageError(`--${name} is required`);
  return v;
}

export function intOption(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number`);
  return Number(v);
}

/** Output: a human line, or with --json the object itself, one per command. */
export function out(json: unknown, obj: unknown, human: string): void {
  process.stdout.write((json ? JSON.stringify(obj, null, 2) : human) + '\n');
}

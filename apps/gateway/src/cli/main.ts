import { ConfigError } from '../config/config.js';
import { GatewayError } from '../core/errors.js';
import { dependencyFailure } from '../core/dependency-errors.js';
import { configFrom, parse, intOption, UsageError, type Command } from './args.js';

// Only `serve` is defined here; every other command lives in admin-commands.ts, loaded when one runs.
const SERVE: Command = {
  usage: 'apigpt serve [--port N] [--host H] [--workers N] [--data DIR] [--config FILE]',
  summary: 'Start the gateway and console (the default command); --workers N runs N processes on the port (needs REDIS_URL)',
  async run(argv) {
    const { values } = parse(argv, { port: { type: 'string' }, host: { type: 'string' }, workers: { type: 'string' } });
    const port = intOption(values, 'port');
    const workers = intOption(values, 'workers');
    const config = configFrom(values, { ...(port !== undefined ? { port } : {}), ...(values.host ? { host: values.host as string } : {}), ...(workers !== undefined ? { workers } : {}) });
    // Loaded only to serve: the administration commands never pay for the HTTP server and relay.
    const { serve } = await import('./serve.js');
    return serve(config);
  },
};

/** Every command, the administration ones loaded on demand. */
async function commands(): Promise<Record<string, Command>> {
  const { ADMIN_COMMANDS } = await import('./admin-commands.js');
  return { serve: SERVE, ...ADMIN_COMMANDS };
}

async function help(): Promise<string> {
  const lines = Object.values(await commands()).map((c) => `  ${c.usage}\n      ${c.summary}`);
  return `APIGPT: one key, many AI providers.\n\nUsage:\n${lines.join('\n')}\n\nEvery command acts on the database serve uses: --data DIR (default ./data) or DATABASE_URL.\nAdd --help to any command for its usage.`;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(await help());
    return 0;
  }
  // `serve` (named, or the default when no command is named) without loading the other commands:
  // a cluster's primary stays small.
  const byDefault = argv.length === 0 || argv[0].startsWith('-');
  let cmd: Command | undefined;
  let rest: string[];
  if (byDefault || argv[0] === 'serve') [cmd, rest] = [SERVE, byDefault ? argv : argv.slice(1)];
  else {
    const all = await commands();
    const two = argv.slice(0, 2).join(' ');
    [cmd, rest] = all[two] ? [all[two], argv.slice(2)] : [all[argv[0]], argv.slice(1)];
  }
  if (!cmd) {
    console.error(`Unknown command: ${argv.join(' ')}\n\n${await help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`${cmd.usage}\n\n${cmd.summary}`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    const json = rest.includes('--json');
    if (err instanceof UsageError) {
      console.error(`${err.message}\nUsage: ${cmd.usage}`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof GatewayError) {
      if (json) console.log(JSON.stringify({ error: { message: err.message, code: err instanceof GatewayError ? err.code : 'config' } }));
      else console.error(`Error: ${err.message}`);
      return 1;
    }
    // A database, disk or server that cannot serve or write now: said as such, not as a bare
    // "disk I/O error" (a full data folder at start fails the first write).
    const outage = dependencyFailure(err);
    if (outage) {
      const message = `${outage.dependency === 'sqlite' || outage.dependency === 'disk' ? 'the data folder cannot be written (is its disk full or read-only?)' : `${outage.dependency} cannot be reached or cannot write`}: ${outage.reason}`;
      if (json) console.log(JSON.stringify({ error: { message, code: 'service_unavailable' } }));
      else console.error(`Error: ${message}`);
      return 1;
    }
    throw err;
  }
}

import { ConfigError } from '../config/config.js';
import { GatewayError } from '../core/errors.js';
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
  // `serve` (the default) without loading the other commands: a cluster's primary stays small.
  const serving = argv[0] === 'serve' || argv.length === 0 || argv[0].startsWith('-');
  const all = serving ? { serve: SERVE } : await commands();
  const two = argv.slice(0, 2).join(' ');
  const [name, rest] = all[two] ? [two, argv.slice(2)] : all[argv[0] ?? ''] ? [argv[0], argv.slice(1)] : argv.length === 0 || argv[0].startsWith('-') ? ['serve', argv] : [null, argv];
  if (!name) {
    console.error(`Unknown command: ${argv.join(' ')}\n\n${await help()}`);
    return 2;
  }
  const cmd = all[name];
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
    throw err;
  }
}

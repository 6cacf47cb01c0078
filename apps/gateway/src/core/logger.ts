/** A small leveled logger; the server is given one, so tests can silence or capture it. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function createLogger(level: string = 'info', write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const min = ORDER[(level as LogLevel) in ORDER ? (level as LogLevel) : 'info'];
  const at = (lvl: LogLevel) => (msg: string, err?: unknown) => {
    if (ORDER[lvl] < min) return;
    const detail = err instanceof Error ? ` — ${err.stack ?? err.message}` : err !== undefined ? ` — ${String(err)}` : '';
    write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${msg}${detail}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

import { pino, stdSerializers, stdTimeFunctions, type DestinationStream, type Logger as PinoLogger } from 'pino';

/**
 * The gateway's logger: pino underneath (JSON lines on stderr; stdout is left to the CLI's own
 * output), behind the small interface the code calls. The server is given one, so tests can silence
 * or capture it. Secrets never reach the output: known secret keys are redacted at any of the first
 * four levels of a logged object, and tokens are scrubbed from messages and error texts.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Structured context for a line; secret-named keys in it are redacted. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, err?: unknown, fields?: LogFields): void;
}

/** What `createLogger` returns: the interface, and the pino instance for code that wants it (Fastify's `loggerInstance`). */
export interface GatewayLogger extends Logger {
  readonly pino: PinoLogger;
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/** Keys whose values are secrets wherever they appear (headers, configs, request bodies, errors). */
const SECRET_KEYS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'apiKey',
  'api_key',
  'key',
  'secret',
  'secretAccessKey',
  'client_secret',
  'password',
  'token',
  'accessToken',
  'refreshToken',
];

/** `k`, `*.k`, `*.*.k`, `*.*.*.k` for every secret key (bracketed when it is not an identifier). */
export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => {
  const ident = /^[A-Za-z_$][\w$]*$/.test(k);
  const top = ident ? k : `["${k}"]`;
  const nested = ident ? `.${k}` : `["${k}"]`;
  return [top, `*${nested}`, `*.*${nested}`, `*.*.*${nested}`];
});

/**
 * Tokens in free text: bearer/basic credentials, `sk-` keys, Google `AIza` keys, and secret
 * parameters (`?key=`, `api_key=…` anywhere, signed links).
 */
export function scrub(text: string): string {
  return text
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, '$1 [redacted]')
    .replace(/\bsk-[A-Za-z0-9_-]{12,}/g, 'sk-[redacted]')
    .replace(/\bAIza[A-Za-z0-9_-]{20,}/g, 'AIza[redacted]')
    .replace(/(\b(?:key|api[-_]?key|access_token|token|secret|sig|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&\s"'<>]+/gi, '$1[redacted]');
}

/**
 * A logger at `level` (unknown levels mean `info`). Lines go to `write` when given (one JSON line
 * per call, without the newline), else to stderr: JSON lines, or a short human-readable line when
 * stderr is a terminal.
 */
export function createLogger(level: string = 'info', write?: (line: string) => void): GatewayLogger {
  const lvl = LEVELS.has(level) ? level : 'info';
  const dest: DestinationStream =
    lvl === 'silent'
      ? { write: () => undefined }
      : write
        ? { write: (s: string) => write(s.endsWith('\n') ? s.slice(0, -1) : s) }
        : process.stderr.isTTY
          ? { write: (s: string) => void process.stderr.write(terminalLine(s)) }
          : pino.destination({ dest: 2, sync: true });
  const p = pino(
    {
      level: lvl,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        err: (e: unknown) => {
          const out = stdSerializers.err(e as Error) as unknown;
          if (!out || typeof out !== 'object') return typeof out === 'string' ? scrub(out) : out;
          const o = out as { message?: unknown; stack?: unknown };
          if (typeof o.message === 'string') o.message = scrub(o.message);
          if (typeof o.stack === 'string') o.stack = scrub(o.stack);
          return o;
        },
      },
    },
    dest,
  );
  const at = (l: 'debug' | 'info' | 'warn') => (msg: string, fields?: LogFields) => {
    if (fields) p[l](fields, scrub(msg));
    else p[l](scrub(msg));
  };
  return {
    pino: p,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error(msg, err, fields) {
      const ctx = err === undefined ? fields : { ...fields, err };
      if (ctx) p.error(ctx, scrub(msg));
      else p.error(scrub(msg));
    },
  };
}

/**
 * `12:00:00.000 WARN  message {fields}` and the error's stack, for a person at a terminal. A few lines
 * instead of pino-pretty, which brings thirteen packages for the same; the JSON is the one pino wrote,
 * so it is already redacted.
 */
export function terminalLine(json: string): string {
  try {
    const { level, time, msg, err, pid: _pid, hostname: _host, ...rest } = JSON.parse(json) as Record<string, unknown>;
    const clock = typeof time === 'string' ? time.slice(11, 23) : '';
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    const e = err as { stack?: string; message?: string } | string | undefined;
    const detail = e === undefined ? '' : ` — ${typeof e === 'string' ? e : (e.stack ?? e.message ?? JSON.stringify(e))}`;
    return `${clock} ${String(level).toUpperCase().padEnd(5)} ${String(msg ?? '')}${extra}${detail}\n`;
  } catch {
    return json;
  }
}

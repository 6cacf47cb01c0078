import { describe, expect, it } from 'vitest';
import { createLogger, scrub, terminalLine } from '../../src/core/logger.js';

/** A logger whose lines are kept, parsed. */
function captured(level = 'debug') {
  const lines: string[] = [];
  const log = createLogger(level, (l) => lines.push(l));
  return { log, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger (pino)', () => {
  it('writes one JSON line per call, at or above its level, with the level by name', () => {
    const { log, json } = captured('info');
    log.debug('not shown');
    log.info('started', { port: 8080 });
    log.warn('careful');
    log.error('failed', new Error('boom', { cause: new Error('root cause') }));
    const out = json();
    expect(out.map((o) => [o.level, o.msg])).toEqual([
      ['info', 'started'],
      ['warn', 'careful'],
      ['error', 'failed'],
    ]);
    expect(out[0]).toMatchObject({ port: 8080 });
    expect(typeof out[0].time).toBe('string');
    const err = out[2].err as { type: string; message: string; stack: string };
    expect(err.type).toBe('Error');
    expect(err.stack).toContain('boom');
    // The cause's stack comes along: internal errors wrap what really failed.
    expect(err.stack).toContain('caused by: Error: root cause');
  });

  it("'silent' writes nothing; an unknown level means info", () => {
    const silent = captured('silent');
    silent.log.error('x', new Error('y'));
    expect(silent.lines).toEqual([]);
    const odd = captured('loud');
    odd.log.debug('no');
    odd.log.info('yes');
    expect(odd.json().map((o) => o.msg)).toEqual(['yes']);
  });

  it('never writes secrets: secret-named keys are redacted at any of the first four levels', () => {
    const { log, lines } = captured();
    const secrets = ['sk-live-header-0123456789', 'AKIA-SECRET-S3', 'hunter2-password', 'x-api-key-value', 'goog-key-value', 'cookie-value', 'token-value', 'body-api-key'];
    log.info('request', {
      req: { headers: { authorization: `Bearer ${secrets[0]}`, 'x-api-key': secrets[3], 'x-goog-api-key': secrets[4], cookie: secrets[5], accept: 'application/json' } },
      config: { s3: { secretAccessKey: secrets[1], bucket: 'gw-images' } },
      body: { password: secrets[2], user: { token: secrets[6] }, api_key: secrets[7] },
    });
    log.error('upstream refused', { status: 401, headers: { authorization: `Bearer ${secrets[0]}` } });
    const text = lines.join('\n');
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).toContain('[redacted]');
    // What is not secret is kept.
    expect(text).toContain('gw-images');
    expect(text).toContain('application/json');
  });

  it('scrubs tokens from messages and error texts, which redaction by key cannot reach', () => {
    const { log, lines } = captured();
    log.warn('Could not list models of https://generativelanguage.googleapis.com/v1beta/models?key=AIzaSyFAKEFAKEFAKE&alt=sse: 401');
    log.info('client sent Authorization: Bearer sk-proj-abcdefghijklmnop1234 and Basic dXNlcjpzZWNyZXQ=');
    log.error('upstream failed', new Error('401 for sk-ant-api03-abcdefghijklmnopqrstuvwxyz at /files/images/a.png?exp=1&sig=c2lnbmF0dXJl'));
    log.error('odd throw', 'token=abc sk-abcdefghijklmnopqrstuvwx');
    const text = lines.join('\n');
    for (const s of ['AIzaSyFAKEFAKEFAKE', 'sk-proj-abcdefghijklmnop1234', 'dXNlcjpzZWNyZXQ=', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz', 'c2lnbmF0dXJl', 'sk-abcdefghijklmnopqrstuvwx']) {
      expect(text).not.toContain(s);
    }
    expect(text).toContain('alt=sse');
    expect(text).toContain('exp=1');
    expect(scrub('plain text with no-secrets and sk-short')).toBe('plain text with no-secrets and sk-short');
  });

  it('reads as one short line at a terminal', () => {
    const { log, lines } = captured();
    log.warn('disk almost full', { free: '1 GB' });
    log.error('shutdown failed', new Error('stuck'));
    const [warn, error] = lines.map((l) => terminalLine(l + '\n'));
    expect(warn).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  disk almost full \{"free":"1 GB"\}\n$/);
    expect(error).toMatch(/^\d\d:\d\d:\d\d\.\d{3} ERROR shutdown failed — Error: stuck\n {4}at /);
  });
});

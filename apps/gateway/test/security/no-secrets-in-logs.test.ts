/**
 * Nothing a session handles that could sign in or spend money may land in what the gateway writes
 * down: its log (captured at debug level), the request log and audit rows, and any file in the data
 * folder but the database. One representative session runs — sign-up, log-in, keys, channels with
 * provider keys (created and rotated), calls in each dialect, streamed and not, a wrong key, a
 * provider that quotes the key in its refusal and one that refuses the channel's key, codes made and
 * redeemed, two-factor sign-in (its key, recovery codes and challenges), password changes by the
 * user and by an admin, the root token — and every secret it used
 * is then searched for in all of it.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { totpAt, totpStep } from '../../src/accounts/totp.js';

const hex = (n: number) => randomBytes(n).toString('hex');

/** Every secret of the session, by name; filled as the session makes them. */
const secrets: Record<string, string> = {
  // Not shaped like a key (no sk-, no Bearer): only the gateway's knowledge of the channel's secret can hide it.
  channelKey: `UPSTREAM-${hex(16)}`,
  rotatedChannelKey: `ROTATED-${hex(16)}`,
  echoChannelKey: `ECHO-${hex(16)}`,
  wrongChannelKey: `WRONGKEY-${hex(16)}`,
  userPassword: `Pw-${hex(8)}-Lantern`,
  newUserPassword: `Pw-${hex(8)}-Meadow`,
  adminSetPassword: `Pw-${hex(8)}-Harbour`,
  wrongPassword: `Pw-${hex(8)}-Guess`,
  unknownApiKey: `sk-${hex(24)}`,
};

/** An OpenAI-compatible upstream that quotes the bearer token it was sent in its refusal. */
function startEchoUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `Model not allowed for ${req.headers.authorization}`, type: 'invalid_request_error', code: 'model_not_allowed' } }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('no secret in the logs of a whole session', () => {
  let t: TestGateway;
  let echo: Server;
  let logFile: string;
  let logDir: string;

  beforeAll(async () => {
    echo = await startEchoUpstream();
    logDir = mkdtempSync(join(tmpdir(), 'apigpt-log-'));
    logFile = join(logDir, 'gateway.log');
    t = await startTestGateway({
      simulator: { apiKey: secrets.channelKey },
      channels: () => [],
      config: { logLevel: 'debug', retryMaxAttempts: 1 },
      start: { log: createLogger('debug', (line) => appendFileSync(logFile, `${line}\n`)) },
    });
    secrets.rootToken = t.rootToken;
    secrets.adminPassword = t.admin.password;
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((r) => echo?.close(r));
    rmSync(logDir, { recursive: true, force: true });
  });

  const json = { 'content-type': 'application/json' };
  const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0];
  const root = (method: string, path: string, body?: unknown) => t.api(method, path, body, { token: t.rootToken });

  it('runs a representative session, then finds none of its secrets in the log, the request log, the audit log or the data folder', async () => {
    // Admin: log in, add channels with provider keys (one of them rotated), price their models.
    const adminLogin = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(t.admin) });
    expect(adminLogin.status).toBe(200);
    const adminCookie = cookieOf(adminLogin);
    secrets.adminSession = adminCookie.split('=')[1];
    const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/v1`;
    const channels = [
      { provider: 'openai-compatible', name: 'sim', baseUrl: `${t.sim.url}/v1`, secret: secrets.channelKey, models: ['gpt-4o-mini', 'text-embedding-3-small'] },
      { provider: 'anthropic', name: 'claude', baseUrl: t.sim.url, secret: secrets.channelKey, models: ['claude-x'], modelMap: { 'claude-x': 'claude-sonnet-4-5' } },
      { provider: 'gemini', name: 'gemini', baseUrl: t.sim.url, secret: secrets.wrongChannelKey, models: ['gemini-x'], modelMap: { 'gemini-x': 'gemini-2.5-flash' } },
      { provider: 'openai-compatible', name: 'echo', baseUrl: echoUrl, secret: secrets.echoChannelKey, models: ['echo-model'] },
      { provider: 'openai-compatible', name: 'refused', baseUrl: `${t.sim.url}/v1`, secret: secrets.wrongChannelKey, models: ['refused-model'] },
    ];
    const ids: Record<string, string> = {};
    for (const c of channels) {
      const r = await t.api<{ channel: { id: string } }>('POST', '/api/admin/channels', c, { cookie: adminCookie });
      expect(r.status).toBe(200);
      ids[c.name] = r.body.channel.id;
    }
    // The Gemini channel's key is wrong at first; rotating it to the right one makes it work.
    expect((await root('PATCH', `/api/admin/channels/${ids.gemini}`, { secret: secrets.channelKey })).status).toBe(200);
    expect((await root('PATCH', `/api/admin/channels/${ids.refused}`, { secret: secrets.rotatedChannelKey })).status).toBe(200);
    for (const m of ['claude-x', 'gemini-x', 'echo-model', 'refused-model']) expect((await root('PUT', `/api/admin/prices/${m}`, { input: 1, output: 1 })).status).toBe(200);
    expect((await t.api('POST', `/api/admin/channels/${ids.sim}/test`, {}, { cookie: adminCookie })).status).toBe(200);

    // A user: sign up, a wrong password, log in, an app and two keys.
    const email = `secrets-${hex(4)}@test.local`;
    const signup = await fetch(`${t.url}/api/auth/signup`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: secrets.userPassword }) });
    expect(signup.status).toBe(200);
    secrets.signupSession = cookieOf(signup).split('=')[1];
    expect((await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: secrets.wrongPassword }) })).status).toBe(401);
    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: secrets.userPassword }) });
    expect(login.status).toBe(200);
    let cookie = cookieOf(login);
    secrets.loginSession = cookie.split('=')[1];
    const userId = ((await login.json()) as { user: { id: string } }).user.id;
    const app = await t.api<{ app: { id: string }; key: { key: string } }>('POST', '/api/apps', { name: 'secrets app' }, { cookie });
    secrets.apiKey = app.body.key.key;
    const second = await t.api<{ key: string }>('POST', `/api/apps/${app.body.app.id}/keys`, { name: 'second' }, { cookie });
    secrets.secondApiKey = second.body.key;

    // Calls in each dialect, plain and streamed, with the key in each dialect's own place.
    const call = async (path: string, headers: Record<string, string>, body: unknown) => {
      const res = await fetch(t.url + path, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });
      await res.text();
      return res.status;
    };
    const bearer = { authorization: `Bearer ${secrets.apiKey}` };
    const messages = [{ role: 'user', content: 'Hello' }];
    expect(await call('/v1/chat/completions', bearer, { model: 'gpt-4o-mini', messages })).toBe(200);
    expect(await call('/v1/chat/completions', bearer, { model: 'gpt-4o-mini', messages, stream: true })).toBe(200);
    expect(await call('/v1/embeddings', bearer, { model: 'text-embedding-3-small', input: 'hi' })).toBe(200);
    expect(await call('/v1/responses', bearer, { model: 'gpt-4o-mini', input: 'Hello' })).toBe(200);
    expect(await call('/v1/messages', { 'x-api-key': secrets.apiKey, 'anthropic-version': '2023-06-01' }, { model: 'claude-x', max_tokens: 50, messages })).toBe(200);
    expect(await call('/v1/messages', { 'x-api-key': secrets.secondApiKey, 'anthropic-version': '2023-06-01' }, { model: 'gpt-4o-mini', max_tokens: 50, messages, stream: true })).toBe(200);
    const gemini = { contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] };
    expect(await call('/v1beta/models/gemini-x:generateContent', { 'x-goog-api-key': secrets.apiKey }, gemini)).toBe(200);
    // Gemini's SDKs may put the key in the query string.
    expect(await call(`/v1beta/models/gemini-x:streamGenerateContent?alt=sse&key=${secrets.secondApiKey}`, {}, gemini)).toBe(200);
    expect(await call('/v1beta/models/claude-x:generateContent', { 'x-goog-api-key': secrets.apiKey }, gemini)).toBe(200);
    // Refusals: an unknown key, a provider quoting the channel's key, a provider refusing the channel's key.
    expect(await call('/v1/chat/completions', { authorization: `Bearer ${secrets.unknownApiKey}` }, { model: 'gpt-4o-mini', messages })).toBe(401);
    expect(await call('/v1/chat/completions', bearer, { model: 'echo-model', messages })).toBe(400);
    expect(await call('/v1/chat/completions', bearer, { model: 'refused-model', messages })).toBe(502);
    // The refused channel now rests: the next call is told no channel is available, and its key rode in the URL.
    expect(await call(`/v1beta/models/refused-model:generateContent?key=${secrets.apiKey}`, {}, gemini)).toBe(503);

    // Codes: made by the root token, redeemed by the user.
    const codes = await root('POST', '/api/admin/codes', { count: 2, value: 5 });
    expect(codes.status).toBe(200);
    [secrets.code, secrets.unusedCode] = codes.body.items.map((i: { code: string }) => i.code);
    expect((await t.api('POST', '/api/billing/redeem', { code: secrets.code }, { cookie })).status).toBe(200);

    // Two-factor: turned on (its key and recovery codes), then a sign-in with a code and one with a
    // recovery code (their challenges, and the sessions they open). The 6-digit codes themselves are
    // not looked for: any six digits in a log would match.
    const setup = await t.api<{ secret: string }>('POST', '/api/auth/two-factor/setup', { password: secrets.userPassword }, { cookie });
    expect(setup.status).toBe(200);
    secrets.totpSecret = setup.body.secret;
    const step = totpStep(Date.now());
    const confirmed = await t.api<{ recoveryCodes: string[] }>('POST', '/api/auth/two-factor/confirm', { code: totpAt(setup.body.secret, step) }, { cookie });
    expect(confirmed.status).toBe(200);
    [secrets.recoveryCode, secrets.unusedRecoveryCode] = confirmed.body.recoveryCodes;
    const signIn = async (factor: Record<string, string>, name: string) => {
      const first = await t.api<{ twoFactor: { challenge: string } }>('POST', '/api/auth/login', { email, password: secrets.userPassword });
      secrets[`${name}Challenge`] = first.body.twoFactor.challenge;
      const done = await fetch(`${t.url}/api/auth/login/two-factor`, { method: 'POST', headers: json, body: JSON.stringify({ challenge: first.body.twoFactor.challenge, ...factor }) });
      expect(done.status).toBe(200);
      secrets[`${name}Session`] = cookieOf(done).split('=')[1];
    };
    await signIn({ code: totpAt(setup.body.secret, step + 1) }, 'totp');
    await signIn({ recoveryCode: secrets.recoveryCode }, 'recovery');

    // Passwords: changed by the user (a fresh session), then set by an admin.
    const change = await fetch(`${t.url}/api/auth/password`, { method: 'POST', headers: { ...json, cookie }, body: JSON.stringify({ currentPassword: secrets.userPassword, newPassword: secrets.newUserPassword }) });
    expect(change.status).toBe(200);
    cookie = cookieOf(change);
    secrets.changedSession = cookie.split('=')[1];
    expect((await t.api('PATCH', `/api/admin/users/${userId}`, { password: secrets.adminSetPassword }, { cookie: adminCookie })).status).toBe(200);
    expect((await t.api('POST', '/api/auth/logout', undefined, { cookie: adminCookie })).status).toBe(200);

    // What was written down.
    await t.flushLogs();
    const d = t.gw.services.db;
    const requestLog = JSON.stringify(await d.selectFrom('request_logs').selectAll().execute());
    const auditLog = JSON.stringify(await d.selectFrom('audit_log').selectAll().execute());
    const dataFiles = readdirSync(t.config.dataDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && !/^apigpt\.db(-wal|-shm|-journal)?$/.test(e.name))
      .map((e) => join(e.parentPath ?? e.path, e.name));
    const log = readFileSync(logFile, 'utf8');
    const sources: Record<string, string> = { log, requestLog, auditLog, ...Object.fromEntries(dataFiles.map((f) => [f, readFileSync(f).toString('latin1')])) };

    // The session was seen: the log has lines, the request log every call but the unknown key's (it
    // has no owner), the audit log every admin change (5 channels, 2 key rotations, 4 prices, a
    // channel test, a code batch, a password).
    expect(log.split('\n').filter(Boolean).length).toBeGreaterThan(0);
    expect(JSON.parse(requestLog)).toHaveLength(12);
    expect(JSON.parse(auditLog)).toHaveLength(14);
    expect(Object.keys(secrets)).toHaveLength(26);

    const found: string[] = [];
    for (const [where, text] of Object.entries(sources))
      for (const [name, secret] of Object.entries(secrets)) {
        // A key is also looked for without its `sk-`, in case only the prefix was masked.
        for (const form of new Set([secret, secret.replace(/^sk-/, ''), encodeURIComponent(secret)])) if (text.includes(form)) found.push(`${name} in ${where}`);
      }
    expect(found).toEqual([]);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';

/**
 * What a provider says when it refuses a call reaches the caller and the request log the caller can
 * read. A refused channel key is told without the provider's words; any other message loses the
 * channel's secret and whatever is shaped like a key or token.
 */
const SIM_KEY = 'sk-sim-good-key-0123456789';
const WRONG_SECRET = 'sk-UPSTREAM-SECRET-wrong-0123456789';
const ECHO_SECRET = 'UPSTREAM-SECRET-echo-9f8e7d6c5b4a';

/**
 * An OpenAI-compatible server that quotes what it was sent in its refusals, as some self-hosted
 * proxies do: the bearer token it received, another user's key, a `key=` parameter.
 */
function startEchoUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            message: `Model not allowed for token ${ECHO_SECRET}; header was ${req.headers.authorization}; see https://proxy.example/usage?key=AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv and other key sk-proj-Zx9Yw8Vu7Ts6Rq5Po4 api_key=hunter2hunter2`,
            type: 'invalid_request_error',
            code: 'model_not_allowed',
          },
        }),
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let t: TestGateway;
let echo: Server;
beforeAll(async () => {
  echo = await startEchoUpstream();
  const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/v1`;
  t = await startTestGateway({
    simulator: { apiKey: SIM_KEY },
    config: { healthProbeIntervalMs: 0, retryMaxAttempts: 1 },
    channels: (sim) => [
      { provider: 'openai-compatible', name: 'wrong key', baseUrl: `${sim.url}/v1`, secret: WRONG_SECRET, models: ['gpt-4o-mini'] },
      { provider: 'openai-compatible', name: 'echo', baseUrl: echoUrl, secret: ECHO_SECRET, models: ['gpt-4o'] },
    ],
  });
});
afterAll(async () => {
  await t?.close();
  await new Promise((r) => echo?.close(r));
});

async function chat(key: string, model: string) {
  const res = await fetch(`${t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello' }] }),
  });
  return { status: res.status, text: await res.text() };
}

async function myLogMessages(cookie: string): Promise<string[]> {
  await t.flushLogs();
  const logs = await t.api<{ items: { error_message: string | null }[] }>('GET', '/api/logs', undefined, { cookie });
  return logs.body.items.map((r) => r.error_message ?? '');
}

describe('provider error text', () => {
  it("a refused channel key reaches the caller and the caller's log as a generic message, without the provider's words", async () => {
    const { key, cookie } = await t.newUserWithKey();
    const res = await chat(key, 'gpt-4o-mini');
    expect(res.status).toBe(502);
    const message = (JSON.parse(res.text) as { error: { message: string } }).error.message;
    expect(message).toBe("The provider refused the channel's credentials (401). An administrator needs to check the channel's key.");
    const [logged] = await myLogMessages(cookie);
    expect(logged).toBe(message);
  });

  it("another refusal keeps the provider's message but not the channel's secret, bearer tokens or keys", async () => {
    const { key, cookie } = await t.newUserWithKey();
    const res = await chat(key, 'gpt-4o');
    expect(res.status).toBe(400);
    const message = (JSON.parse(res.text) as { error: { message: string } }).error.message;
    expect(message).toBe('Model not allowed for token [redacted]; header was Bearer [redacted]; see https://proxy.example/usage?key=[redacted] and other key sk-[redacted] api_key=[redacted]');
    const [logged] = await myLogMessages(cookie);
    expect(logged).toBe(message);
    for (const secret of [ECHO_SECRET, 'AIzaSyA1b2C3', 'Zx9Yw8Vu7Ts6Rq5Po4', 'hunter2']) {
      expect(res.text).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
  });
});

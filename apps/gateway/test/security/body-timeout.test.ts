/**
 * A client trickling its request body is cut after the body timeout (APIGPT_BODY_TIMEOUT_MS), while a
 * streamed answer that lasts longer than that timeout is not: Node's `requestTimeout` covers receiving
 * the request only.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { setPrice } from '../billing/helpers.js';

const TIMEOUT_MS = 1500;

/** Sends headers announcing a body, then one byte every 200 ms; resolves when the server closes the connection. */
function trickle(url: string, path: string, headers = ''): Promise<{ elapsedMs: number; response: string; bytesSent: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let response = '';
    let bytesSent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n${headers}\r\n`);
      timer = setInterval(() => {
        if (socket.writable) {
          socket.write('{');
          bytesSent++;
        }
      }, 200);
    });
    socket.on('data', (d) => (response += d.toString()));
    socket.on('error', () => undefined); // a reset after the 408 is also a close
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ elapsedMs: Date.now() - started, response, bytesSent });
    });
  });
}

describe('slow request bodies', { timeout: 30_000 }, () => {
  let t: TestGateway;
  let key: string;
  beforeAll(async () => {
    t = await startTestGateway({ config: { bodyTimeoutMs: TIMEOUT_MS } });
    key = (await t.newUserWithKey()).key;
    await setPrice(t, 'gpt-4o-mini', 0, 0);
  });
  afterAll(() => t?.close());

  it('a login body trickled one byte every 200 ms is cut with 408 soon after the body timeout', async () => {
    const r = await trickle(t.url, '/api/auth/login');
    expect(r.response).toMatch(/^HTTP\/1\.1 408/);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    // Node checks its connections every quarter of the timeout here (at most every second).
    expect(r.elapsedMs).toBeLessThan(TIMEOUT_MS + 2000);
  });

  it('a relay body trickled the same way is cut too', async () => {
    const r = await trickle(t.url, '/v1/chat/completions', `Authorization: Bearer ${key}\r\n`);
    expect(r.response).toMatch(/^HTTP\/1\.1 408/);
    expect(r.elapsedMs).toBeLessThan(TIMEOUT_MS + 2000);
  });

  it('a streamed answer lasting twice the body timeout is delivered whole', async () => {
    const started = Date.now();
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: `long stream [[sim delay=${Math.ceil((TIMEOUT_MS * 2) / 8)} chunks=8]]` }] }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(Date.now() - started).toBeGreaterThan(TIMEOUT_MS * 2);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });
});

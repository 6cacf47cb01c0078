import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { hookStream } from '../../src/http/answer-hook.js';
import { recordResponse } from '../../src/formats/openai-responses/recorder.js';
import { eventually } from '../eventually.js';

/**
 * The stream hook between the relay and the caller's socket (http/answer-hook.ts) with the
 * Responses recorder, over a real HTTP connection on loopback: text is rewritten on its way, and the
 * stream's last event and its end wait until the response is saved, so a client that saw the end can
 * rely on the saved copy.
 */
describe('hookStream with the Responses recorder', () => {
  let server: Server | null = null;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  /** A server whose handler writes through the hook; the test drives the writes. */
  async function serve(install: (res: ServerResponse) => void): Promise<{ url: string; res: Promise<ServerResponse> }> {
    let got!: (r: ServerResponse) => void;
    const res = new Promise<ServerResponse>((r) => (got = r));
    server = createServer((_req, r) => {
      r.writeHead(200, { 'content-type': 'text/event-stream' });
      r.flushHeaders();
      install(r);
      got(r);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, res };
  }

  const event = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

  it('holds the terminal event and the end until the save resolves, names the previous response, and saves the final Response', async () => {
    let finishSave!: () => void;
    const saved: Record<string, unknown>[] = [];
    const hook = recordResponse('resp_prev', (r) => {
      saved.push(r);
      return new Promise<void>((resolve) => (finishSave = resolve));
    });
    const { url, res } = await serve((r) => hookStream(r, hook.stream!));
    const body = fetch(url).then((r) => r.body!.getReader());
    const server = await res;
    const reader = await body;
    const decoder = new TextDecoder();
    let received = '';
    let ended = false;
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return void (ended = true);
        received += decoder.decode(value, { stream: true });
      }
    })();

    server.write(event('response.created', { sequence_number: 0, response: { id: 'resp_new', previous_response_id: null, status: 'in_progress' } }));
    await eventually(() => expect(received).toContain('"previous_response_id":"resp_prev"'));
    const completed = { id: 'resp_new', object: 'response', previous_response_id: null, status: 'completed', output: [{ type: 'message', id: 'msg_1' }] };
    // The relay writes the terminal event and ends the response; both wait for the save.
    expect(server.write(event('response.completed', { sequence_number: 1, response: completed }))).toBe(true);
    server.end();
    await eventually(() => expect(saved).toHaveLength(1));
    expect(saved[0]).toEqual({ ...completed, previous_response_id: 'resp_prev' });
    // While the save is pending the connection has not been ended, and the client has neither the
    // terminal event nor the end.
    expect({ serverEnded: server.writableEnded, terminal: received.includes('response.completed'), ended }).toEqual({ serverEnded: false, terminal: false, ended: false });
    finishSave();
    await pump;
    expect(received.endsWith(event('response.completed', { sequence_number: 1, response: { ...completed, previous_response_id: 'resp_prev' } }))).toBe(true);
  });

  it('without a save and without a previous response the text passes untouched and nothing is held', async () => {
    const hook = recordResponse(null, null);
    const { url, res } = await serve((r) => hookStream(r, hook.stream!));
    const text = fetch(url).then((r) => r.text());
    const server = await res;
    const sent = event('response.created', { sequence_number: 0, response: { id: 'r', previous_response_id: null } }) + event('response.completed', { sequence_number: 1, response: { id: 'r', previous_response_id: null } });
    server.write(sent);
    server.end();
    expect(await text).toBe(sent);
  });
});

// What the one-gateway tools (`ab.js`, `alloc-profile.js`, `window-profile.js`, `memory-split.js`)
// share: the chat call they load a gateway with, the load itself, and their `K=V,K=V` environment
// option.
import autocannon from 'autocannon';

/** A chat completion's body for the bench's model: non-streamed, or streamed with usage asked for. */
export function chatBody(stream, content) {
  return JSON.stringify({
    model: 'gpt-4o-mini',
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    messages: [{ role: 'user', content }],
  });
}

/** `connections` connections send `body` to a bench gateway (a startChild handle) for `duration` s: autocannon's result. */
export function chatLoad(gw, body, connections, duration) {
  return autocannon({
    url: `${gw.info.url}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.info.key}` },
    body,
    connections,
    duration,
  });
}

/** `K=V,K=V` as an object (a value may hold `=`). */
export function envOf(s) {
  return Object.fromEntries(
    String(s || '')
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

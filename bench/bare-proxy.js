// The floor: the least a Node HTTP gateway can do. A node:http server that forwards every request
// to one upstream over a keep-alive undici Pool, piping the request body up and the response body
// down without parsing, buffering or touching either. No auth, no routing, no metering, no logging.
//
//   node bench/bare-proxy.js http://127.0.0.1:PORT [listenPort]
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Hop-by-hop headers (RFC 9110 §7.6.1) are per connection and never forwarded; `host` is set by
// undici for the upstream origin.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

// undici's Pool and its `request` from their own files, as the gateway loads them
// (apps/gateway/src/core/undici.ts): the package's index would add its fetch, WebSocket and cookie
// modules and Node's own copy of undici, memory neither proxy uses. The index adds `request` and the
// other calls to every dispatcher the same way (Object.assign onto Dispatcher.prototype).
const load = createRequire(import.meta.url);
const Pool = load('undici/lib/dispatcher/pool.js');
Object.assign(load('undici/lib/dispatcher/dispatcher.js').prototype, load('undici/lib/api/index.js'));

function forwardable(headers) {
  const out = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name)) out[name] = headers[name];
  return out;
}

/**
 * Starts the proxy on loopback. `upstream` is an origin such as http://127.0.0.1:43123.
 * Resolves to { url, port, close() }.
 */
export async function startBareProxy({ upstream, port = 0, host = '127.0.0.1', connections = 4096 } = {}) {
  // Same pool settings as the gateway's UpstreamClient (apps/gateway/src/relay/upstream.ts), so the
  // comparison is about what happens around the upstream call, not about the pool.
  const pool = new Pool(upstream, { connections, pipelining: 1, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });

  const server = createServer(async (req, res) => {
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    let up;
    try {
      up = await pool.request({ path: req.url, method: req.method, headers: forwardable(req.headers), body: hasBody ? req : null });
    } catch (err) {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `bare proxy: upstream failed (${err?.code ?? err?.message})` } }));
      } else res.destroy();
      return;
    }
    res.writeHead(up.statusCode, forwardable(up.headers));
    // Plain .pipe() rather than stream.pipeline(): pipeline() aborts an internal AbortController on
    // every finish, and building that DOMException cost ~5% of this proxy's CPU in a profile. The
    // two listeners below are the cleanup pipeline() would have done.
    up.body.on('error', () => res.destroy());
    res.on('close', () => {
      if (!up.body.destroyed) up.body.destroy();
    });
    up.body.pipe(res);
  });
  // Load generators hold keep-alive connections; don't let Node's 5 s default cut them mid-run.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = server.address().port;
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    async close() {
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.close();
    },
  };
}

// Standalone use: `node bench/bare-proxy.js <upstream> [port]`.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const upstream = process.argv[2];
  if (!upstream) {
    console.error('usage: node bench/bare-proxy.js <upstream-origin> [port]');
    process.exit(2);
  }
  const proxy = await startBareProxy({ upstream, port: Number(process.argv[3] ?? 0) });
  console.log(`bare proxy on ${proxy.url} -> ${upstream}`);
  const stop = () => proxy.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

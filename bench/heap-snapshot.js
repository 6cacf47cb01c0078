// Where a gateway's heap is, idle and with slow streams open: `node bench/heap-snapshot.js`.
//
// Starts the bench's gateway (bench/targets.js, as `npm run bench` does) in front of the simulator,
// writes a heap snapshot at ready, opens `--streams` slow streams (each 20 chunks 100 ms apart,
// restarted as they end), writes a second snapshot while they run, and prints V8's heap spaces at
// both moments and the largest kinds of objects in each snapshot (self size by constructor, strings
// and compiled code counted apart). The snapshots stay in `--out` for Chrome DevTools' Memory tab,
// where "Comparison" shows what the streams added. Session 18 found this way that the bundle's
// source was kept as two-byte text (bench/RESULTS.md).
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { agentBody } from './agent-body.js';
import { killAll, rpc, startChild } from './children.js';

const arg = (name, dflt) => process.argv.find((x) => x.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
// `--agent`: the streams carry a coding agent's turn (bench/agent-body.js, ~230 KB of conversation
// and tools) instead of a one-line prompt: what a long-context stream holds while it runs.
const agent = process.argv.includes('--agent');
const streams = Number(arg('streams', agent ? 50 : 1000));
const out = resolve(arg('out', 'bench/results/heap'));
const top = Number(arg('top', 25));
mkdirSync(out, { recursive: true });

/** Self size by kind of object: the constructor's name, strings and code as one kind each. */
function summary(file) {
  const s = JSON.parse(readFileSync(file, 'utf8'));
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const [iT, iN, iS, w] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size'), f.length];
  const kinds = new Map();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += w) {
    const t = types[s.nodes[i + iT]];
    const kind = t.endsWith('string') ? '(strings)' : t === 'code' ? '(compiled code)' : `${t}: ${s.strings[s.nodes[i + iN]]}`.slice(0, 80);
    const k = kinds.get(kind) ?? { n: 0, bytes: 0 };
    k.n++;
    k.bytes += s.nodes[i + iS];
    kinds.set(kind, k);
    total += s.nodes[i + iS];
  }
  console.log(`  ${file}: ${(total / 2 ** 20).toFixed(1)} MB live`);
  for (const [kind, k] of [...kinds].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) console.log(`  ${(k.bytes / 2 ** 20).toFixed(2).padStart(8)} MB ${String(k.n).padStart(8)}  ${kind}`);
}
const spaces = (h) => Object.entries(h.spaces).filter(([, v]) => v.committedMB > 0).map(([k, v]) => `${k} ${v.usedMB}/${v.committedMB}`).join(', ');

try {
  const sim = await startChild('sim', {});
  const gw = await startChild('gateway', { BENCH_UPSTREAM: sim.info.url, MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072' });
  const idle = await rpc(gw, 'heap', 120_000, { snapshot: join(out, 'idle.heapsnapshot') });
  console.log(`idle: RSS ${(idle.memory.rss / 2 ** 20).toFixed(0)} MB; heap spaces used/committed MB: ${spaces(idle)}`);
  const body = agent
    ? (() => {
        const turn = JSON.parse(agentBody('gpt-4o-mini'));
        // The simulator reads its directive in the last user message: each stream lasts 4 s.
        turn.messages.push({ role: 'user', content: 'Go on. [[sim delay=200 chunks=20]]' });
        return JSON.stringify({ ...turn, stream: true, stream_options: { include_usage: true } });
      })()
    : JSON.stringify({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Hello there [[sim delay=100 chunks=20]]' }] });
  const load = autocannon({ url: `${gw.info.url}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.info.key}` }, body, connections: streams, duration: 12, timeout: 30 });
  // Streams last 2 s: after 7 s every connection has started its third or fourth.
  await new Promise((r) => setTimeout(r, 7000));
  const before = await rpc(gw, 'heap');
  const busy = await rpc(gw, 'heap', 120_000, { snapshot: join(out, 'streams.heapsnapshot') });
  console.log(`${streams} streams: RSS ${(before.memory.rss / 2 ** 20).toFixed(0)} MB; heap spaces used/committed MB: ${spaces(before)}`);
  const r = await load;
  console.log(`(${r.requests.total} streams completed, ${r.non2xx} non-2xx)`);
  summary(idle.snapshot);
  summary(busy.snapshot);
} finally {
  killAll();
}

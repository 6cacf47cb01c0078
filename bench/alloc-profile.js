// What one call allocates, and where: `node bench/alloc-profile.js [--stream] [--seconds=6] [--top=30]`.
//
// The CPU profile says where a call's time goes; the garbage collector's share of it (and part of
// everyone else's) is paid for by what the call allocates. This starts the bench's gateway
// (bench/targets.js, as `npm run bench` does) in front of the simulator, warms it up, then runs V8's
// sampling heap profiler while 50 connections send non-streamed (or, with `--stream`, streamed)
// chat calls, keeping the samples of objects the collector has already freed — so the profile is
// what the calls allocated, not what is still alive. It prints bytes allocated per call, by origin
// (the gateway, each npm package, Node) and by function (self bytes: allocated in that function's
// own frame), and leaves the profile in `--out` (Chrome DevTools' Memory tab opens it). With
// BENCH_BUNDLE=off the gateway runs from tsc's modules, so its frames name their source files.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chatBody, chatLoad } from './chat-load.js';
import { killAll, rpc, startChild } from './children.js';

const arg = (name, dflt) => process.argv.find((x) => x.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const stream = process.argv.includes('--stream');
const seconds = Number(arg('seconds', 6));
const top = Number(arg('top', 30));
const out = resolve(arg('out', 'bench/results/alloc'));
mkdirSync(out, { recursive: true });

/** Where a frame's code comes from: the gateway, an npm package, Node itself, or V8 (no script). */
function origin(url) {
  if (!url) return '(V8)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return `npm:${m[1]}`;
  if (url.includes('/apps/gateway/')) return 'gateway';
  if (url.startsWith('node:')) return 'node internals';
  return 'other';
}

/** Self bytes by function and by origin, from a sampling heap profile. */
function summarize(file, calls) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byFn = new Map();
  const byOrigin = new Map();
  let total = 0;
  const walk = (node) => {
    const f = node.callFrame;
    if (node.selfSize) {
      const short = f.url.replace(/^.*\/(apps\/gateway\/(?:src|dist)|node_modules)\//, '$1/');
      const key = `${f.functionName || '(anonymous)'}  ${short}${f.url ? `:${f.lineNumber + 1}` : ''}`;
      byFn.set(key, (byFn.get(key) ?? 0) + node.selfSize);
      const o = origin(f.url);
      byOrigin.set(o, (byOrigin.get(o) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  const perCall = (b) => `${(b / calls).toFixed(0).padStart(7)} B/call`;
  console.log(`\n${file}: ${(total / 2 ** 20).toFixed(1)} MB sampled over ${calls} calls = ${(total / calls / 1024).toFixed(1)} KB per call\n\n  by origin:`);
  for (const [o, b] of [...byOrigin].sort((a, b) => b[1] - a[1])) console.log(`  ${perCall(b)}  ${((100 * b) / total).toFixed(1).padStart(5)}%  ${o}`);
  console.log(`\n  top ${top} functions by self bytes:`);
  for (const [k, b] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${perCall(b)}  ${((100 * b) / total).toFixed(1).padStart(5)}%  ${k}`);
}

try {
  const sim = await startChild('sim', {});
  const gw = await startChild('gateway', { BENCH_UPSTREAM: sim.info.url, MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072' });
  const body = chatBody(stream, 'Say hello');
  const load = (duration) => chatLoad(gw, body, 50, duration);
  await load(3);
  await rpc(gw, 'allocStart');
  const r = await load(seconds);
  const file = await rpc(gw, 'allocStop', 120_000, { path: join(out, `${stream ? 'stream' : 'chat'}-${Date.now()}.heapprofile`) });
  if (r.non2xx || r.errors) throw new Error(`the load got ${r.non2xx} non-2xx answers and ${r.errors} errors`);
  summarize(file, r.requests.total);
} finally {
  killAll();
}

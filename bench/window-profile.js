// Where one load's calls spend the gateway's CPU, and on which threads:
// `node bench/window-profile.js [--stream] [--connections=50] [--seconds=8] [--warmup=8] [--interval=200] [--env=K=V,...] [--top=30]`.
//
// `npm run bench --profile` profiles a target's whole life: its start (module compilation, the
// bench's sign-up: ~10 µs "per call" on a slow day), warm-ups, idle rests and other scenarios are
// then spread over the calls. This profiles only a measured window: it starts the simulator and the
// bench's gateway (bench/targets.js, as `npm run bench` does, from tsc's modules unless
// BENCH_BUNDLE=on so frames name their source files), warms it up, then runs V8's CPU profiler
// (`--interval` µs between samples) only while `--connections` connections send non-streamed (or
// `--stream`ed) chat calls for `--seconds`. `--connections=1` is the bench's one-connection case.
//
// It prints, per call: CPU time by thread from /proc (the event loop's thread; the others summed:
// the SQLite writer thread, V8's collector helpers, libuv's pool — Node 20 does not name them), the
// event loop's busy time, and the profile's summary with µs per call. The profile stays in
// `bench/results/profiles/` (Chrome DevTools opens it). `--env` starts the gateway with more
// environment: `BENCH_REDIS_URL=redis://127.0.0.1:6379` (shared state in Redis),
// `BENCH_JOURNAL_SYNC=false`, … Linux only (/proc); run it alone.
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chatBody, chatLoad, envOf } from './chat-load.js';
import { killAll, rpc, startChild } from './children.js';
import { printProfileSummary, summariseProfile } from './profile-summary.js';

const arg = (name, dflt) => process.argv.find((x) => x.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const stream = process.argv.includes('--stream');
const connections = Number(arg('connections', 50));
const seconds = Number(arg('seconds', 8));
const warmup = Number(arg('warmup', 8));
const interval = Number(arg('interval', 200));
const top = Number(arg('top', 30));
const env = envOf(arg('env', ''));
const out = resolve('bench/results/profiles');
mkdirSync(out, { recursive: true });

/** CPU time (µs) of each thread of `pid`, by thread id, from /proc (clock ticks of 10 ms). */
function threadCpu(pid) {
  const hz = 100;
  const byTid = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byTid.set(tid, ((Number(f[11]) + Number(f[12])) * 1e6) / hz);
    } catch {
      // the thread ended meanwhile
    }
  }
  return byTid;
}

try {
  const sim = await startChild('sim', {});
  const gw = await startChild('gateway', {
    BENCH_UPSTREAM: sim.info.url,
    BENCH_BUNDLE: process.env.BENCH_BUNDLE ?? 'off',
    MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072',
    ...env,
  });
  const pid = gw.child.pid;
  const body = chatBody(stream, 'Hello there, how are you today?');
  const load = (duration) => chatLoad(gw, body, connections, duration);
  await load(warmup);
  const t0 = threadCpu(pid);
  const c0 = await rpc(gw, 'cpu');
  await rpc(gw, 'profStart', 15_000, { interval });
  const r = await load(seconds);
  const file = await rpc(gw, 'profStop', 120_000, { file: join(out, `window-${stream ? 'stream' : 'chat'}-${connections}c-${Date.now()}.cpuprofile`) });
  const c1 = await rpc(gw, 'cpu');
  const t1 = threadCpu(pid);
  if (r.non2xx || r.errors) throw new Error(`the load got ${r.non2xx} non-2xx answers and ${r.errors} errors`);
  const n = r.requests.total;
  let main = 0;
  let others = 0;
  for (const [tid, us] of t1) {
    const d = us - (t0.get(tid) ?? 0);
    if (tid === String(pid)) main += d;
    else others += d;
  }
  console.log(`${stream ? 'streamed' : 'non-streamed'} calls, ${connections} connection(s), ${seconds} s after ${warmup} s of warm-up, env ${JSON.stringify(env)}: ${n} calls, ${(n / seconds).toFixed(0)} req/s`);
  console.log(`  CPU per call (all threads, process.cpuUsage): ${((c1.user + c1.system - c0.user - c0.system) / n).toFixed(0)} µs; event loop busy: ${(((c1.loopBusyMs - c0.loopBusyMs) * 1000) / n).toFixed(0)} µs`);
  console.log(`  by thread (/proc, 10 ms ticks, profiler included): event loop's thread ${(main / n).toFixed(0)} µs, the others ${(others / n).toFixed(0)} µs`);
  printProfileSummary(summariseProfile(file, top), console.log, n);
} finally {
  killAll();
}

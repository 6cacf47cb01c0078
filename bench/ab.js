// Alternated A/B of two gateway set-ups on one machine: `node bench/ab.js --b="--max-semi-space-size=8"`.
//
// Why: on this 2-core VM, whole `npm run bench` runs a minute apart differ by up to 2× in req/s, so
// a change worth 5% cannot be read from two of them. Here both gateways run side by side in front of
// one simulator and take turns (A B, B A, …) under the same load for a few seconds each; what is
// compared is the gateway's own CPU time per call (every thread, from process.cpuUsage()) and its
// event loop's busy time per call, medians over the rounds. Both warm up first (the JIT's tiers
// take several seconds of load to settle; CPU per call falls by a third meanwhile).
//
// Each side is Node flags (`--a`, `--b`) and/or environment (`--a-env`, `--b-env`: K=V,K=V, e.g.
// BENCH_BUNDLE=off, BENCH_YOUNG_HOLD=off, BENCH_JOURNAL_SYNC=false; the gateway's own APIGPT_* variables
// are not read: bench/targets.js configures it).
import { killAll, rpc, startChild } from './children.js';
import { agentBody } from './agent-body.js';
import { chatBody, chatLoad, envOf } from './chat-load.js';
import { probe } from './probe.js';
import { median, takeTurns } from './turns.js';

const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`) || x === `--${name}`);
  if (!a) return dflt;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : true;
};
if (arg('help', false)) {
  console.log('node bench/ab.js [--a=FLAGS] [--b=FLAGS] [--a-env=K=V,...] [--b-env=K=V,...] [--stream] [--rounds=8] [--seconds=3] [--warmup=10] [--connections=50] [--sim="delay=2 chunks=20"] [--zh-kb=N] [--agent]   (--connections=1: the 1-conn undici probe, p50 and TTFB compared too)');
  process.exit(0);
}
const flags = (s) => String(s || '').split(' ').filter(Boolean);
const stream = arg('stream', false) === true;
const rounds = Number(arg('rounds', 8));
const seconds = Number(arg('seconds', 3));
const warmup = Number(arg('warmup', 10));
const connections = Number(arg('connections', 50));
const sides = { A: { flags: flags(arg('a', '')), env: envOf(arg('a-env', '')) }, B: { flags: flags(arg('b', '')), env: envOf(arg('b-env', '')) } };

try {
  const sim = await startChild('sim', {});
  // As the bench and `npm start` run the gateway (bench/README: MALLOC_MMAP_THRESHOLD_).
  const base = { BENCH_UPSTREAM: sim.info.url, MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072' };
  for (const s of Object.values(sides)) s.gw = await startChild('gateway', { ...base, ...s.env }, s.flags);
  // `--sim="delay=2 chunks=20"`: the simulator's directive (packages/simulator), e.g. chunks that
  // arrive apart, one read each, as a provider's tokens do.
  // `--zh-kb=N`: the prompt carries N KB of Chinese text (a pasted document, a long conversation),
  // which the gateway decodes as UTF-8 that is not ASCII; the simulator's reply quotes its start.
  const zh = Number(arg('zh-kb', 0)) > 0 ? ` ${'请把下面这段文字总结一下，并列出要点。'.repeat(Math.ceil((Number(arg('zh-kb', 0)) * 1024) / 57))}` : '';
  // `--agent`: a coding agent's 230 KB turn (bench/agent-body.js, the bench's agent-latency request).
  const body = arg('agent', false) === true ? agentBody('gpt-4o-mini') : chatBody(stream, `Hello there, how are you today?${zh}${arg('sim', '') ? ` [[sim ${arg('sim', '')}]]` : ''}`);
  // One connection: the bench's undici probe (µs resolution; autocannon's histogram has whole ms),
  // compared by its p50 and time to first byte as well as CPU.
  const one = async (gw, duration) => {
    const c0 = await rpc(gw, 'cpu');
    const url = new URL(gw.info.url);
    const r = await probe({ origin: url.origin, path: '/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.info.key}` }, body, durationMs: duration * 1000 });
    const c1 = await rpc(gw, 'cpu');
    if (r.errors) throw new Error(`${r.errors} failed calls: ${r.firstError}`);
    const n = r.requests;
    return { rps: r.rps, cpu: (c1.user + c1.system - c0.user - c0.system) / n, loop: ((c1.loopBusyMs - c0.loopBusyMs) * 1000) / n, p50: r.latency.p50, p99: r.latency.p99, ttfb: r.ttfb.p50 };
  };
  const run = async (gw, duration) => {
    if (connections === 1) return one(gw, duration);
    const c0 = await rpc(gw, 'cpu');
    const r = await chatLoad(gw, body, connections, duration);
    const c1 = await rpc(gw, 'cpu');
    if (r.non2xx || r.errors) throw new Error(`${r.non2xx} non-2xx answers, ${r.errors} errors`);
    const n = r.requests.total;
    return { rps: r.requests.average, cpu: (c1.user + c1.system - c0.user - c0.system) / n, loop: ((c1.loopBusyMs - c0.loopBusyMs) * 1000) / n, p50: r.latency.p50, p99: r.latency.p99 };
  };
  for (const s of Object.values(sides)) await run(s.gw, warmup);
  const res = await takeTurns(rounds, ['A', 'B'], (n) => run(sides[n].gw, seconds));
  console.log(`${stream ? 'streamed' : 'non-streamed'} calls, ${connections} connections, ${rounds} rounds of ${seconds} s each side after ${warmup} s of warm-up`);
  for (const n of ['A', 'B']) {
    const r = res[n];
    const s = sides[n];
    console.log(`${n} ${JSON.stringify({ flags: s.flags.join(' '), env: s.env })}`);
    console.log(`  req/s      ${r.map((x) => x.rps.toFixed(0)).join(' ')}  median ${median(r.map((x) => x.rps)).toFixed(0)}`);
    console.log(`  CPU µs/call ${r.map((x) => x.cpu.toFixed(0)).join(' ')}  median ${median(r.map((x) => x.cpu)).toFixed(0)}`);
    if (connections === 1) {
      console.log(`  p50 ms     ${r.map((x) => x.p50.toFixed(3)).join(' ')}  median ${median(r.map((x) => x.p50)).toFixed(3)}`);
      console.log(`  TTFB p50 ms ${r.map((x) => x.ttfb.toFixed(3)).join(' ')}  median ${median(r.map((x) => x.ttfb)).toFixed(3)}`);
      console.log(`  loop µs/call median ${median(r.map((x) => x.loop)).toFixed(0)}; p99 median ${median(r.map((x) => x.p99)).toFixed(3)} ms (undici probe)`);
    } else console.log(`  loop µs/call median ${median(r.map((x) => x.loop)).toFixed(0)}; latency p50 / p99 (ms, autocannon), medians ${median(r.map((x) => x.p50))} / ${median(r.map((x) => x.p99))}`);
  }
  const ratio = median(res.B.map((x) => x.cpu)) / median(res.A.map((x) => x.cpu));
  console.log(`B / A, median CPU per call: ${ratio.toFixed(3)}`);
  if (connections === 1) {
    // Paired by round (the machine's speed drifts between rounds, less within one).
    const d = (k) => median(res.B.map((b, i) => b[k] - res.A[i][k]));
    console.log(`B − A, median over rounds of the difference: p50 ${(d('p50') * 1000).toFixed(0)} µs, TTFB p50 ${(d('ttfb') * 1000).toFixed(0)} µs`);
  }
} finally {
  killAll();
}

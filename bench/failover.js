#!/usr/bin/env node
// Failover under load (issue 5). Three simulators behind the gateway as three channels of one model,
// loaded twice at 50 connections: once all healthy, once with the first channel failing 50% of its
// calls (HTTP 500, spread evenly). Reports what a caller sees: the error rate, and the latency the
// failures add (p50 / p99 against the healthy run). The gateway retries on another channel and the
// failing channel's circuit opens, so callers should see (almost) no errors.
//
//   node bench/failover.js [--duration=S] [--connections=N] [--rate=0.5]   (after npm run build)
import { writeFileSync, mkdirSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { killAll, rpc, startChild, stopChild } from './children.js';

const RESULTS_DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'results');
const PATH = '/v1/chat/completions';

function option(name, env, fallback) {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  const v = flag ? flag.split('=')[1] : process.env[env];
  const n = Number(v ?? fallback);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number`);
  return n;
}

async function run(label, rate, opts) {
  const sims = await startChild('sims', { BENCH_SIMS: '3', BENCH_FIRST_FAULT_RATE: String(rate) });
  const gateway = await startChild('gateway', { BENCH_UPSTREAM: sims.info.url });
  try {
    const headers = { authorization: `Bearer ${gateway.info.key}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello from the failover bench' }] });
    const load = (duration) => autocannon({ url: gateway.info.url + PATH, method: 'POST', headers, body, connections: opts.connections, duration, timeout: 10 });
    await load(1); // warm-up (also lets the failing channel's circuit find out)
    const r = await load(opts.duration);
    const perSim = (await rpc(sims, 'stats')).perSimulator;
    const total = r.requests.total + r.non2xx;
    const row = {
      run: label,
      failingShare: rate,
      rps: r.requests.average,
      requests: r.requests.total,
      callerErrors: r.non2xx + r.errors + r.timeouts,
      callerErrorRate: total ? (r.non2xx + r.errors + r.timeouts) / total : 0,
      latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, mean: r.latency.average },
      upstreamCallsPerSimulator: perSim,
    };
    const gw = await stopChild(gateway);
    row.requestLog = gw?.requestLogByStatus ?? null;
    return row;
  } finally {
    await stopChild(gateway).catch(() => {});
    await stopChild(sims).catch(() => {});
  }
}

async function main() {
  const opts = { duration: option('duration', 'BENCH_DURATION', 7), connections: option('connections', 'BENCH_CONNECTIONS', 50), rate: option('rate', 'BENCH_FAIL_RATE', 0.5) };
  const guard = setTimeout(() => {
    console.error('failover bench: giving up after 5 minutes');
    killAll();
    process.exit(1);
  }, 300_000);
  guard.unref();
  const load0 = loadavg();
  console.log(`\nAPIGPT failover bench — 3 channels, ${opts.connections} connections, ${opts.duration} s per run, load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  const healthy = await run('all healthy', 0, opts);
  const degraded = await run(`one channel failing ${Math.round(opts.rate * 100)}%`, opts.rate, opts);
  console.log('');
  console.log(`  ${'run'.padEnd(28)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'caller errors'.padStart(14)}  upstream calls per channel`);
  for (const r of [healthy, degraded])
    console.log(`  ${r.run.padEnd(28)} ${r.rps.toFixed(0).padStart(8)} ${String(r.latencyMs.p50).padStart(7)} ${String(r.latencyMs.p99).padStart(7)} ${`${r.callerErrors} (${(r.callerErrorRate * 100).toFixed(3)}%)`.padStart(14)}  ${r.upstreamCallsPerSimulator.join(' / ')}`);
  const added = { p50: degraded.latencyMs.p50 - healthy.latencyMs.p50, p99: degraded.latencyMs.p99 - healthy.latencyMs.p99, mean: degraded.latencyMs.mean - healthy.latencyMs.mean };
  console.log(`\n  caller-visible error rate with a failing channel: ${(degraded.callerErrorRate * 100).toFixed(3)}%`);
  console.log(`  latency added by the failures: p50 ${added.p50 >= 0 ? '+' : ''}${added.p50} ms, p99 ${added.p99 >= 0 ? '+' : ''}${added.p99} ms, mean ${added.mean >= 0 ? '+' : ''}${added.mean.toFixed(2)} ms (autocannon, whole-ms histogram)`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, 'failover.json');
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), cpus: cpus().length, loadavg: { start: load0, end: loadavg() }, options: opts, healthy, degraded, added }, null, 2) + '\n');
  console.log(`  wrote ${file}`);
  clearTimeout(guard);
}

process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`failover bench failed: ${err?.stack ?? err}`);
    killAll();
    process.exit(1);
  },
);

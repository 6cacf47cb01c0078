#!/usr/bin/env node
// APIGPT relay benchmark (issue 2). `npm run bench` builds, then runs this file.
//
// Three targets on loopback, each in its own child process (see README.md for why):
//   simulator  the upstream alone (zero latency)               packages/simulator startSimulator
//   bare       a pass-through node:http + undici proxy to it   bench/bare-proxy.js
//   gateway    the real gateway to it, with a real key,        apps/gateway startGateway
//              metering and the request log on
// The load generator (autocannon) and the 1-connection probe run here, in the parent.
//
// Options (flag or environment variable):
//   --duration=S      BENCH_DURATION      measured seconds per scenario and target (default 7)
//   --warmup=S        BENCH_WARMUP        warm-up seconds before each, discarded (default 3)
//   --connections=N   BENCH_CONNECTIONS   connections of the load scenarios (default 50)
//   --scenarios=LIST  BENCH_SCENARIOS     chat-load,stream-load,chat-latency,stream-latency or
//                                         a part of a name: chat, stream, load, latency (default all)
//   --targets=LIST    BENCH_TARGETS       simulator,bare,gateway (default all)
//   --chunks=N        BENCH_STREAM_CHUNKS content chunks per streamed reply (default 20)
//   --profile[=LIST]  BENCH_PROFILE       run these targets (default: gateway) under --cpu-prof and
//                                         print their top self-time functions at the end
//   --help
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { request } from 'undici';
import { probe } from './probe.js';
import { killAll, rpc, startChild, stopChild } from './children.js';
import { printProfileSummary, summariseProfile } from './profile-summary.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const RESULTS_DIR = join(HERE, 'results');
const MODEL = 'gpt-4o-mini';
const PATH = '/v1/chat/completions';

// ---------------------------------------------------------------------------------------------
// Options

const HELP = `usage: npm run bench [-- options]   (or node bench/run.js [options] after npm run build)
  --duration=S       measured seconds per scenario and target   (BENCH_DURATION, default 7)
  --warmup=S         discarded warm-up seconds before each      (BENCH_WARMUP, default 3)
  --connections=N    connections of the load scenarios          (BENCH_CONNECTIONS, default 50)
  --scenarios=LIST   chat-load,stream-load,chat-latency,stream-latency, or chat|stream|load|latency
                                                                (BENCH_SCENARIOS, default all)
  --targets=LIST     simulator,bare,gateway                     (BENCH_TARGETS, default all)
  --chunks=N         content chunks per streamed reply          (BENCH_STREAM_CHUNKS, default 20)
  --profile[=LIST]   --cpu-prof these targets (default gateway) and summarise (BENCH_PROFILE)`;

function parseOptions(argv, env) {
  const flags = {};
  for (const a of argv) {
    if (a === '--help' || a === '-h') {
      console.log(HELP);
      process.exit(0);
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}\n${HELP}`);
    flags[m[1]] = m[2] ?? 'true';
  }
  const known = ['duration', 'warmup', 'connections', 'scenarios', 'targets', 'chunks', 'profile'];
  for (const k of Object.keys(flags)) if (!known.includes(k)) throw new Error(`unknown option --${k}\n${HELP}`);
  const get = (k, e) => flags[k] ?? (env[e] !== undefined && env[e] !== '' ? env[e] : undefined);
  const num = (k, e, def, min, max) => {
    const raw = get(k, e);
    const v = raw === undefined ? def : Number(raw);
    if (!Number.isFinite(v) || v < min || v > max) throw new Error(`--${k} must be a number in [${min}, ${max}]`);
    return v;
  };
  const list = (raw) => (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const profileRaw = get('profile', 'BENCH_PROFILE');
  const profile = profileRaw === undefined || profileRaw === 'false' || profileRaw === '0' ? [] : profileRaw === 'true' || profileRaw === '1' ? ['gateway'] : list(profileRaw);
  const opts = {
    duration: num('duration', 'BENCH_DURATION', 7, 1, 120),
    warmup: num('warmup', 'BENCH_WARMUP', 3, 0, 30),
    connections: Math.floor(num('connections', 'BENCH_CONNECTIONS', 50, 1, 1000)),
    chunks: Math.floor(num('chunks', 'BENCH_STREAM_CHUNKS', 20, 1, 1000)),
    scenarios: list(get('scenarios', 'BENCH_SCENARIOS')),
    targets: list(get('targets', 'BENCH_TARGETS')),
    profile,
  };
  return opts;
}

const SCENARIOS = [
  { id: 'chat-load', stream: false, mode: 'load' },
  { id: 'stream-load', stream: true, mode: 'load' },
  { id: 'chat-latency', stream: false, mode: 'latency' },
  { id: 'stream-latency', stream: true, mode: 'latency' },
];
const TARGETS = [
  { id: 'simulator', role: 'sim', label: 'simulator' },
  { id: 'bare', role: 'bare', label: 'bare proxy' },
  { id: 'gateway', role: 'gateway', label: 'gateway' },
];

function select(all, wanted, what) {
  if (!wanted.length) return all;
  for (const w of wanted) if (!all.some((x) => x.id === w || x.id.split('-').includes(w))) throw new Error(`unknown ${what} "${w}" (have: ${all.map((x) => x.id).join(', ')})`);
  return all.filter((x) => wanted.some((w) => x.id === w || x.id.split('-').includes(w)));
}

// ---------------------------------------------------------------------------------------------
// Child processes

// ---------------------------------------------------------------------------------------------
// Requests

function requestFor(scenario, key) {
  const body = { model: MODEL, messages: [{ role: 'user', content: 'Hello there, how are you today?' }] };
  // The gateway always asks the provider for usage on streams (to meter them); the client asks for
  // it too, so every target moves the same bytes upstream and downstream.
  if (scenario.stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
  return {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  };
}

/** Checks a reply is what the simulator sends (so a fast 4xx never passes for throughput). */
function checkReply(stream, chunks) {
  return (status, text) => {
    if (status !== 200) throw new Error(`status ${status}: ${text.slice(0, 300)}`);
    if (!stream) {
      const j = JSON.parse(text);
      if (!j.choices?.[0]?.message?.content || !j.usage) throw new Error(`unexpected body: ${text.slice(0, 300)}`);
      return;
    }
    const events = text.split('\n').filter((l) => l.startsWith('data: '));
    if (events[events.length - 1] !== 'data: [DONE]') throw new Error(`stream did not end with [DONE]: ${text.slice(-300)}`);
    const content = events.filter((l) => l.includes('"content":"')).length;
    const usage = events.some((l) => l.includes('"usage":{'));
    if (content < chunks || !usage) throw new Error(`stream has ${content} content events (want >= ${chunks}), usage=${usage}`);
  };
}

async function verify(origin, scenario, key, chunks) {
  const { headers, body } = requestFor(scenario, key);
  const res = await request(origin + PATH, { method: 'POST', headers, body });
  const text = await res.body.text();
  checkReply(scenario.stream, chunks)(res.statusCode, text);
  return { bytes: Buffer.byteLength(text), events: text.split('\n').filter((l) => l.startsWith('data: ')).length };
}

async function cpuOf(handles) {
  const out = {};
  for (const h of handles) {
    const c = await rpc(h, 'cpu');
    out[h.role] = c.user + c.system;
    // The event loop's busy time: the main thread alone (the gateway's log writer has a thread of
    // its own, which process CPU includes), and what bounds a single-threaded server's req/s.
    if (c.loopBusyMs !== undefined) out[`${h.role}Loop`] = c.loopBusyMs * 1000;
  }
  const own = process.cpuUsage(); // this process: autocannon or the probe
  out.loadgen = own.user + own.system;
  return out;
}

async function runOne(scenario, target, origin, handles, key, opts) {
  const { headers, body } = requestFor(scenario, key);
  const ac = (duration) =>
    autocannon({ url: origin + PATH, method: 'POST', headers, body, connections: opts.connections, pipelining: 1, duration, timeout: 10 });
  const latencyProbe = (durationMs) => probe({ origin, path: PATH, headers, body, durationMs, check: checkReply(scenario.stream, opts.chunks) });

  if (opts.warmup > 0) {
    if (scenario.mode === 'load') await ac(opts.warmup);
    else await latencyProbe(opts.warmup * 1000);
  }
  const load1 = loadavg()[0];
  const cpu0 = await cpuOf(handles);
  const row = { scenario: scenario.id, target: target.id, mode: scenario.mode, stream: scenario.stream };
  if (scenario.mode === 'load') {
    const r = await ac(opts.duration);
    Object.assign(row, {
      connections: opts.connections,
      rps: r.requests.average,
      requests: r.requests.total,
      latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, mean: r.latency.average, max: r.latency.max },
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
    });
  } else {
    const r = await latencyProbe(opts.duration * 1000);
    Object.assign(row, {
      connections: 1,
      rps: r.rps,
      requests: r.requests,
      latencyMs: r.latency,
      ttfbMs: r.ttfb,
      errors: r.errors,
      firstError: r.firstError,
      timeouts: 0,
      non2xx: 0,
    });
  }
  const cpu1 = await cpuOf(handles);
  row.cpuUsPerRequest = {};
  for (const role of Object.keys(cpu1)) row.cpuUsPerRequest[role] = row.requests ? (cpu1[role] - cpu0[role]) / row.requests : null;
  row.loadavg1 = load1;
  return row;
}

// ---------------------------------------------------------------------------------------------
// Report

const f = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? '-' : Number(v).toFixed(d));

function printTable(rows) {
  const head = ['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'TTFB p50', 'TTFB p99', 'CPU us/req', 'loop us/req', 'loadgen us/req', 'errors'];
  const body = rows.map((r) => {
    const conns = r.mode === 'load' ? `${r.connections} conns` : '1 conn';
    const cpuRole = r.target === 'simulator' ? 'sim' : r.target === 'bare' ? 'bare' : 'gateway';
    const bad = r.errors + r.timeouts + r.non2xx;
    return [
      `${r.stream ? 'stream' : 'chat'} @ ${conns}`,
      r.target,
      f(r.rps, 0),
      f(r.latencyMs?.p50, r.mode === 'load' ? 0 : 3),
      f(r.latencyMs?.p99, r.mode === 'load' ? 0 : 3),
      r.ttfbMs ? f(r.ttfbMs.p50, 3) : '',
      r.ttfbMs ? f(r.ttfbMs.p99, 3) : '',
      f(r.cpuUsPerRequest?.[cpuRole], 0),
      f(r.cpuUsPerRequest?.[`${cpuRole}Loop`], 0),
      f(r.cpuUsPerRequest?.loadgen, 0),
      bad ? String(bad) : '0',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  let last = null;
  for (let i = 0; i < body.length; i++) {
    if (last && last !== rows[i].scenario) console.log('');
    last = rows[i].scenario;
    console.log(line(body[i]));
  }
}

function evaluate(rows) {
  const get = (scenario, target) => rows.find((r) => r.scenario === scenario && r.target === target);
  const ratios = [];
  const targets = [];
  for (const sc of SCENARIOS) {
    const g = get(sc.id, 'gateway');
    const b = get(sc.id, 'bare');
    if (!g || !b) continue;
    const entry = {
      scenario: sc.id,
      rps: g.rps / b.rps,
      p50: g.latencyMs.p50 / b.latencyMs.p50,
      p50DeltaMs: g.latencyMs.p50 - b.latencyMs.p50,
      // CPU time the front process spends per request: less sensitive to other load on the machine
      // than req/s, and independent of how the cores are shared between the three processes.
      cpuPerRequest: g.cpuUsPerRequest.gateway / b.cpuUsPerRequest.bare,
      loopPerRequest: g.cpuUsPerRequest.gatewayLoop / b.cpuUsPerRequest.bareLoop,
    };
    if (g.ttfbMs && b.ttfbMs) Object.assign(entry, { ttfbP50: g.ttfbMs.p50 / b.ttfbMs.p50, ttfbP50DeltaMs: g.ttfbMs.p50 - b.ttfbMs.p50 });
    ratios.push(entry);
    const clean = g.errors + g.timeouts + g.non2xx + b.errors + b.timeouts + b.non2xx === 0;
    if (sc.mode === 'load') {
      targets.push({ name: `${sc.stream ? 'streamed' : 'non-streamed'} req/s @ ${g.connections} conns: gateway >= 50% of bare proxy`, value: entry.rps, unit: 'ratio', threshold: 0.5, pass: clean && entry.rps >= 0.5, clean });
    } else {
      targets.push({ name: `${sc.stream ? 'streamed' : 'non-streamed'} p50 latency @ 1 conn: gateway within 0.5 ms of bare proxy`, value: entry.p50DeltaMs, unit: 'ms', threshold: 0.5, pass: clean && entry.p50DeltaMs <= 0.5, clean });
      if (sc.stream) targets.push({ name: 'streamed p50 TTFB @ 1 conn: gateway within 0.5 ms of bare proxy', value: entry.ttfbP50DeltaMs, unit: 'ms', threshold: 0.5, pass: clean && entry.ttfbP50DeltaMs <= 0.5, clean });
    }
  }
  return { ratios, targets };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const opts = parseOptions(process.argv.slice(2), process.env);
  const scenarios = select(SCENARIOS, opts.scenarios, 'scenario');
  const targets = select(TARGETS, opts.targets, 'target');
  for (const p of opts.profile) if (!TARGETS.some((t) => t.id === p)) throw new Error(`unknown --profile target "${p}"`);

  const runs = scenarios.length * targets.length;
  const expectS = runs * (opts.duration + opts.warmup) + 10;
  // Hard stop: whatever happens, this script ends and takes its children with it.
  const guard = setTimeout(() => {
    console.error(`bench: still running after ${Math.round((expectS * 2 + 60))} s, giving up`);
    killAll();
    process.exit(1);
  }, (expectS * 2 + 60) * 1000);
  guard.unref();

  const startedAt = new Date();
  const load0 = loadavg();
  console.log(`APIGPT relay bench — node ${process.version}, ${cpus().length} CPUs, load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`${scenarios.length} scenarios x ${targets.length} targets, ${opts.warmup} s warm-up + ${opts.duration} s each (~${Math.round(expectS)} s); load: ${opts.connections} connections (autocannon); latency: 1 connection (undici probe); streams: ${opts.chunks} chunks`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const profDir = join(RESULTS_DIR, 'profiles');
  const profArgs = (id) => (opts.profile.includes(id) ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${id}-${startedAt.getTime()}.cpuprofile`] : []);
  if (opts.profile.length) mkdirSync(profDir, { recursive: true });

  const needSim = true;
  const sim = needSim ? await startChild('sim', { BENCH_STREAM_CHUNKS: String(opts.chunks) }, profArgs('simulator')) : null;
  const upstream = sim.info.url;
  const bare = targets.some((t) => t.id === 'bare') ? await startChild('bare', { BENCH_UPSTREAM: upstream }, profArgs('bare')) : null;
  const gateway = targets.some((t) => t.id === 'gateway') ? await startChild('gateway', { BENCH_UPSTREAM: upstream }, profArgs('gateway')) : null;
  const key = gateway?.info.key ?? 'sk-bench-no-gateway';
  const fronts = { simulator: { origin: upstream, handles: [sim] }, bare: bare && { origin: bare.info.url, handles: [bare, sim] }, gateway: gateway && { origin: gateway.info.url, handles: [gateway, sim] } };
  console.log(`pids: simulator ${sim.child.pid} ${upstream}` + (bare ? `, bare ${bare.child.pid} ${bare.info.url}` : '') + (gateway ? `, gateway ${gateway.child.pid} ${gateway.info.url}` : ''));

  // One checked request of each shape per target before any load: a target that answers with an
  // error would otherwise post a flattering req/s.
  const shapes = {};
  for (const t of targets) {
    for (const sc of [SCENARIOS[0], SCENARIOS[1]]) shapes[`${t.id}/${sc.stream ? 'stream' : 'chat'}`] = await verify(fronts[t.id].origin, sc, key, opts.chunks);
  }

  const rows = [];
  for (const sc of scenarios) {
    for (const t of targets) {
      process.stdout.write(`  ${sc.id.padEnd(15)} ${t.label.padEnd(11)} ... `);
      const row = await runOne(sc, t, fronts[t.id].origin, fronts[t.id].handles, key, opts);
      rows.push(row);
      const bad = row.errors + row.timeouts + row.non2xx;
      console.log(`${f(row.rps, 0)} req/s, p50 ${f(row.latencyMs.p50, 3)} ms${row.ttfbMs ? `, TTFB p50 ${f(row.ttfbMs.p50, 3)} ms` : ''}${bad ? `, ${bad} errors/timeouts/non-2xx${row.firstError ? ` (${row.firstError})` : ''}` : ''}`);
    }
  }

  const simStats = await rpc(sim, 'stats');
  const gwStats = gateway ? await rpc(gateway, 'stats') : null;
  const profiled = [];
  for (const h of [gateway, bare, sim]) if (h) await stopChild(h);
  for (const id of opts.profile) {
    const files = readdirSync(profDir).filter((n) => n === `${id}-${startedAt.getTime()}.cpuprofile`);
    if (files.length) profiled.push(summariseProfile(join(profDir, files[0]), 25));
  }
  const load1 = loadavg();

  console.log(`\nResults (ms; load scenarios: autocannon, whole-ms latency histogram; 1-conn: undici probe, µs resolution)\n`);
  printTable(rows);
  const { ratios, targets: checks } = evaluate(rows);
  if (ratios.length) {
    console.log('\ngateway / bare proxy');
    for (const r of ratios) {
      const parts = [`req/s x${f(r.rps)}`, `p50 x${f(r.p50)} (${r.p50DeltaMs >= 0 ? '+' : ''}${f(r.p50DeltaMs, 3)} ms)`, `CPU/req x${f(r.cpuPerRequest)}`, `loop/req x${f(r.loopPerRequest)}`];
      if (r.ttfbP50 !== undefined) parts.push(`TTFB p50 x${f(r.ttfbP50)} (${r.ttfbP50DeltaMs >= 0 ? '+' : ''}${f(r.ttfbP50DeltaMs, 3)} ms)`);
      console.log(`  ${r.scenario.padEnd(15)} ${parts.join(', ')}`);
    }
  }
  if (checks.length) {
    console.log('\nTargets (informational)');
    for (const c of checks) {
      const v = c.unit === 'ratio' ? `${(c.value * 100).toFixed(0)}%` : `${c.value >= 0 ? '+' : ''}${c.value.toFixed(3)} ms`;
      console.log(`  ${c.pass ? 'PASS' : 'MISS'}  ${c.name}: ${v}${c.clean ? '' : ' (errors during the run)'}`);
    }
  }
  if (gwStats) {
    const sent = rows.filter((r) => r.target === 'gateway').reduce((n, r) => n + r.requests, 0);
    console.log(`\ngateway request log: ${gwStats.requestLogRows} rows written (${sent} measured requests + warm-ups; by status ${JSON.stringify(gwStats.requestLogByStatus)}; 499 = requests cut off when a run ended)`);
  }
  console.log(`simulator served ${simStats.simulatorRequests} requests in all`);
  console.log(`load average: ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at end (${cpus().length} CPUs; the bench itself keeps about 2 busy)`);
  for (const p of profiled) printProfileSummary(p);

  const out = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadavg: { start: load0, end: load1 },
    options: opts,
    topology: 'simulator, bare proxy and gateway each in its own child process; autocannon and the latency probe in the parent',
    request: { path: PATH, model: MODEL, streamChunks: opts.chunks, shapes },
    results: rows,
    ratios,
    targets: checks,
    gatewayRequestLog: gwStats,
    simulatorRequests: simStats.simulatorRequests,
    profiles: profiled,
  };
  const file = join(RESULTS_DIR, 'latest.json');
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
  clearTimeout(guard);
}

process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`\nbench failed: ${err?.stack ?? err}`);
    killAll();
    process.exit(1);
  },
);

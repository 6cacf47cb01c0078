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
// Options (flag or environment variable): see HELP below and README.md.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { request } from 'undici';
import { agentBody } from './agent-body.js';
import { probe } from './probe.js';
import { killAll, rpc, startChild, stopChild } from './children.js';
import { printProfileSummary, summariseProfile } from './profile-summary.js';
import { median, takeTurns } from './turns.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const RESULTS_DIR = join(HERE, 'results');
const MODEL = 'gpt-4o-mini';
const PATH = '/v1/chat/completions';

// ---------------------------------------------------------------------------------------------
// Options

const HELP = `usage: npm run bench [-- options]   (or node bench/run.js [options] after npm run build)
  --duration=S        measured seconds per scenario and target   (BENCH_DURATION, default 4)
  --warmup=S          discarded warm-up seconds before each      (BENCH_WARMUP, default 2)
  --connections=LIST  connections of the load scenarios          (BENCH_CONNECTIONS, default 50,500)
  --scenarios=LIST    chat-load, stream-load, chat-load-500, stream-load-500, chat-latency,
                      stream-latency, agent-latency, slow-streams, or a part:
                      chat|stream|load|latency|agent|slow
                                                                 (BENCH_SCENARIOS, default all)
  --targets=LIST      simulator,bare,gateway,gateway-pg,gateway-2w (BENCH_TARGETS, default all)
  --chunks=N          content chunks per streamed reply          (BENCH_STREAM_CHUNKS, default 20)
  --slow-streams=N    open slow streams of slow-streams (0: none) (BENCH_SLOW_STREAMS, default 1000)
  --slow-delay=MS     pause between a slow stream's chunks       (BENCH_SLOW_DELAY, default 100)
  --upstream-ms=MS    the upstream's pause before answering, in the latency scenarios
                      (a provider is never instant: shows what the gateway adds then)
                                                                 (BENCH_UPSTREAM_MS, default 0)
  --workers=N         processes of the gateway-2w target         (BENCH_WORKERS, default 2)
  --alternate=N       rounds in which the bare proxy and the gateway take turns under the first
                      load's connections (the headline req/s ratio; 0: none) (BENCH_ALTERNATE, default 6)
  --alternate-seconds=S  seconds per side and round                  (BENCH_ALTERNATE_SECONDS, default 3)
  --provider-ms=MS    after them, the 1-conn scenarios with the provider answering after MS, the
                      bare proxy and the gateway taking turns (0: none) (BENCH_PROVIDER_MS, default 20)
  --rest=S            idle seconds before the at-rest RSS reading (BENCH_REST, default 30; 0: none)
  --pg=URL|off        PostgreSQL of gateway-pg                   (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test)
  --redis=URL|off     Redis of gateway-pg and gateway-2w         (BENCH_REDIS_URL, default redis://127.0.0.1:6379)
  --profile[=LIST]    --cpu-prof these targets (default gateway) and summarise (BENCH_PROFILE)`;

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
  const known = ['duration', 'warmup', 'connections', 'scenarios', 'targets', 'chunks', 'profile', 'slow-streams', 'slow-delay', 'upstream-ms', 'workers', 'rest', 'pg', 'redis', 'alternate', 'alternate-seconds', 'provider-ms'];
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
  const connections = list(get('connections', 'BENCH_CONNECTIONS') ?? '50,500').map(Number);
  if (!connections.length || connections.some((c) => !Number.isInteger(c) || c < 1 || c > 5000)) throw new Error('--connections must list whole numbers in [1, 5000]');
  const url = (k, e, def) => {
    const v = get(k, e) ?? def;
    return v === 'off' || v === 'false' ? null : v;
  };
  return {
    duration: num('duration', 'BENCH_DURATION', 4, 1, 120),
    warmup: num('warmup', 'BENCH_WARMUP', 2, 0, 30),
    connections,
    chunks: Math.floor(num('chunks', 'BENCH_STREAM_CHUNKS', 20, 1, 1000)),
    slowStreams: Math.floor(num('slow-streams', 'BENCH_SLOW_STREAMS', 1000, 0, 20000)),
    slowDelayMs: Math.floor(num('slow-delay', 'BENCH_SLOW_DELAY', 100, 1, 10000)),
    upstreamMs: Math.floor(num('upstream-ms', 'BENCH_UPSTREAM_MS', 0, 0, 10000)),
    workers: Math.floor(num('workers', 'BENCH_WORKERS', 2, 1, 64)),
    alternate: Math.floor(num('alternate', 'BENCH_ALTERNATE', 6, 0, 100)),
    alternateSeconds: num('alternate-seconds', 'BENCH_ALTERNATE_SECONDS', 3, 1, 60),
    providerMs: Math.floor(num('provider-ms', 'BENCH_PROVIDER_MS', 20, 0, 10000)),
    restS: num('rest', 'BENCH_REST', 30, 0, 300),
    pg: url('pg', 'BENCH_DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/test'),
    redis: url('redis', 'BENCH_REDIS_URL', 'redis://127.0.0.1:6379'),
    scenarios: list(get('scenarios', 'BENCH_SCENARIOS')),
    targets: list(get('targets', 'BENCH_TARGETS')),
    profile,
  };
}

/** The 50- and 500-connection runs go to every target but the extra gateways get the first count only. */
const EXTRA = ['gateway-pg', 'gateway-2w'];
function scenariosFor(opts) {
  const out = [];
  for (const stream of [false, true])
    opts.connections.forEach((c, i) => out.push({ id: `${stream ? 'stream' : 'chat'}-load${i === 0 ? '' : `-${c}`}`, stream, mode: 'load', connections: c, targets: i === 0 ? null : ['simulator', 'bare', 'gateway'] }));
  out.push({ id: 'chat-latency', stream: false, mode: 'latency', targets: ['simulator', 'bare', 'gateway', 'gateway-pg', 'gateway-2w'] });
  out.push({ id: 'stream-latency', stream: true, mode: 'latency', targets: ['simulator', 'bare', 'gateway', 'gateway-pg', 'gateway-2w'] });
  // A coding agent's turn: the whole conversation and its tools in every request (bench/agent-body.js).
  out.push({ id: 'agent-latency', stream: false, mode: 'latency', agent: true, targets: ['simulator', 'bare', 'gateway'] });
  if (opts.slowStreams > 0) out.push({ id: 'slow-streams', stream: true, mode: 'slow', connections: opts.slowStreams, targets: ['bare', 'gateway'] });
  return out;
}
const TARGETS = [
  { id: 'simulator', role: 'sim', label: 'direct' },
  { id: 'bare', role: 'bare', label: 'bare proxy' },
  { id: 'gateway', role: 'gateway', label: 'gateway' },
  { id: 'gateway-pg', role: 'gateway', label: 'gw pg+redis' },
  { id: 'gateway-2w', role: 'cluster', label: 'gw 2 workers' },
];

function select(all, wanted, what) {
  if (!wanted.length) return all;
  for (const w of wanted) if (!all.some((x) => x.id === w || x.id.split('-').includes(w))) throw new Error(`unknown ${what} "${w}" (have: ${all.map((x) => x.id).join(', ')})`);
  return all.filter((x) => wanted.some((w) => x.id === w || x.id.split('-').includes(w)));
}

/** Whether something listens at a URL's host and port (PostgreSQL, Redis), within a second. */
function reachable(url) {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol.startsWith('redis') ? 6379 : 5432));
  return new Promise((resolve) => {
    const sock = connect({ host: u.hostname, port, timeout: 1000 });
    sock.once('connect', () => (sock.destroy(), resolve(true)));
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => (sock.destroy(), resolve(false)));
  });
}

// ---------------------------------------------------------------------------------------------
// Child processes

// ---------------------------------------------------------------------------------------------
// Requests

function requestFor(scenario, key, opts) {
  // Slow streams: the simulator pauses between chunks (its `[[sim ...]]` directive travels in the prompt).
  // A latency run may have the upstream think first (`--upstream-ms`, or the scenario's own
  // `thinkMs`: the provider-latency rounds), as a provider does: the gateway's work then runs between
  // idle pauses (colder caches), and work it does while the provider thinks costs the caller nothing.
  const thinkMs = scenario.thinkMs ?? (scenario.mode === 'latency' ? opts.upstreamMs : 0);
  const content =
    scenario.mode === 'slow'
      ? `Hello there [[sim delay=${opts.slowDelayMs} chunks=${opts.chunks}]]`
      : thinkMs > 0
        ? `Hello there, how are you today? [[sim ttft=${thinkMs}]]`
        : 'Hello there, how are you today?';
  if (scenario.agent) return { headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: agentBody(MODEL) };
  const body = { model: MODEL, messages: [{ role: 'user', content }] };
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
      // A call with tools may be answered with a tool call instead of text (the agent scenario).
      const m = j.choices?.[0]?.message;
      if (!(m?.content || m?.tool_calls?.length) || !j.usage) throw new Error(`unexpected body: ${text.slice(0, 300)}`);
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
  const { headers, body } = requestFor(scenario, key, {});
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

/** One autocannon run of a scenario's request against a front, as every load row and alternated round makes it. */
function load(scenario, origin, { headers, body }, duration) {
  return autocannon({ url: origin + PATH, method: 'POST', headers, body, connections: scenario.connections ?? 1, pipelining: 1, duration, timeout: scenario.mode === 'slow' ? 30 : 10 });
}

async function runOne(scenario, target, origin, handles, key, opts) {
  const call = requestFor(scenario, key, opts);
  const { headers, body } = call;
  const connections = scenario.connections ?? 1;
  const ac = (duration) => load(scenario, origin, call, duration);
  const latencyProbe = (durationMs) => probe({ origin, path: PATH, headers, body, durationMs, check: checkReply(scenario.stream, opts.chunks) });
  const front = handles[0];

  if (opts.warmup > 0 && scenario.mode !== 'slow') {
    if (scenario.mode === 'latency') await latencyProbe(opts.warmup * 1000);
    else await ac(opts.warmup);
  }
  const load1 = loadavg()[0];
  await rpc(front, 'mem'); // starts the peak afresh: the run's own
  if (scenario.mode === 'slow') await rpc(front, 'lagStart');
  const cpu0 = await cpuOf(handles);
  const row = { scenario: scenario.id, target: target.id, mode: scenario.mode, stream: scenario.stream, connections, ...(scenario.agent ? { agent: true } : {}) };
  if (scenario.mode === 'slow') Object.assign(row, { slowChunks: opts.chunks, slowDelayMs: opts.slowDelayMs });
  if (scenario.mode !== 'latency') {
    // A slow stream lasts chunks × delay: the run spans at least three of them, so every connection finishes some.
    const r = await ac(scenario.mode === 'slow' ? Math.max(opts.duration, Math.ceil((3 * opts.chunks * opts.slowDelayMs) / 1000) + 1) : opts.duration);
    Object.assign(row, {
      rps: r.requests.average,
      requests: r.requests.total,
      latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, p999: r.latency.p99_9, mean: r.latency.average, max: r.latency.max },
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
    });
  } else {
    const r = await latencyProbe(opts.duration * 1000);
    Object.assign(row, { rps: r.rps, requests: r.requests, latencyMs: r.latency, ttfbMs: r.ttfb, errors: r.errors, firstError: r.firstError, timeouts: 0, non2xx: 0 });
  }
  const cpu1 = await cpuOf(handles);
  if (scenario.mode === 'slow') row.lagMs = await rpc(front, 'lagStop');
  const mem = await rpc(front, 'mem');
  row.rssMB = { idle: mem.idle / 2 ** 20, peak: mem.peak / 2 ** 20 };
  row.cpuUsPerRequest = {};
  for (const role of Object.keys(cpu1)) row.cpuUsPerRequest[role] = row.requests ? (cpu1[role] - cpu0[role]) / row.requests : null;
  row.loadavg1 = load1;
  return row;
}

// ---------------------------------------------------------------------------------------------
// Report

const f = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? '-' : Number(v).toFixed(d));
/** A difference in ms with its sign, to the µs. */
const signed = (v) => `${v >= 0 ? '+' : ''}${f(v, 3)}`;
const roleOf = (target) => TARGETS.find((t) => t.id === target)?.role ?? target;

function printRows(head, body, rows) {
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

function printTable(rows) {
  const direct = (r) => rows.find((x) => x.scenario === r.scenario && x.target === 'simulator');
  const table = rows.filter((r) => r.mode !== 'slow');
  const head = ['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', '+p50 vs direct', 'TTFB p50', 'CPU us/req', 'loop us/req', 'RSS MB idle/peak', 'errors'];
  const body = table.map((r) => {
    const lat = r.mode === 'load' ? 0 : 3;
    const d = direct(r);
    const bad = r.errors + r.timeouts + r.non2xx;
    return [
      `${r.agent ? 'agent 230 KB' : r.stream ? 'stream' : 'chat'} @ ${r.mode === 'load' ? `${r.connections} conns` : '1 conn'}`,
      TARGETS.find((t) => t.id === r.target)?.label ?? r.target,
      f(r.rps, 0),
      f(r.latencyMs?.p50, lat),
      f(r.latencyMs?.p99, lat),
      f(r.latencyMs?.p999, lat),
      d && r.target !== 'simulator' ? `+${f(r.latencyMs.p50 - d.latencyMs.p50, lat)}` : '',
      r.ttfbMs ? f(r.ttfbMs.p50, 3) : '',
      f(r.cpuUsPerRequest?.[roleOf(r.target)], 0),
      f(r.cpuUsPerRequest?.[`${roleOf(r.target)}Loop`], 0),
      `${f(r.rssMB?.idle, 0)} / ${f(r.rssMB?.peak, 0)}`,
      bad ? String(bad) : '0',
    ];
  });
  printRows(head, body, table);
  const slow = rows.filter((r) => r.mode === 'slow');
  if (slow.length) {
    console.log(`\nslow streams (each ${slow[0].slowChunks} chunks ${slow[0].slowDelayMs} ms apart; this many open at once, each connection starting the next when one ends)`);
    printRows(
      ['scenario', 'target', 'open', 'streams/s', 'p50 ms', 'p99 ms', 'loop lag p50 ms', 'loop lag p99 ms', 'CPU us/stream', 'RSS MB idle/peak', 'errors'],
      slow.map((r) => [
        'slow streams',
        TARGETS.find((t) => t.id === r.target)?.label ?? r.target,
        String(r.connections),
        f(r.rps, 0),
        f(r.latencyMs?.p50, 0),
        f(r.latencyMs?.p99, 0),
        f(r.lagMs?.p50Ms, 1),
        f(r.lagMs?.p99Ms, 1),
        f(r.cpuUsPerRequest?.[roleOf(r.target)], 0),
        `${f(r.rssMB?.idle, 0)} / ${f(r.rssMB?.peak, 0)}`,
        String(r.errors + r.timeouts + r.non2xx),
      ]),
      slow,
    );
  }
}

/**
 * The headline ratio, measured so that the machine's drift falls on both sides (bench/turns.js): the
 * bare proxy's own req/s moved by up to 2× between runs a few minutes apart, so a gateway row and a
 * bare-proxy row measured one after the other can read 0.26× or 0.61× for the same code. Each
 * round's ratio compares two runs seconds apart; the median of the rounds is reported with their
 * range, and each side's medians. CPU per call is the front process's own (every thread), as in the
 * main table; each side is called as in its table row.
 */
async function alternate(scenario, fronts, opts) {
  const once = async (side) => {
    const front = fronts[side];
    const c0 = await cpuOf(front.handles);
    const r = await load(scenario, front.origin, requestFor(scenario, front.key, opts), opts.alternateSeconds);
    const c1 = await cpuOf(front.handles);
    const role = front.handles[0].role;
    return { rps: r.requests.average, requests: r.requests.total, cpu: r.requests.total ? (c1[role] - c0[role]) / r.requests.total : null, bad: r.errors + r.timeouts + r.non2xx };
  };
  const t = await turns(opts, once, { rps: (g, b) => g.rps / b.rps, cpu: (g, b) => g.cpu / b.cpu }, ['rps', 'cpu']);
  return { scenario: scenario.id, stream: scenario.stream, connections: scenario.connections, rounds: t.rounds, rps: t.rps, cpuPerRequest: t.cpu, bare: t.bare, gateway: t.gateway, clean: t.clean };
}

/**
 * The bare proxy and the gateway take `opts.alternate` turns at `once(side)`; each round compared by
 * `compare` (name → (gateway, bare) → number), each comparison's median and range, and each side's
 * medians of the `sided` fields.
 */
async function turns(opts, once, compare, sided) {
  const got = await takeTurns(opts.alternate, ['bare', 'gateway'], once);
  const rounds = got.bare.map((bare, i) => {
    const gateway = got.gateway[i];
    const round = { bare, gateway };
    for (const [name, f] of Object.entries(compare)) round[name] = f(gateway, bare);
    return round;
  });
  const out = { rounds, clean: rounds.every((r) => r.bare.bad + r.gateway.bad === 0) };
  for (const name of Object.keys(compare)) {
    const xs = rounds.map((r) => r[name]);
    out[name] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  }
  for (const side of ['bare', 'gateway']) out[side] = Object.fromEntries(sided.map((k) => [k, median(got[side].map((r) => r[k]))]));
  return out;
}

/**
 * One connection with a provider that takes `opts.providerMs` before it answers, the bare proxy and
 * the gateway taking turns (as `alternate`). The table's one-connection rows use an instant
 * upstream, where whatever the gateway must do before an answer completes (its charge made durable)
 * adds to the call; a provider that takes its time is what callers meet, and what other gateways'
 * published overheads are measured against (a mock with latency). The simulator's timer moves a
 * single run's p50 by ±0.5 ms, so each round's gateway − bare difference is taken, and their median.
 */
async function alternateLatency(scenario, fronts, opts) {
  const once = async (side) => {
    const { headers, body } = requestFor(scenario, fronts[side].key, opts);
    const r = await probe({ origin: fronts[side].origin, path: PATH, headers, body, durationMs: opts.alternateSeconds * 1000, check: checkReply(scenario.stream, opts.chunks) });
    return { p50: r.latency.p50, ttfb: r.ttfb.p50, requests: r.requests, bad: r.errors };
  };
  const t = await turns(opts, once, { p50DeltaMs: (g, b) => g.p50 - b.p50, ttfbDeltaMs: (g, b) => g.ttfb - b.ttfb }, ['p50', 'ttfb']);
  return { scenario: scenario.id, stream: scenario.stream, providerMs: scenario.thinkMs, rounds: t.rounds, p50DeltaMs: t.p50DeltaMs, ttfbDeltaMs: t.ttfbDeltaMs, bare: t.bare, gateway: t.gateway, clean: t.clean };
}

function evaluate(rows, alternated = []) {
  const get = (scenario, target) => rows.find((r) => r.scenario === scenario && r.target === target);
  const ratios = [];
  const targets = [];
  const clean = (...rs) => rs.every((r) => r.errors + r.timeouts + r.non2xx === 0);
  for (const r of rows) {
    if (r.target === 'simulator' || r.target === 'bare' || r.mode === 'slow') continue;
    const b = get(r.scenario, 'bare');
    if (!b) continue;
    const entry = {
      scenario: r.scenario,
      target: r.target,
      rps: r.rps / b.rps,
      p50: r.latencyMs.p50 / b.latencyMs.p50,
      p50DeltaMs: r.latencyMs.p50 - b.latencyMs.p50,
      // CPU time the front spends per request: less sensitive to other load on the machine than
      // req/s, and independent of how the cores are shared between the processes.
      cpuPerRequest: r.cpuUsPerRequest[roleOf(r.target)] / b.cpuUsPerRequest.bare,
      loopPerRequest: r.cpuUsPerRequest.gatewayLoop !== undefined ? r.cpuUsPerRequest.gatewayLoop / b.cpuUsPerRequest.bareLoop : null,
    };
    if (r.ttfbMs && b.ttfbMs) Object.assign(entry, { ttfbP50: r.ttfbMs.p50 / b.ttfbMs.p50, ttfbP50DeltaMs: r.ttfbMs.p50 - b.ttfbMs.p50 });
    ratios.push(entry);
    if (r.target !== 'gateway') continue;
    const ok = clean(r, b);
    const what = r.stream ? 'streamed' : 'non-streamed';
    if (r.mode === 'load' && r.connections === rows.find((x) => x.mode === 'load')?.connections) {
      // The alternated rounds' median when there are some (see `alternate`): the steadier figure.
      const alt = alternated.find((a) => a.scenario === r.scenario);
      const value = alt ? alt.rps.median : entry.rps;
      const okAlt = ok && (alt?.clean ?? true);
      targets.push({ name: `${what} req/s @ ${r.connections} conns: gateway >= 90% of bare proxy${alt ? ` (median of ${alt.rounds.length} alternated rounds)` : ''}`, value, unit: 'ratio', threshold: 0.9, pass: okAlt && value >= 0.9, clean: okAlt });
    }
    if (r.mode === 'latency' && !r.agent) {
      targets.push({ name: `${what} p50 latency @ 1 conn: gateway within 0.1 ms of bare proxy`, value: entry.p50DeltaMs, unit: 'ms', threshold: 0.1, pass: ok && entry.p50DeltaMs <= 0.1, clean: ok });
      if (r.stream) targets.push({ name: 'streamed p50 TTFB @ 1 conn: gateway within 0.1 ms of bare proxy', value: entry.ttfbP50DeltaMs, unit: 'ms', threshold: 0.1, pass: ok && entry.ttfbP50DeltaMs <= 0.1, clean: ok });
    }
  }
  const first = rows.find((r) => r.target === 'gateway');
  if (first?.rssMB) targets.push({ name: 'gateway idle RSS < 100 MB', value: first.rssMB.idle, unit: 'MB', threshold: 100, pass: first.rssMB.idle < 100, clean: true });
  const slow = get('slow-streams', 'gateway');
  if (slow) {
    const ok = clean(slow);
    targets.push({ name: `${slow.connections} open slow streams: gateway peak RSS < 200 MB`, value: slow.rssMB.peak, unit: 'MB', threshold: 200, pass: ok && slow.rssMB.peak < 200, clean: ok });
    // The bare proxy's own lag in the same run: on a machine whose cores the simulator and the load
    // generator already fill, the floor itself can miss the target, and the gateway's figure reads
    // against it.
    const bareLag = get('slow-streams', 'bare')?.lagMs?.p99Ms;
    targets.push({ name: `${slow.connections} open slow streams: gateway event-loop lag p99 < 20 ms`, value: slow.lagMs.p99Ms, unit: 'ms', threshold: 20, pass: ok && slow.lagMs.p99Ms < 20, clean: ok, ...(bareLag !== undefined ? { bare: bareLag } : {}) });
  }
  return { ratios, targets };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const opts = parseOptions(process.argv.slice(2), process.env);
  const scenarios = select(scenariosFor(opts), opts.scenarios, 'scenario');
  // Targets by their exact ids (`gateway` is not `gateway-pg`); scenarios also by a part of theirs.
  for (const w of opts.targets) if (!TARGETS.some((t) => t.id === w)) throw new Error(`unknown target "${w}" (have: ${TARGETS.map((t) => t.id).join(', ')})`);
  let targets = opts.targets.length ? TARGETS.filter((t) => opts.targets.includes(t.id)) : TARGETS;
  for (const p of opts.profile) if (!TARGETS.some((t) => t.id === p)) throw new Error(`unknown --profile target "${p}"`);
  // The PostgreSQL + Redis and the several-worker rows need those servers; without them the rows are left out (said below).
  const skipped = [];
  const pgOk = opts.pg && opts.redis && (await reachable(opts.pg)) && (await reachable(opts.redis));
  const redisOk = opts.redis && (await reachable(opts.redis));
  if (targets.some((t) => t.id === 'gateway-pg') && !pgOk) skipped.push(`gateway-pg: ${opts.pg && opts.redis ? `no PostgreSQL at ${opts.pg} or no Redis at ${opts.redis}` : '--pg or --redis is off'}`);
  if (targets.some((t) => t.id === 'gateway-2w') && !redisOk) skipped.push(`gateway-2w: ${opts.redis ? `no Redis at ${opts.redis}` : '--redis is off'} (several workers need it)`);
  targets = targets.filter((t) => (t.id !== 'gateway-pg' || pgOk) && (t.id !== 'gateway-2w' || redisOk));
  const runsOf = (sc) => targets.filter((t) => !sc.targets || sc.targets.includes(t.id));

  const runs = scenarios.reduce((n, sc) => n + runsOf(sc).length, 0);
  // The load scenarios at the first connection count, run again in alternated rounds when both the
  // bare proxy and the gateway are measured (see `alternate`).
  const headline = opts.alternate > 0 && targets.some((t) => t.id === 'bare') && targets.some((t) => t.id === 'gateway') ? scenarios.filter((x) => x.mode === 'load' && x.connections === opts.connections[0]) : [];
  // The one-connection scenarios again with a provider that takes its time, in alternated rounds (see `alternateLatency`).
  const slowProvider = opts.alternate > 0 && opts.providerMs > 0 && targets.some((t) => t.id === 'bare') && targets.some((t) => t.id === 'gateway') ? scenarios.filter((x) => x.mode === 'latency' && !x.agent).map((x) => ({ ...x, thinkMs: opts.providerMs })) : [];
  const expectS = runs * (opts.duration + opts.warmup) + 10 * targets.length + opts.restS + (headline.length + slowProvider.length) * opts.alternate * 2 * (opts.alternateSeconds + 1);
  // Hard stop: whatever happens, this script ends and takes its children with it.
  const guard = setTimeout(() => {
    console.error(`bench: still running after ${Math.round(expectS * 2 + 60)} s, giving up`);
    killAll();
    process.exit(1);
  }, (expectS * 2 + 60) * 1000);
  guard.unref();

  const startedAt = new Date();
  const load0 = loadavg();
  console.log(`APIGPT relay bench — node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`${runs} runs, ${opts.warmup} s warm-up + ${opts.duration} s each (~${Math.round(expectS)} s); load: ${opts.connections.join(' and ')} connections (autocannon); latency: 1 connection (undici probe${opts.upstreamMs ? `, the upstream answering after ${opts.upstreamMs} ms` : ''}); streams: ${opts.chunks} chunks${opts.slowStreams ? `; ${opts.slowStreams} slow streams (${opts.slowDelayMs} ms between chunks)` : ''}`);
  for (const s of skipped) console.log(`  skipped ${s}`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const profDir = join(RESULTS_DIR, 'profiles');
  // BENCH_GATEWAY_NODE_ARGS: Node/V8 flags for the one-process gateway targets (an A/B of a flag).
  const gwArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // The one-process gateway runs as `npm start` runs it (package.json): glibc's mmap threshold fixed
  // at 128 KiB (README, "Memory"). BENCH_MMAP_THRESHOLD=off measures glibc's default instead.
  const gwEnv = process.env.BENCH_MMAP_THRESHOLD === 'off' ? {} : { MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072' };
  const nodeArgs = (id) => [...(id.startsWith('gateway') ? gwArgs : []), ...(opts.profile.includes(id) ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${id}-${startedAt.getTime()}.cpuprofile`] : [])];
  if (opts.profile.length) mkdirSync(profDir, { recursive: true });

  const sim = await startChild('sim', { BENCH_STREAM_CHUNKS: String(opts.chunks) }, nodeArgs('simulator'));
  const upstream = sim.info.url;
  const has = (id) => targets.some((t) => t.id === id);
  // Each gateway row gets exactly its own stores: the SQLite one is told to use no PostgreSQL and no Redis.
  const noShared = { BENCH_DATABASE_URL: '', BENCH_REDIS_URL: '' };
  // A front's key: the gateway's bench user's; the bare proxy and the simulator take any.
  const NO_GATEWAY_KEY = 'sk-bench-no-gateway';
  const fronts = { simulator: { origin: upstream, handles: [sim], key: NO_GATEWAY_KEY } };
  const handles = { simulator: sim };
  const starts = [
    ['bare', () => startChild('bare', { BENCH_UPSTREAM: upstream }, nodeArgs('bare'))],
    ['gateway', () => startChild('gateway', { BENCH_UPSTREAM: upstream, ...noShared, ...gwEnv }, nodeArgs('gateway'))],
    ['gateway-pg', () => startChild('gateway', { BENCH_UPSTREAM: upstream, BENCH_DATABASE_URL: opts.pg, BENCH_REDIS_URL: opts.redis, ...gwEnv }, nodeArgs('gateway-pg'))],
    // The cluster's processes (primary and workers) take their flags from BENCH_CLUSTER_NODE_ARGS;
    // profiled, each writes its own file under one directory (Node names them by pid).
    ['gateway-2w', () => startChild('cluster', { BENCH_UPSTREAM: upstream, ...noShared, BENCH_REDIS_URL: opts.redis, BENCH_WORKERS: String(opts.workers), BENCH_CLUSTER_NODE_ARGS: [...gwArgs, ...(opts.profile.includes('gateway-2w') ? ['--cpu-prof', `--cpu-prof-dir=${join(profDir, `gateway-2w-${startedAt.getTime()}`)}`] : [])].join(' ') })],
  ];
  for (const [id, start] of starts) {
    if (!has(id)) continue;
    const h = await start();
    handles[id] = h;
    fronts[id] = { origin: h.info.url, handles: [h, sim], key: h.info.key ?? NO_GATEWAY_KEY };
  }
  console.log(`pids: ${Object.entries(handles).map(([id, h]) => `${id} ${h.child.pid}`).join(', ')}`);

  // One checked request of each shape per target before any load: a target that answers with an
  // error would otherwise post a flattering req/s.
  const shapes = {};
  for (const t of targets) {
    for (const stream of [false, true]) shapes[`${t.id}/${stream ? 'stream' : 'chat'}`] = await verify(fronts[t.id].origin, { stream }, fronts[t.id].key, opts.chunks);
  }

  // Resident memory at rest: "idle" is read the moment a target is ready, with its start's garbage
  // still in the heap; V8's memory reducer gives that back after some idle seconds, and what is left
  // is what `ps` shows of a gateway nobody calls.
  const restMB = {};
  if (opts.restS > 0) {
    await new Promise((r) => setTimeout(r, opts.restS * 1000));
    for (const t of targets) restMB[t.id] = (await rpc(handles[t.id], 'mem')).rss / 2 ** 20;
    console.log(`RSS at rest (after ${opts.restS} s idle): ${targets.map((t) => `${t.label} ${f(restMB[t.id], 0)} MB`).join(', ')}`);
  }

  const rows = [];
  for (const sc of scenarios) {
    for (const t of runsOf(sc)) {
      process.stdout.write(`  ${sc.id.padEnd(16)} ${t.label.padEnd(12)} ... `);
      const row = await runOne(sc, t, fronts[t.id].origin, fronts[t.id].handles, fronts[t.id].key, opts);
      rows.push(row);
      const bad = row.errors + row.timeouts + row.non2xx;
      console.log(`${f(row.rps, 0)} req/s, p50 ${f(row.latencyMs.p50, 3)} ms${row.ttfbMs ? `, TTFB p50 ${f(row.ttfbMs.p50, 3)} ms` : ''}${row.lagMs ? `, loop lag p99 ${f(row.lagMs.p99Ms, 1)} ms` : ''}, RSS peak ${f(row.rssMB.peak, 0)} MB${bad ? `, ${bad} errors/timeouts/non-2xx${row.firstError ? ` (${row.firstError})` : ''}` : ''}`);
    }
  }

  // The headline ratio again, the bare proxy and the gateway taking turns (see `alternate`).
  const alternated = [];
  for (const sc of headline) {
    process.stdout.write(`  ${sc.id.padEnd(16)} alternated   ... `);
    const a = await alternate(sc, fronts, opts);
    alternated.push(a);
    console.log(`gateway / bare req/s x${f(a.rps.median)} (rounds ${f(a.rps.min)}–${f(a.rps.max)}), CPU/req x${f(a.cpuPerRequest.median)}`);
  }

  const providerLatency = [];
  for (const sc of slowProvider) {
    process.stdout.write(`  ${sc.id.padEnd(16)} provider ${sc.thinkMs} ms, alternated ... `);
    const a = await alternateLatency(sc, fronts, opts);
    providerLatency.push(a);
    console.log(`gateway − bare p50 ${signed(a.p50DeltaMs.median)} ms, TTFB ${signed(a.ttfbDeltaMs.median)} ms`);
  }

  const simStats = await rpc(sim, 'stats');
  const gwStats = handles.gateway ? await rpc(handles.gateway, 'stats') : null;
  const profiled = [];
  for (const h of Object.values(handles).reverse()) await stopChild(h);
  for (const id of opts.profile) {
    const files = readdirSync(profDir).filter((n) => n === `${id}-${startedAt.getTime()}.cpuprofile`);
    if (files.length) profiled.push(summariseProfile(join(profDir, files[0]), 25));
    // A cluster: one profile per process (the primary's is nearly empty; the workers' are the load).
    const dir = join(profDir, `${id}-${startedAt.getTime()}`);
    if (existsSync(dir)) for (const n of readdirSync(dir).sort()) profiled.push(summariseProfile(join(dir, n), 25));
  }
  const load1 = loadavg();

  console.log(`\nResults (ms; load scenarios: autocannon, whole-ms latency histogram; 1-conn: undici probe, µs resolution; direct = the simulator itself)\n`);
  printTable(rows);
  const { ratios, targets: checks } = evaluate(rows, alternated);
  // The figure other gateways publish: the median of many single calls, minus the direct call's.
  const seq = ['chat-latency', 'stream-latency', 'agent-latency']
    .map((id) => [rows.find((r) => r.scenario === id && r.target === 'gateway'), rows.find((r) => r.scenario === id && r.target === 'simulator')])
    .filter(([g, d]) => g && d);
  if (seq.length)
    console.log(`\nsequential added latency (median of ${seq.map(([g]) => g.requests).join(' / ')} single calls, gateway minus direct): ${seq.map(([g, d]) => `${g.agent ? "a coding agent's 230 KB body" : g.stream ? 'streamed' : 'non-streamed'} +${f(g.latencyMs.p50 - d.latencyMs.p50, 3)} ms`).join(', ')}`);
  if (ratios.length) {
    console.log('\ngateway / bare proxy');
    for (const r of ratios) {
      const parts = [`req/s x${f(r.rps)}`, `p50 x${f(r.p50)} (${r.p50DeltaMs >= 0 ? '+' : ''}${f(r.p50DeltaMs, 3)} ms)`, `CPU/req x${f(r.cpuPerRequest)}`];
      if (r.loopPerRequest !== null) parts.push(`loop/req x${f(r.loopPerRequest)}`);
      if (r.ttfbP50 !== undefined) parts.push(`TTFB p50 x${f(r.ttfbP50)} (${r.ttfbP50DeltaMs >= 0 ? '+' : ''}${f(r.ttfbP50DeltaMs, 3)} ms)`);
      console.log(`  ${r.scenario.padEnd(16)} ${(TARGETS.find((t) => t.id === r.target)?.label ?? r.target).padEnd(12)} ${parts.join(', ')}`);
    }
  }
  if (alternated.length) {
    console.log(`\nalternated, gateway / bare proxy (${opts.alternate} rounds of ${opts.alternateSeconds} s a side, taking turns: the machine's drift falls on both; median, then the rounds' range)`);
    for (const a of alternated)
      console.log(`  ${a.scenario.padEnd(16)} req/s x${f(a.rps.median)} (${f(a.rps.min)}–${f(a.rps.max)}), CPU/req x${f(a.cpuPerRequest.median)} (${f(a.cpuPerRequest.min)}–${f(a.cpuPerRequest.max)}); bare ${f(a.bare.rps, 0)} req/s, ${f(a.bare.cpu, 0)} µs/req; gateway ${f(a.gateway.rps, 0)} req/s, ${f(a.gateway.cpu, 0)} µs/req${a.clean ? '' : ' (errors during the rounds)'}`);
  }
  if (providerLatency.length) {
    console.log(`\n1 connection, the provider answering after ${opts.providerMs} ms, alternated (${opts.alternate} rounds of ${opts.alternateSeconds} s a side; gateway − bare proxy per round: median, then the rounds' range)`);
    for (const a of providerLatency)
      console.log(`  ${a.scenario.padEnd(16)} p50 ${signed(a.p50DeltaMs.median)} ms (${signed(a.p50DeltaMs.min)} to ${signed(a.p50DeltaMs.max)}), TTFB ${signed(a.ttfbDeltaMs.median)} ms (${signed(a.ttfbDeltaMs.min)} to ${signed(a.ttfbDeltaMs.max)}); bare p50 ${f(a.bare.p50, 3)} ms, gateway p50 ${f(a.gateway.p50, 3)} ms${a.clean ? '' : ' (errors during the rounds)'}`);
  }
  if (checks.length) {
    console.log('\nTargets of issue 19 (informational)');
    for (const c of checks) {
      const v = c.unit === 'ratio' ? `${(c.value * 100).toFixed(0)}%` : c.unit === 'ms' ? `${c.value >= 0 && !c.name.includes('lag') ? '+' : ''}${c.value.toFixed(3)} ms` : `${c.value.toFixed(0)} ${c.unit}`;
      const floor = c.bare === undefined ? '' : ` (bare proxy in the same run: ${c.bare.toFixed(3)} ms${c.bare >= c.threshold ? ', itself over the target' : ''})`;
      console.log(`  ${c.pass ? 'PASS' : 'MISS'}  ${c.name}: ${v}${floor}${c.clean ? '' : ' (errors during the run)'}`);
    }
    if (restMB.gateway !== undefined) console.log(`  (gateway RSS at rest, after ${opts.restS} s idle: ${f(restMB.gateway, 0)} MB)`);
    for (const a of providerLatency) console.log(`  (${a.stream ? 'streamed' : 'non-streamed'} @ 1 conn with a ${a.providerMs} ms provider, alternated: p50 ${signed(a.p50DeltaMs.median)} ms${a.stream ? `, TTFB ${signed(a.ttfbDeltaMs.median)} ms` : ''} over the bare proxy)`);
  }
  if (gwStats) {
    const sent = rows.filter((r) => r.target === 'gateway').reduce((n, r) => n + r.requests, 0) + [...alternated, ...providerLatency].reduce((n, a) => n + a.rounds.reduce((m, r) => m + r.gateway.requests, 0), 0);
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
    options: { ...opts, pg: opts.pg && '(set)', redis: opts.redis && '(set)' },
    skipped,
    topology: 'simulator, bare proxy and each gateway in its own child process (gateway-2w: apigpt serve --workers N); autocannon and the latency probe in the parent',
    request: { path: PATH, model: MODEL, streamChunks: opts.chunks, shapes },
    results: rows,
    restRssMB: restMB,
    ratios,
    alternated,
    providerLatency,
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

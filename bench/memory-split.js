// Where a target's resident memory is, beyond V8's heap: `node bench/memory-split.js [gateway|bare]
// [--streams=1000] [--preload] [--flags="--max-semi-space-size=8"] [--env=K=V,...]` (after npm run build).
//
// `bench/heap-snapshot.js` shows what V8's heap holds; this shows the rest of the resident set. It
// starts the simulator and one target as the bench does, optionally loads it first as `npm run bench`
// does before its slow streams (`--preload`: 500 connections non-streamed, then streamed, 5 s each),
// opens `--streams` slow streams (20 chunks 100 ms apart, restarted as they end) and prints, at ready,
// after the preload and three times while the streams run:
//   - RSS, V8's heap spaces (committed; new and old space used / committed) and "not V8": RSS minus
//     every heap space's committed size (native allocations, the binary, other isolates);
//   - then, at the last moment, /proc/PID/smaps by kind of mapping: the node binary, the main malloc
//     arena ([heap]), V8's pages (256 KiB anonymous mappings), and the largest other anonymous
//     mappings (a thread's malloc arena is one, up to 64 MiB) with their resident size.
// Session 23 found this way that the SQLite writer thread's page cache held 16–21 MB under load
// (bench/RESULTS.md). Linux only (smaps); run it alone.
import { readFileSync, readdirSync } from 'node:fs';
import autocannon from 'autocannon';
import { envOf } from './chat-load.js';
import { killAll, rpc, startChild } from './children.js';

const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`) || x === `--${name}`);
  if (!a) return dflt;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : true;
};
const role = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'gateway';
const streams = Number(arg('streams', 1000));
const env = envOf(arg('env', ''));
const flags = String(arg('flags', '')).split(' ').filter(Boolean);
const MB = 2 ** 20;
const mb = (x) => (x / MB).toFixed(1);

/** Resident size by kind of mapping, from /proc/PID/smaps. */
function smaps(pid) {
  const maps = [];
  let cur = null;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      cur = { size: (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024, perm: head[3], name: head[4] || '[anon]', rssKiB: 0 };
      maps.push(cur);
    } else if (cur && line.startsWith('Rss:')) cur.rssKiB = Number(line.split(/\s+/)[1]);
  }
  const by = new Map();
  const add = (k, kib) => by.set(k, (by.get(k) ?? 0) + kib);
  const otherAnon = [];
  for (const m of maps) {
    if (m.name === '[anon]' && m.size === 256) add("V8's pages (256 KiB anonymous)", m.rssKiB);
    else if (m.name === '[anon]') otherAnon.push(m);
    else add(m.name, m.rssKiB);
  }
  otherAnon.sort((a, b) => b.rssKiB - a.rssKiB);
  add('other anonymous mappings', otherAnon.reduce((s, m) => s + m.rssKiB, 0));
  const lines = [...by].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, kib]) => `    ${(kib / 1024).toFixed(1).padStart(7)} MB  ${k}`);
  lines.push(`    largest other anonymous: ${otherAnon.slice(0, 4).map((m) => `${(m.rssKiB / 1024).toFixed(1)} of ${(m.size / 1024).toFixed(1)} MB`).join(', ')}`);
  lines.push(`    threads: ${readdirSync(`/proc/${pid}/task`).length}`);
  return lines.join('\n');
}

try {
  const sim = await startChild('sim', {});
  const target = await startChild(role, { BENCH_UPSTREAM: sim.info.url, MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072', ...env }, flags);
  const headers = { 'content-type': 'application/json', ...(target.info.key ? { authorization: `Bearer ${target.info.key}` } : {}) };
  const url = `${target.info.url}/v1/chat/completions`;
  const show = async (label) => {
    const { memory: m, spaces } = await rpc(target, 'heap');
    const committed = Object.values(spaces).reduce((s, x) => s + x.committedMB, 0);
    const sp = (k) => `${spaces[k].usedMB}/${spaces[k].committedMB}`;
    console.log(`${label.padEnd(18)} RSS ${mb(m.rss).padStart(6)} MB | V8 committed ${committed.toFixed(1).padStart(6)} (new ${sp('new_space')}, old ${sp('old_space')}) | not V8 ${(m.rss / MB - committed).toFixed(1).padStart(6)} MB`);
  };
  console.log(`${role}${flags.length ? ` ${flags.join(' ')}` : ''}${Object.keys(env).length ? ` ${JSON.stringify(env)}` : ''}`);
  await show('ready');
  if (arg('preload', false)) {
    const ask = (stream) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello there, how are you today?' }], ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) });
    for (const stream of [false, true]) await autocannon({ url, method: 'POST', headers, body: ask(stream), connections: 500, duration: 5 });
    await show('after preload');
  }
  await rpc(target, 'mem'); // the peak from here on
  const body = JSON.stringify({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Hello there [[sim delay=100 chunks=20]]' }] });
  const load = autocannon({ url, method: 'POST', headers, body, connections: streams, duration: 9, timeout: 30 });
  let last = '';
  for (const at of [3, 6, 8]) {
    await new Promise((r) => setTimeout(r, (at === 3 ? 3 : at === 6 ? 3 : 2) * 1000));
    await show(`${streams} streams, ${at} s`);
    if (at === 8) last = smaps(target.child.pid);
  }
  const r = await load;
  const { peak } = await rpc(target, 'mem');
  console.log(`resident by mapping (8 s):\n${last}`);
  console.log(`${r.requests.total} streams completed, ${r.non2xx} non-2xx; peak RSS with the streams ${mb(peak)} MB`);
} finally {
  killAll();
}

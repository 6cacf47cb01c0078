// Summarises a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time, and self time
// grouped by where the code lives (gateway source, each node_modules package, Node internals, GC).
// Positions in the gateway's dist/*.js are mapped back to src/*.ts through the build's source maps.
//
//   node bench/profile-summary.js <file.cpuprofile> [top=25]
import { readFileSync, existsSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { relative, resolve } from 'node:path';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const maps = new Map();

function sourceMapFor(file) {
  if (maps.has(file)) return maps.get(file);
  let map = null;
  try {
    if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
  } catch {
    map = null;
  }
  maps.set(file, map);
  return map;
}

/** "apps/gateway/src/relay/pipeline.ts:71" for repo code, "node_modules/fastify/lib/x.js:12" etc. */
function locate(cf) {
  const url = cf.url || '';
  if (!url) return { where: '', group: cf.functionName.startsWith('(') ? cf.functionName : '(native)' };
  if (url.startsWith('node:')) return { where: `${url}:${cf.lineNumber + 1}`, group: 'node internals' };
  let file = url;
  try {
    if (url.startsWith('file://')) file = fileURLToPath(url);
  } catch {
    /* keep url */
  }
  let where = `${relative(ROOT, file)}:${cf.lineNumber + 1}`;
  let group;
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = file.slice(nm + 'node_modules/'.length).split('/');
    group = `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  } else if (file.includes('/apps/gateway/')) group = 'gateway';
  else if (file.includes('/packages/simulator/')) group = 'simulator';
  else if (file.includes('/bench/')) group = 'bench';
  else group = 'other';
  const map = file.endsWith('.js') && !file.includes('node_modules') ? sourceMapFor(file) : null;
  if (map && cf.lineNumber >= 0) {
    const e = map.findEntry(cf.lineNumber, Math.max(0, cf.columnNumber));
    if (e && e.originalSource) {
      let src = e.originalSource;
      try {
        if (src.startsWith('file://')) src = fileURLToPath(src);
        else src = resolve(file, '..', src);
      } catch {
        /* keep */
      }
      where = `${relative(ROOT, src)}:${e.originalLine + 1}`;
    }
  }
  return { where, group };
}

export function summariseProfile(path, top = 25) {
  const prof = JSON.parse(readFileSync(path, 'utf8'));
  const self = new Map(); // node id -> microseconds
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  const byFn = new Map();
  const byGroup = new Map();
  // Each sample is also charged to the innermost frame of the target's own code on its stack (for
  // the gateway: apps/gateway/src), so time spent in kysely, SQLite or undici shows up under the
  // gateway line that called it.
  const parent = new Map();
  for (const node of prof.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const ownGroups = new Set(['gateway', 'bench', 'simulator']);
  const byOwn = new Map();
  const locCache = new Map();
  const loc = (node) => {
    let l = locCache.get(node.id);
    if (!l) locCache.set(node.id, (l = locate(node.callFrame)));
    return l;
  };
  let total = 0;
  let idle = 0;
  for (const node of prof.nodes) {
    const us = self.get(node.id) ?? 0;
    if (!us) continue;
    total += us;
    const cf = node.callFrame;
    if (cf.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const { where, group } = locate(cf);
    const name = cf.functionName || '(anonymous)';
    const k = `${name}\u0000${where}`;
    const cur = byFn.get(k) ?? { fn: name, where, group, us: 0 };
    cur.us += us;
    byFn.set(k, cur);
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
    let n = node;
    while (n && !ownGroups.has(loc(n).group)) n = byId.get(parent.get(n.id));
    const ownKey = n ? `${n.callFrame.functionName || '(anonymous)'}\u0000${loc(n).where}` : '(no own frame: server, framework and I/O callbacks)\u0000';
    const o = byOwn.get(ownKey) ?? { fn: n ? n.callFrame.functionName || '(anonymous)' : '(no own frame: http server, fastify, undici, I/O callbacks)', where: n ? loc(n).where : '', us: 0 };
    o.us += us;
    byOwn.set(ownKey, o);
  }
  const busy = total - idle;
  const pct = (us) => (busy ? (100 * us) / busy : 0);
  return {
    file: path,
    totalMs: total / 1000,
    idleMs: idle / 1000,
    busyMs: busy / 1000,
    groups: [...byGroup.entries()].sort((a, b) => b[1] - a[1]).map(([group, us]) => ({ group, ms: us / 1000, pctOfBusy: pct(us) })),
    byOwnCode: [...byOwn.values()].sort((a, b) => b.us - a.us).slice(0, top).map((f) => ({ fn: f.fn, where: f.where, ms: f.us / 1000, pctOfBusy: pct(f.us) })),
    top: [...byFn.values()].sort((a, b) => b.us - a.us).slice(0, top).map((f) => ({ fn: f.fn, where: f.where, group: f.group, ms: f.us / 1000, pctOfBusy: pct(f.us) })),
  };
}

/** With `calls` (the calls the profile covers), each line also says its µs per call. */
export function printProfileSummary(s, out = console.log, calls = 0) {
  const per = (ms) => (calls ? `  ${((ms * 1000) / calls).toFixed(1).padStart(6)} µs/call` : '');
  out(`\nCPU profile ${relative(process.cwd(), s.file)}: ${s.totalMs.toFixed(0)} ms sampled, ${s.busyMs.toFixed(0)} ms busy (${s.idleMs.toFixed(0)} ms idle)${calls ? `, ${calls} calls: ${((s.busyMs * 1000) / calls).toFixed(0)} µs busy per call` : ''}`);
  out('\n  self time by origin (% of busy):');
  for (const g of s.groups.slice(0, 14)) out(`    ${g.pctOfBusy.toFixed(1).padStart(5)}%  ${g.ms.toFixed(0).padStart(6)} ms${per(g.ms)}  ${g.group}`);
  out(`\n  top ${s.top.length} functions by self time (% of busy):`);
  for (const f of s.top) out(`    ${f.pctOfBusy.toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(6)} ms${per(f.ms)}  ${f.fn.padEnd(34).slice(0, 34)}  ${f.where}`);
  out(`\n  busy time charged to the innermost frame of the target's own code (self + what it called):`);
  for (const f of s.byOwnCode.slice(0, 15)) out(`    ${f.pctOfBusy.toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(6)} ms${per(f.ms)}  ${f.fn.padEnd(34).slice(0, 34)}  ${f.where}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/profile-summary.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  printProfileSummary(summariseProfile(file, Number(process.argv[3] ?? 25)));
}

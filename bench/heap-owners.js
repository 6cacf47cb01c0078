// Who holds one kind of object in a heap snapshot: `node bench/heap-owners.js FILE KIND [--top=N]`.
//
// `bench/heap-snapshot.js` says which kinds of objects a gateway's heap is made of; this says who
// keeps them. KIND is a kind as that summary prints it, `type:name` (`array:(object properties)`,
// `object:Buffer`, `concatenated string:(concatenated string)`…), or a bare type (`string`). For
// each object of that kind, its first strong retainer and that one's retainer make the group; groups
// are listed by self size. Then the largest objects of the kind, each with a few of its property
// names and the path of first retainers above it (seven levels). Session 19 found this way that
// zxcvbn's ranked dictionaries were 3.6 MB of an idle bench gateway (the bench signs a user up) and
// that most concatenated strings under 1,000 slow streams were undici's per-connection clients'
// (bench/RESULTS.md). Snapshots are large: give Node room (`node --max-old-space-size=6000`).
import { readFileSync } from 'node:fs';

const [file, kind] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!file || !kind) {
  console.log('node --max-old-space-size=6000 bench/heap-owners.js FILE.heapsnapshot "type:name" [--top=20]');
  process.exit(2);
}
const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 20);

const snap = JSON.parse(readFileSync(file, 'utf8'));
const meta = snap.snapshot.meta;
const [NF, EF] = [meta.node_fields.length, meta.edge_fields.length];
const [nodeTypes, edgeTypes] = [meta.node_types[0], meta.edge_types[0]];
const [iT, iN, iS, iE] = ['type', 'name', 'self_size', 'edge_count'].map((f) => meta.node_fields.indexOf(f));
const [eT, eN, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f));
const { nodes, edges, strings } = snap;
const count = nodes.length / NF;

// Edges are stored per node in node order: node i's start at the sum of the earlier counts.
const firstEdge = new Uint32Array(count + 1);
for (let i = 0, e = 0; i < count; i++) {
  firstEdge[i] = e;
  e += nodes[i * NF + iE] * EF;
}
firstEdge[count] = edges.length;

const typeOf = (i) => nodeTypes[nodes[i * NF + iT]];
const nameOf = (i) => String(strings[nodes[i * NF + iN]]);
const sizeOf = (i) => nodes[i * NF + iS];
const label = (i) => (i < 0 ? '(root)' : `${typeOf(i)}:${nameOf(i).slice(0, 60)}`);
const edgeName = (e) => {
  const t = edgeTypes[edges[e + eT]];
  return t === 'element' || t === 'hidden' ? `[${edges[e + eN]}]` : String(strings[edges[e + eN]]);
};

// The first strong retainer of every node, and the edge it holds it by.
const owner = new Int32Array(count).fill(-1);
const ownerEdge = new Int32Array(count).fill(-1);
for (let i = 0; i < count; i++) {
  for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += EF) {
    if (edgeTypes[edges[e + eT]] === 'weak') continue;
    const to = edges[e + eTo] / NF;
    if (owner[to] < 0) {
      owner[to] = i;
      ownerEdge[to] = e;
    }
  }
}

const matches = (i) => (kind.includes(':') ? `${typeOf(i)}:${nameOf(i)}` === kind : typeOf(i) === kind);
const found = [];
for (let i = 0; i < count; i++) if (matches(i)) found.push(i);
const total = found.reduce((n, i) => n + sizeOf(i), 0);
console.log(`${found.length} objects of ${kind}, ${(total / 1e6).toFixed(2)} MB self size`);

const groups = new Map();
for (const i of found) {
  const o = owner[i];
  const key = `${label(o)}${ownerEdge[i] >= 0 ? `.${edgeName(ownerEdge[i])}` : ''}  <-  ${o >= 0 ? label(owner[o]) : ''}`;
  const g = groups.get(key) ?? { n: 0, size: 0 };
  g.n++;
  g.size += sizeOf(i);
  groups.set(key, g);
}
console.log('\nby holder (first retainer . edge  <-  its retainer):');
for (const [key, g] of [...groups].sort((a, b) => b[1].size - a[1].size).slice(0, top)) console.log(`${(g.size / 1e6).toFixed(2).padStart(8)} MB ${String(g.n).padStart(7)}  ${key}`);

console.log('\nlargest:');
for (const i of found.sort((a, b) => sizeOf(b) - sizeOf(a)).slice(0, Math.min(top, 8))) {
  const holder = owner[i];
  const props = [];
  if (holder >= 0) for (let e = firstEdge[holder]; e < firstEdge[holder + 1] && props.length < 6; e += EF) if (edgeTypes[edges[e + eT]] === 'property') props.push(edgeName(e));
  const path = [];
  for (let cur = i, d = 0; d < 7 && owner[cur] >= 0; d++, cur = owner[cur]) path.push(`${label(owner[cur])}.${edgeName(ownerEdge[cur])}`);
  console.log(`${(sizeOf(i) / 1e3).toFixed(0).padStart(8)} KB  holder's properties: ${props.join(', ').slice(0, 160)}\n            ${path.join('  <-  ').slice(0, 600)}`);
}

/**
 * A reader of the Prometheus text format (version 0.0.4) for the tests: each sample line as its
 * metric name, labels and value, and the `# TYPE` of each family. Written from the format's
 * description, not from the gateway's code, so a test reads what a Prometheus server would.
 */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromText {
  samples: PromSample[];
  types: Map<string, string>;
  /** Samples of `name` whose labels include every given one. */
  find(name: string, labels?: Record<string, string>): PromSample[];
  /** The sum of those samples' values (0 when there is none). */
  sum(name: string, labels?: Record<string, string>): number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/g;

export function parseProm(text: string): PromText {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const t = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (t) types.set(t[1], t[2]);
      continue;
    }
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    // Prometheus reads values with Go's strconv.ParseFloat, which takes NaN in any case: prom-client
    // writes an empty event-loop histogram's mean as `Nan` (a scrape within 10 ms of the last one).
    if (Number.isNaN(value) && m[3].toLowerCase() !== 'nan') throw new Error(`not a value: ${line}`);
    samples.push({ name: m[1], labels, value });
  }
  const find = (name: string, labels: Record<string, string> = {}) => samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return { samples, types, find, sum: (name, labels) => find(name, labels).reduce((a, s) => a + s.value, 0) };
}

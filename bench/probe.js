// The 1-connection latency probe: one undici Client (one keep-alive socket, no pipelining), one
// request at a time, timed with process.hrtime (sub-microsecond). For each request it records
//   ttfb    : request sent -> first body chunk received
//   latency : request sent -> last body byte received
// autocannon is not used here because its latency histogram stores whole milliseconds, which
// cannot resolve the 0.5 ms targets.
import { Client } from 'undici';

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function summary(values) {
  const s = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of s) sum += v;
  return { p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), p999: percentile(s, 99.9), mean: s.length ? sum / s.length : null, max: s.length ? s[s.length - 1] : null };
}

/**
 * Runs requests back to back for `durationMs` (and at most `maxRequests`), then returns
 * { requests, rps, errors, latency: {p50,p90,p99,p999,mean,max}, ttfb: {...} } in milliseconds.
 * `check(status, bodyText)` may throw to flag a wrong answer (only called on the first request).
 */
export async function probe({ origin, path, headers, body, durationMs, maxRequests = 200_000, check }) {
  const client = new Client(origin, { pipelining: 1, keepAliveTimeout: 30_000 });
  const latency = [];
  const ttfb = [];
  let errors = 0;
  let firstError = null;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(durationMs * 1e6));
  try {
    for (let n = 0; n < maxRequests; n++) {
      const t0 = process.hrtime.bigint();
      if (t0 >= deadline) break;
      let tFirst = 0n;
      try {
        const res = await client.request({ path, method: 'POST', headers, body });
        let text = '';
        const keep = n === 0 && check;
        for await (const chunk of res.body) {
          if (tFirst === 0n) tFirst = process.hrtime.bigint();
          if (keep) text += chunk.toString('utf8');
        }
        const tEnd = process.hrtime.bigint();
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
        if (keep) check(res.statusCode, text);
        if (tFirst === 0n) tFirst = tEnd;
        latency.push(Number(tEnd - t0) / 1e6);
        ttfb.push(Number(tFirst - t0) / 1e6);
      } catch (err) {
        errors++;
        firstError ??= String(err?.message ?? err);
        if (errors > 100) break; // something is broken; don't spin
      }
    }
  } finally {
    await client.close().catch(() => {});
  }
  const elapsedS = Number(process.hrtime.bigint() - start) / 1e9;
  return { requests: latency.length, rps: latency.length / elapsedS, errors, firstError, latency: summary(latency), ttfb: summary(ttfb) };
}

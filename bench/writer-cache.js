// What the SQLite writer's page cache costs and buys: `node bench/writer-cache.js [--users=2000]
// [--rows=200000] [--batches=400] [--cache=2048,16000]` (after npm run build).
//
// The writer thread's connection keeps a 2 MiB page cache (apps/gateway/src/batch/writer-heap.ts)
// where the driver's default is 16 MiB. Its batches append, but the indexes that start with a user
// (request_logs_user_time, ledger_user_time) take one leaf per active user: with many users calling
// at once a small cache reads those leaves back from the operating system's cache. This fills one
// database with `--rows` request rows spread over `--users` users (the indexes then far larger than
// either cache), then, for each cache size in turn (alternated, twice), writes `--batches` batches of
// 50 rows from random users with the gateway's own `writeBatch` and reports the CPU and wall time per
// batch and the process's resident memory. Run alone: it measures one thread's work. With `--pg`
// the same batches go to a PostgreSQL schema of their own (dropped at the end) and `--cache` is
// ignored: the writer there is the gateway's own connection pool, and the time is round trips too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name, dflt) => process.argv.find((x) => x.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const users = Number(arg('users', 2000));
const fill = Number(arg('rows', 200_000));
const batches = Number(arg('batches', 400));
const pg = arg('pg', '');
const caches = pg ? [0] : String(arg('cache', '2048,16000')).split(',').map(Number);
const schema = `writer_cache_${process.pid}`;

const dist = (p) => new URL(`../apps/gateway/dist/${p}`, import.meta.url).href;
const { openDatabase } = await import(dist('storage/database.js'));
const { migrateToLatest } = await import(dist('storage/migrations.js'));
const { writeBatch } = await import(dist('batch/write.js'));
const { baseLog } = await import(dist('relay/call.js'));
const { newId } = await import(dist('core/ids.js'));

const dir = mkdtempSync(join(tmpdir(), 'apigpt-writer-cache-'));
const uid = (i) => `usr_${String(i).padStart(6, '0')}`;
function row(i) {
  const userId = uid(i);
  const base = baseLog({ key: { keyId: null, prefix: 'sk-bench', appId: 'app_bench', userId, group: 'default', role: 'user' }, dialect: 'openai', operation: 'chat', endpoint: '/v1/chat/completions', model: 'gpt-4o-mini', stream: false, clientIp: null });
  return { ...base, id: newId('req'), status: 200, cost: 1, prompt_tokens: 12, completion_tokens: 30 };
}
const batchOf = () => ({ rows: Array.from({ length: 50 }, () => row(Math.floor(Math.random() * users))) });

try {
  {
    const dbh = await openDatabase({ dataDir: dir, databaseUrl: pg || undefined, schema });
    await migrateToLatest(dbh.db);
    const now = Date.now();
    for (let i = 0; i < users; i += 500) {
      const ids = Array.from({ length: Math.min(500, users - i) }, (_, k) => uid(i + k));
      await dbh.db.insertInto('users').values(ids.map((id) => ({ id, email: `${id}@bench`, password_hash: 'h', display_name: null, role: 'user', group_name: 'default', status: 'active', created_at: now, updated_at: now }))).execute();
      await dbh.db.insertInto('accounts').values(ids.map((user_id) => ({ user_id, balance: 1e15, version: 0, low_balance_threshold: null, low_balance_notified: 0, rpm: null, tpm: null }))).execute();
    }
    const t0 = performance.now();
    for (let n = 0; n < fill; n += 50) await writeBatch(dbh.db, dbh.insertMany, batchOf());
    console.log(`filled: ${users} users, ${fill} request rows (and as many ledger rows) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await dbh.close();
  }
  const results = new Map(caches.map((c) => [c, []]));
  for (const round of [1, 2]) {
    for (const cache of round === 1 ? caches : [...caches].reverse()) {
      const dbh = await openDatabase({ dataDir: dir, databaseUrl: pg || undefined, schema, sqliteCacheKiB: cache || undefined });
      for (let i = 0; i < 50; i++) await writeBatch(dbh.db, dbh.insertMany, batchOf()); // the cache filled first
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < batches; i++) await writeBatch(dbh.db, dbh.insertMany, batchOf());
      const cpu = process.cpuUsage(cpu0);
      const wall = performance.now() - t0;
      results.get(cache).push({ cpuUs: (cpu.user + cpu.system) / batches, wallUs: (wall * 1000) / batches, rssMB: process.memoryUsage.rss() / 2 ** 20 });
      await dbh.close();
    }
  }
  console.log(`${batches} batches of 50 rows from ${users} users, per batch (two alternated rounds):`);
  for (const [cache, rs] of results) console.log(`  ${pg ? 'PostgreSQL' : `cache ${cache} KiB`}: CPU ${rs.map((r) => r.cpuUs.toFixed(0)).join(' / ')} µs, wall ${rs.map((r) => r.wallUs.toFixed(0)).join(' / ')} µs, RSS after ${rs.map((r) => r.rssMB.toFixed(0)).join(' / ')} MB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (pg) {
    const { default: pgLib } = await import('pg');
    const c = new pgLib.Client({ connectionString: pg });
    await c.connect();
    await c.query(`drop schema if exists "${schema}" cascade`).finally(() => c.end());
  }
}

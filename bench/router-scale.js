// What routing one call costs as the channel table grows: `node bench/router-scale.js [--channels=300] [--root=DIR]`.
//
// Every relayed call asks the router which channels serve its (model, group, operation). This fills
// a fresh SQLite data folder with `--channels` openai-compatible channels of 20 models each (model
// names overlap across channels, three priority tiers), then times 100,000 `Router.routes()` calls
// over 50 of the models after 20,000 of warm-up, and prints CPU per call. `--root=DIR` runs another
// checkout's built gateway (`DIR/apps/gateway/dist/`), to compare two commits (bench/RESULTS.md,
// session 20: 300 channels, 18.7 µs per call scanning every channel, 2.2 µs with the index).
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (name, dflt) => process.argv.find((x) => x.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const CHANNELS = Number(arg('channels', 300));
const MODELS = 20;
const root = pathToFileURL(`${resolve(arg('root', new URL('..', import.meta.url).pathname))}/`);
const dist = (p) => import(new URL(`apps/gateway/dist/${p}`, root).href);

const { openDatabase } = await dist('storage/database.js');
const { migrateToLatest } = await dist('storage/migrations.js');
const { ChannelStore } = await dist('channels/channels.js');
const { SecretBox } = await dist('core/crypto.js');
const { Router } = await dist('relay/router.js');

const dir = mkdtempSync(join(tmpdir(), 'apigpt-router-scale-'));
const dbh = await openDatabase({ dataDir: dir });
try {
  await migrateToLatest(dbh.db);
  const store = new ChannelStore(dbh.db, new SecretBox(randomBytes(32)), dbh.changeToken);
  for (let c = 0; c < CHANNELS; c++) {
    const models = Array.from({ length: MODELS }, (_, m) => `model-${(c * 7 + m) % 400}`);
    await store.create({ provider: 'openai-compatible', name: `c${c}`, baseUrl: 'http://127.0.0.1:9/v1', models, priority: c % 3 });
  }
  const router = new Router(store);
  const asked = Array.from({ length: 50 }, (_, i) => (CHANNELS === 1 ? `model-${i % MODELS}` : `model-${i * 7}`));
  for (let i = 0; i < 20_000; i++) await router.routes(asked[i % asked.length], 'default', 'chat');
  const n = 100_000;
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await router.routes(asked[i % asked.length], 'default', 'chat');
  const u = process.cpuUsage(t0);
  console.log(`${CHANNELS} channels x ${MODELS} models: ${((u.user + u.system) / n).toFixed(2)} µs CPU per routes() call`);
} finally {
  await dbh.close();
  rmSync(dir, { recursive: true, force: true });
}

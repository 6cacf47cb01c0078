// The relay's key cache: exact (see change-counters), and one lookup for calls that arrive together.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '../../src/accounts/users.js';
import { createApp } from '../../src/apps/apps.js';
import { createKey, KeyResolver, revokeKey } from '../../src/apps/keys.js';
import { openDatabase, type DatabaseHandle, type Db } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrations.js';

describe('key cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-keys-'));
  let dbh: DatabaseHandle;
  let lookups = 0;
  // The resolver's database, counting the queries it sends (its lookup is a precompiled query).
  const counted = (db: Db): Db =>
    new Proxy(db, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (prop === 'executeQuery') lookups++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  beforeAll(async () => {
    dbh = await openDatabase({ dataDir: dir });
    await migrateToLatest(dbh.db);
  });
  afterAll(async () => {
    await dbh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('calls that arrive together share one lookup; a hit costs none; a revocation is seen on the next call', async () => {
    const user = await createUser(dbh.db, { email: 'k@x.y', password: 'password-123' });
    const app = await createApp(dbh.db, user.id, { name: 'a' });
    const { key, record } = await createKey(dbh.db, user.id, app.id);
    const keys = new KeyResolver(counted(dbh.db), dbh.changeToken);
    const first = await Promise.all(Array.from({ length: 20 }, () => keys.resolve(key)));
    expect(first.every((c) => c?.keyId === record.id)).toBe(true);
    expect(lookups).toBe(1);
    await keys.resolve(key);
    expect(lookups).toBe(1);
    await revokeKey(dbh.db, user.id, record.id);
    expect(await keys.resolve(key)).toBeUndefined();
    expect(lookups).toBe(2);
  });
});

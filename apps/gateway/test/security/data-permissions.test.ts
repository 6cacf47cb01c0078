/**
 * The SQLite database (with its -wal and -shm files) holds password hashes and sealed secrets, the
 * master key file unseals them: the data folder is 700 and those files 600, also when an older
 * version left them readable by everyone.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../harness.js';

const mode = (p: string) => statSync(p).mode & 0o777;

describe('data folder permissions (SQLite)', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a new data folder is 700; apigpt.db, -wal, -shm and master.key are 600', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'apigpt-perm-'));
    dirs.push(parent);
    const dataDir = join(parent, 'data');
    // No APIGPT_SECRET: the master key file is made in the data folder.
    const t = await startTestGateway({ config: { dataDir, secret: undefined } });
    try {
      await t.signup(); // a write, so the WAL and shared-memory files exist
      expect(mode(dataDir).toString(8)).toBe('700');
      const files = readdirSync(dataDir).filter((f) => /^apigpt\.db(-wal|-shm)?$|^master\.key$/.test(f));
      expect(files.sort()).toEqual(['apigpt.db', 'apigpt.db-shm', 'apigpt.db-wal', 'master.key']);
      for (const f of files) expect(`${f} ${mode(join(dataDir, f)).toString(8)}`).toBe(`${f} 600`);
    } finally {
      await t.close();
    }
  });

  it('a data folder and database left world-readable are tightened at the next start', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'apigpt-perm-'));
    dirs.push(parent);
    const dataDir = join(parent, 'data');
    const first = await startTestGateway({ config: { dataDir, secret: 'a-fixed-secret-for-this-test' } });
    await first.signup();
    await first.gw.close();
    await first.sim.close();
    chmodSync(dataDir, 0o755);
    for (const f of readdirSync(dataDir)) if (f.startsWith('apigpt.db')) chmodSync(join(dataDir, f), 0o644);
    const second = await startTestGateway({ config: { dataDir, secret: 'a-fixed-secret-for-this-test' } });
    try {
      await second.signup();
      expect(mode(dataDir).toString(8)).toBe('700');
      for (const f of readdirSync(dataDir).filter((f) => f.startsWith('apigpt.db'))) expect(`${f} ${mode(join(dataDir, f)).toString(8)}`).toBe(`${f} 600`);
    } finally {
      await second.close();
    }
  });
});

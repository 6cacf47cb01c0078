// The write-ahead journal of charged calls (batch/journal.ts): how its file is opened decides
// whether a call's charge is on the device when its answer completes.
import { afterAll, describe, expect, it } from 'vitest';
import { constants, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, orphanJournals } from '../../src/batch/journal.js';
import { eventually } from '../eventually.js';
import type { RequestLogRow } from '../../src/batch/types.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The open flags (octal in /proc/self/fdinfo) of this process's descriptors on files under dir. */
function openFlags(dir: string): number[] {
  const out: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (!target.startsWith(dir + '/') || !target.endsWith('.jsonl')) continue;
    const line = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').find((l) => l.startsWith('flags:'))!;
    out.push(parseInt(line.split(/\s+/)[1], 8));
  }
  return out;
}

const row = (id: string) => ({ id, user_id: 'usr_1', status: 200, cost: 7 }) as unknown as RequestLogRow;

/** The ids of a journal file's rows: its lines up to the zeros it was prepared with. */
const idsIn = (file: string) =>
  readFileSync(file, 'utf8')
    .replace(/\0+$/, '')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).id);

describe('journal', () => {
  it('with sync (the default) writes each group with O_DSYNC: the row is on the device when append resolves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-journal-'));
    dirs.push(dir);
    const j = await Journal.open({ dir, owner: 'o1', sync: true });
    // Two descriptors on the file: with O_DSYNC for intents and rows without one, and without it for
    // charge rows after a durable intent (deferred mode, below).
    const flags = openFlags(dir).sort((a, b) => (a & constants.O_DSYNC) - (b & constants.O_DSYNC));
    expect(flags.map((f) => f & constants.O_DSYNC)).toEqual([0, constants.O_DSYNC]);
    // Rows are written in place into a file already zero-filled to its size, never appended.
    expect(flags.map((f) => f & constants.O_APPEND)).toEqual([0, 0]);
    expect(statSync(join(dir, 'o1.1.jsonl')).size).toBe(256 * 1024);
    await Promise.all([j.append(row('req_1')), j.append(row('req_2'))]);
    expect(idsIn(join(dir, 'o1.1.jsonl'))).toEqual(['req_1', 'req_2']);
    expect(statSync(join(dir, 'o1.1.jsonl')).size).toBe(256 * 1024);
    // The process "dies" here (no close): the next start finds both rows to replay.
    const orphans = (await orphanJournals(dir)).filter((o) => o.owner === 'o1');
    expect(orphans).toEqual([]); // still live in this process
    await j.close();
    const after = await orphanJournals(dir);
    expect(after.map((o) => o.rows.map((r) => r.id))).toEqual([['req_1', 'req_2']]);
  });

  it("a lock from an earlier boot of the machine is a dead process's, even when its pid is alive now", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-journal-'));
    dirs.push(dir);
    const j = await Journal.open({ dir, owner: 'b1', sync: true });
    await j.append(row('req_b1'));
    await j.close(); // not committed: the file and the lock stay
    const lockFile = join(dir, 'b1.lock');
    const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
    expect(lock.boot).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    // The pid now belongs to a live process (this test's parent): on this boot, the journal is its.
    writeFileSync(lockFile, JSON.stringify({ ...lock, pid: process.ppid }));
    expect(await orphanJournals(dir)).toEqual([]);
    // A lock written before the boot id was recorded: the same.
    writeFileSync(lockFile, JSON.stringify({ ...lock, pid: process.ppid, boot: undefined }));
    expect(await orphanJournals(dir)).toEqual([]);
    // Written on an earlier boot: that process is gone, and its row is read back.
    writeFileSync(lockFile, JSON.stringify({ ...lock, pid: process.ppid, boot: 'an-earlier-boot' }));
    expect((await orphanJournals(dir)).map((o) => o.rows.map((r) => r.id))).toEqual([['req_b1']]);
  });

  it('with sync off the file is opened without O_DSYNC', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-journal-'));
    dirs.push(dir);
    const j = await Journal.open({ dir, owner: 'o2', sync: false });
    const flags = openFlags(dir);
    expect(flags).toHaveLength(1);
    expect(flags[0] & constants.O_DSYNC).toBe(0);
    await j.append(row('req_3'));
    j.committed(['req_3']);
    await j.close();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('journal files: prepared ahead, filled in place', () => {
  it('rows fill prepared files of the set size in order, and a stopped process\'s rows are all read back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-journal-'));
    dirs.push(dir);
    // ~45-byte rows in 1 KiB files: the first file is 1 KiB too (never larger than the set size).
    const j = await Journal.open({ dir, owner: 'r1', sync: true, rotateBytes: 1024 });
    const ids = Array.from({ length: 100 }, (_, i) => `req_${String(i).padStart(3, '0')}`);
    // In waves, so some rows go in groups and files fill part-way before the next one.
    for (let i = 0; i < ids.length; i += 7) await Promise.all(ids.slice(i, i + 7).map((id) => j.append(row(id))));
    const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
    expect(files.length).toBeGreaterThan(4);
    // Every file keeps its prepared size: no row write grew one.
    for (const f of files) expect(statSync(join(dir, f)).size).toBe(1024);
    await j.close();
    const [orphan] = await orphanJournals(dir);
    expect(orphan.rows.map((r) => r.id)).toEqual(ids);
  });

  it('once the database has every row, past files are deleted as their last row is committed, and close leaves nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-journal-'));
    dirs.push(dir);
    const j = await Journal.open({ dir, owner: 'r2', sync: false, rotateBytes: 1024 });
    const ids = Array.from({ length: 120 }, (_, i) => `req_${String(i).padStart(3, '0')}`);
    // Groups that cross file ends, each committed (as the database takes batches) a wave later.
    let previous: string[] = [];
    for (let i = 0; i < ids.length; i += 9) {
      const wave = ids.slice(i, i + 9);
      const written = Promise.all(wave.map((id) => j.append(row(id))));
      j.committed(previous);
      await written;
      previous = wave;
    }
    j.committed(previous);
    expect(j.pending).toBe(0);
    // The file being written, and the next one prepared: no past file is left behind.
    await eventually(() => expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl')).length).toBeLessThanOrEqual(2));
    await j.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a row counted in one file but written into the next is kept until the database has it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-journal-'));
    dirs.push(dir);
    const lineLength = JSON.stringify(row('req_00')).length + 1;
    // Nine rows fit a file; the tenth, appended while the first file was current, goes into the second.
    const j = await Journal.open({ dir, owner: 'r3', sync: false, rotateBytes: 9 * lineLength + Math.floor(lineLength / 2) });
    const ids = Array.from({ length: 30 }, (_, i) => `req_${String(i).padStart(2, '0')}`);
    for (const id of ids.slice(0, 10)) await j.append(row(id));
    j.committed(ids.slice(0, 9));
    // The second file fills up and the third starts; every row but req_09 reaches the database.
    for (const id of ids.slice(10)) await j.append(row(id));
    j.committed(ids.slice(10));
    expect(j.pending).toBe(1);
    // The first and third files go (all their rows are in); the second stays, for req_09.
    await eventually(() => expect(readdirSync(dir).filter((f) => /^r3\.[123]\.jsonl$/.test(f))).toEqual(['r3.2.jsonl']));
    expect(idsIn(join(dir, 'r3.2.jsonl'))).toEqual(['req_09', ...ids.slice(10, 18)]);
    await j.close();
    // What a restart would replay and find missing from the database: req_09.
    const [orphan] = await orphanJournals(dir);
    const committed = new Set([...ids.slice(0, 9), ...ids.slice(10)]);
    expect(orphan.rows.map((r) => r.id).filter((id) => !committed.has(id))).toEqual(['req_09']);
  });

  it('a reader skips a torn line and the zeros after rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-journal-'));
    dirs.push(dir);
    const line = (id: string) => JSON.stringify(row(id)) + '\n';
    // A row, a write torn part-way (its range left partly zeros), the next write led by a newline, zeros.
    const text = line('req_x') + line('req_torn').slice(0, 12) + '\0'.repeat(20) + '\n' + line('req_y') + '\0'.repeat(300);
    writeFileSync(join(dir, 'gone.1.jsonl'), text);
    const [orphan] = await orphanJournals(dir);
    expect(orphan.rows.map((r) => r.id)).toEqual(['req_x', 'req_y']);
  });
});

describe('journal: rows written on the calling thread when nothing else waits', () => {
  const open = async (owner: string, o: { sync?: boolean; inlineSlowMs?: number; busyInlineMaxUs?: number } = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-journal-'));
    dirs.push(dir);
    const j = await Journal.open({
      dir,
      owner,
      sync: o.sync ?? true,
      ...(o.inlineSlowMs !== undefined ? { inlineSlowMs: o.inlineSlowMs } : {}),
      ...(o.busyInlineMaxUs !== undefined ? { busyInlineMaxUs: o.busyInlineMaxUs } : {}),
    });
    const rows = () => idsIn(join(dir, `${owner}.1.jsonl`));
    return { j, rows };
  };

  it('a row appended while the gateway is quiet is written on the event loop, after I/O this turn started', async () => {
    const { j, rows } = await open('i1');
    j.inlineWhen(() => true);
    // A settlement sends its Redis command, then journals its row: ioredis writes the command on
    // setImmediate, and the row's write must not hold the event loop before it.
    const order: string[] = [];
    setImmediate(() => order.push('redis'));
    const done = j.append(row('req_a')).then(() => order.push('journal'));
    await done;
    expect(order).toEqual(['redis', 'journal']);
    expect(rows()).toEqual(['req_a']);
    expect(j.writes).toEqual({ inline: 1, groups: 0, lazy: 0, syncs: 0 });
    await j.close();
  });

  it('while other calls are in flight rows go to the thread pool in groups', async () => {
    const { j, rows } = await open('i2');
    let quiet = false;
    j.inlineWhen(() => quiet);
    await Promise.all([j.append(row('req_b')), j.append(row('req_c'))]);
    expect(rows()).toEqual(['req_b', 'req_c']);
    expect(j.writes.inline).toBe(0);
    expect(j.writes.groups).toBeGreaterThan(0);
    // Quiet again, but a group is still being written: the row waits its turn behind it.
    const group = j.append(row('req_d'));
    quiet = true;
    const next = j.append(row('req_e'));
    await Promise.all([group, next]);
    expect(rows()).toEqual(['req_b', 'req_c', 'req_d', 'req_e']);
    expect(j.writes.inline).toBe(0);
    await j.close();
  });

  it('with busyInlineMaxUs, rows appended beside other calls are written on the event loop once a write showed the device quick', async () => {
    // 600 s: any write this machine makes is quick by that bound.
    const { j, rows } = await open('i5', { busyInlineMaxUs: 600_000_000 });
    let quiet = false;
    j.inlineWhen(() => quiet);
    // Nothing measured yet: the first rows written beside others go to the thread pool (one write
    // each: the first starts at once, the second waits behind it).
    await Promise.all([j.append(row('req_m')), j.append(row('req_n'))]);
    expect(j.writes).toEqual({ inline: 0, groups: 2, lazy: 0, syncs: 0 });
    // A row written alone measures the device.
    quiet = true;
    await j.append(row('req_o'));
    expect(j.writes).toEqual({ inline: 1, groups: 2, lazy: 0, syncs: 0 });
    // Beside others again: on the event loop now, one write for both (the row appended in the same
    // turn joins the group, which waits one turn of the loop).
    quiet = false;
    const group = j.append(row('req_p'));
    const next = j.append(row('req_q'));
    await Promise.all([group, next]);
    expect(rows()).toEqual(['req_m', 'req_n', 'req_o', 'req_p', 'req_q']);
    expect(j.writes).toEqual({ inline: 2, groups: 2, lazy: 0, syncs: 0 });
    await j.close();
  });

  it('with busyInlineMaxUs below what the device takes, rows beside other calls stay on the thread pool', async () => {
    // 1 µs: no durable write of a row is that quick.
    const { j, rows } = await open('i6', { busyInlineMaxUs: 1 });
    let quiet = true;
    j.inlineWhen(() => quiet);
    await j.append(row('req_r'));
    quiet = false;
    await Promise.all([j.append(row('req_s')), j.append(row('req_t'))]);
    expect(rows()).toEqual(['req_r', 'req_s', 'req_t']);
    expect(j.writes).toEqual({ inline: 1, groups: 2, lazy: 0, syncs: 0 });
    await j.close();
  });

  it('inlineSlowMs 0 (APIGPT_JOURNAL_INLINE_MAX_MS=0) keeps every row on the thread pool', async () => {
    const { j, rows } = await open('i4', { inlineSlowMs: 0 });
    j.inlineWhen(() => true);
    await j.append(row('req_h'));
    expect(rows()).toEqual(['req_h']);
    expect(j.writes).toEqual({ inline: 0, groups: 1, lazy: 0, syncs: 0 });
    await j.close();
  });

  it('a slow inline write sends the next rows to the thread pool', async () => {
    // Every write counts as slow here (the threshold is below any write's time).
    const { j, rows } = await open('i3', { inlineSlowMs: -1 });
    j.inlineWhen(() => true);
    await j.append(row('req_f'));
    await j.append(row('req_g'));
    expect(rows()).toEqual(['req_f', 'req_g']);
    expect(j.writes).toEqual({ inline: 1, groups: 1, lazy: 0, syncs: 0 });
    await j.close();
  });
});

describe('journal: intents — the fsync made while the provider answers (a call alone)', () => {
  const open = async (owner: string, o: { quiet?: boolean; finalSync?: boolean } = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-journal-'));
    dirs.push(dir);
    const j = await Journal.open({ dir, owner, sync: true, ...(o.finalSync ? { finalSync: true } : {}) });
    const quiet = o.quiet ?? false;
    j.inlineWhen(() => quiet);
    /** The file's rows as `intent:<id>` / `charge:<id>`, in order. */
    const lines = () =>
      readFileSync(join(dir, `${owner}.1.jsonl`), 'utf8')
        .split(/[\n\0]+/)
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .map((v) => (v.intent ? `intent:${v.intent.id}` : `charge:${v.id}`));
    return { j, dir, lines };
  };

  it('a call alone: its intent is durable before the answer; the charge row after it is written without a sync, and synced within FINAL_SYNC_MS', async () => {
    const { j, lines } = await open('n1', { quiet: true });
    expect(j.deferred).toBe(true);
    j.intend(row('req_a'), 900);
    // Durable on its own while the provider answers: on the event loop, the call being alone.
    await eventually(() => expect(j.writes).toEqual({ inline: 1, groups: 0, lazy: 0, syncs: 0 }));
    expect(lines()).toEqual(['intent:req_a']);
    await j.append(row('req_a'));
    expect(lines()).toEqual(['intent:req_a', 'charge:req_a']);
    expect(j.writes).toEqual({ inline: 1, groups: 0, lazy: 1, syncs: 0 });
    await eventually(() => expect(j.writes.syncs).toBe(1), { timeoutMs: 2_000 });
    j.committed(['req_a']);
    expect(j.pending).toBe(0);
    await j.close();
  });

  it('beside other calls no intent is written: the charge row is durable itself, in a group', async () => {
    const { j, lines } = await open('n6');
    j.intend(row('req_g'), 900);
    await j.append(row('req_g'));
    expect(lines()).toEqual(['charge:req_g']);
    expect(j.writes).toEqual({ inline: 0, groups: 1, lazy: 0, syncs: 0 });
    j.committed(['req_g']);
    await j.close();
  });

  it('a call alone: its intent waits INTENT_DELAY_MS, then goes on the event loop; an answer that comes first is charged durably in its place', async () => {
    const { j, lines } = await open('n2', { quiet: true });
    // The answer comes at once: the intent was never written, the charge row is (one durable write).
    j.intend(row('req_b'), 900);
    await j.append(row('req_b'));
    expect(lines()).toEqual(['charge:req_b']);
    expect(j.writes).toEqual({ inline: 1, groups: 0, lazy: 0, syncs: 0 });
    // A provider that takes its time: the intent is written meanwhile, the charge row after it lazily.
    j.intend(row('req_c'), 900);
    await eventually(() => expect(lines()).toEqual(['charge:req_b', 'intent:req_c']));
    expect(j.writes).toEqual({ inline: 2, groups: 0, lazy: 0, syncs: 0 });
    await j.append(row('req_c'));
    expect(lines()).toEqual(['charge:req_b', 'intent:req_c', 'charge:req_c']);
    expect(j.writes.lazy).toBe(1);
    j.committed(['req_b', 'req_c']);
    await j.close();
  });

  it('a call settled with nothing to charge leaves nothing behind: the journal closes clean', async () => {
    const { j, dir } = await open('n3', { quiet: true });
    j.intend(row('req_d'), 900); // still queued when it is forgotten: never written
    j.forget('req_d');
    j.intend(row('req_e'), 900); // written, then forgotten
    await eventually(() => expect(j.writes.inline).toBe(1));
    j.forget('req_e');
    expect(j.pending).toBe(0);
    await j.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a stopped process: its charge rows are charged; an intent without one is no call on the same boot, and after a restart is charged its reservation, marked interrupted', async () => {
    const { j, dir } = await open('n4', { quiet: true });
    j.intend(row('req_x'), 900);
    j.intend(row('req_y'), 800);
    await eventually(() => expect(j.writes.inline).toBe(1));
    await j.append(row('req_x'));
    await j.close(); // nothing committed: the files stay, as after a kill
    const same = await orphanJournals(dir);
    expect(same.map((o) => ({ ids: o.rows.map((r) => [r.id, r.cost]), interrupted: o.interrupted }))).toEqual([{ ids: [['req_x', 7]], interrupted: 0 }]);
    const lockFile = join(dir, 'n4.lock');
    writeFileSync(lockFile, JSON.stringify({ ...JSON.parse(readFileSync(lockFile, 'utf8')), boot: 'an-earlier-boot' }));
    const [after] = await orphanJournals(dir);
    expect(after.interrupted).toBe(1);
    expect(after.rows.map((r) => [r.id, r.cost, r.status, r.error_code])).toEqual([
      ['req_x', 7, 200, undefined],
      ['req_y', 800, 0, 'interrupted'],
    ]);
  });

  it('a page of unsynced rows lost before a durable row: the row after the zeros is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-journal-'));
    dirs.push(dir);
    const line = (id: string) => JSON.stringify(row(id)) + '\n';
    // The head of a row whose page reached the device, the rest (and its newline) lost, then a row
    // written durably on the next page: no newline between the fragment and that row.
    writeFileSync(join(dir, 'cut.1.jsonl'), line('req_a') + line('req_lost').slice(0, 30) + '\0'.repeat(4000) + line('req_b') + '\0'.repeat(100));
    const [orphan] = await orphanJournals(dir);
    expect(orphan.rows.map((r) => r.id)).toEqual(['req_a', 'req_b']);
  });

  it('finalSync (APIGPT_JOURNAL_FINAL_SYNC): no intents, every charge row durable itself, one descriptor', async () => {
    const { j, dir, lines } = await open('n5', { quiet: true, finalSync: true });
    expect(j.deferred).toBe(false);
    expect(openFlags(dir).map((f) => f & constants.O_DSYNC)).toEqual([constants.O_DSYNC]);
    j.intend(row('req_f'), 900);
    await j.append(row('req_f'));
    expect(lines()).toEqual(['charge:req_f']);
    expect(j.writes).toEqual({ inline: 1, groups: 0, lazy: 0, syncs: 0 });
    j.committed(['req_f']);
    await j.close();
  });
});

import { constants, readFileSync, writeSync } from 'node:fs';
import { open, readdir, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir } from '../core/private-files.js';
import type { RequestLogRow } from './types.js';

/**
 * The write-ahead journal of charged calls. A call's log row (with its cost) is appended here and
 * fsync'd before its answer completes; the row reaches the database with the next batch, a few
 * milliseconds later. If the process dies in between (kill -9, a crash, the machine losing power),
 * the next start replays the rows the database does not have yet (`batch/recover.ts`), so no served
 * call goes uncharged.
 *
 * Group commit: appends that arrive while a group is being written wait for the next one, which
 * takes them all at once — one durable write per group, however many calls are finishing. With
 * `sync` the file is opened with O_DSYNC, so each write returns only once its data is on the
 * device, the guarantee of write() + fdatasync() (open(2), "O_DSYNC") in one system call: one trip
 * through libuv's thread pool per group instead of two, which a call at one connection waits for.
 *
 * Files are zero-filled to their full size before the first row goes in, and rows are written in
 * place after the last one: an O_DSYNC write that grows a file must also make its new size (and
 * the new blocks) durable, a journal commit of the file system's own; one into blocks already
 * written is the data alone (ext4 on this VM: p50 0.14–0.16 → 0.10 ms per row, half the kernel
 * CPU; bench/RESULTS.md, session 16). PostgreSQL zero-fills its WAL segments for the same reason
 * (`wal_init_zero`). The next file is prepared in the background while the current one fills.
 * A reader takes the zeros for no rows. A file is deleted once every row in it is committed to
 * the database, so the journal stays small.
 *
 * Written on the event loop itself when nothing else waits (`inlineWhen`): a call that finishes
 * alone (one connection, a quiet hour) has nothing to group with, and the thread pool's round trip —
 * wake a pool thread, write, wake the event loop again — costs more than the write itself on a VM
 * (bench/RESULTS.md, session 16: 0.3–0.6 ms less per call at one connection). The event loop then
 * waits out one write of one row, as the call would have; with other calls in flight the group
 * path keeps it free for them. A write that took longer than `inlineSlowMs` (a slow or stalled
 * device) turns the inline path off for INLINE_PAUSE_MS, so a sick disk never freezes the loop twice
 * in a row.
 *
 * A call admitted while the gateway is quiet is *intended* (`intend`): a line with its reservation
 * is written durably on the event loop right after the call went upstream, while the provider
 * works, and its final row (`conclude`) is then written without waiting for the device — into the
 * kernel's page cache, which a killed process cannot lose — and made durable by a flush a moment
 * later (FLUSH_DELAY_MS). A lone call's answer then waits for no device flush of its own: the flush
 * it needs happened during the upstream round trip. If the machine itself stops (a power cut)
 * before the final row reached the device, the next start charges the intent, the call's
 * reservation — its worst case, never less than its cost. If only the process stopped (same boot:
 * the lock names the boot id), an intent without a final row is a call that never completed, and
 * nothing is charged for it, as before. Intents are made only where the boot id can be read
 * (Linux's `/proc/sys/kernel/random/boot_id`) and the journal syncs.
 *
 * Layout in `dir`: `<owner>.lock` (the process that writes: pid, owner name and boot id) and
 * `<owner>.<n>.jsonl` (one JSON line per row or intent, then zeros to the file's prepared size).
 */
export interface JournalOptions {
  dir: string;
  owner: string;
  /** Each group is on the device before its calls complete (default: O_DSYNC); false leaves it to the
   *  kernel (survives a process crash, not a power cut). */
  sync: boolean;
  /** An inline write slower than this (ms) sends rows to the thread pool for INLINE_PAUSE_MS (default INLINE_SLOW_MS; 0: never inline). */
  inlineSlowMs?: number;
  /** The size files are prepared at: a new one is started when a write would not fit (default 4 MiB). */
  rotateBytes?: number;
}

/** The first file's size: a process that serves a few calls and stops should not write 4 MiB of zeros. */
const FIRST_FILE_BYTES = 256 << 10;
/** Zeros are written in pieces of this size. */
const ZERO_PIECE = 256 << 10;

/** An inline write slower than this pauses inline writes (ms; `journalInlineMaxMs`). */
export const INLINE_SLOW_MS = 20;
/** How long a slow inline write keeps writes on the thread pool (ms). */
export const INLINE_PAUSE_MS = 10_000;

/** How long a final row written to the page cache waits for the flush that puts it on the device (ms). */
export const FLUSH_DELAY_MS = 50;

/** The key that marks an intent's line: `{"intent":1,...row}`. */
const INTENT = 'intent';

/** The machine's boot id (Linux): changes when the machine restarts; null elsewhere. */
export function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Owners whose journal this process is writing now (several gateways may run in one test process). */
const LIVE = new Set<string>();

export class Journal {
  private fh: FileHandle | null = null;
  /** The current file opened again without O_DSYNC, for final rows of intended calls (when intents are possible). */
  private plain: FileHandle | null = null;
  /** Final rows written to the page cache and not flushed yet. */
  private unflushed = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  /** Intents of calls not concluded yet: whether each is on the device yet (`durable` resolves then; rejects if it failed). */
  private readonly intents = new Map<string, { durable: Promise<void>; done: boolean }>();
  /** The file each intent is in, until the database has the call's row. */
  private readonly intentOf = new Map<string, number>();
  private seq = 0;
  /** Where the next row goes in the current file (every byte before it is taken). */
  private bytes = 0;
  /** The current file's prepared size. */
  private size = 0;
  /** The next file, being zero-filled while this one fills. */
  private next: Promise<void> | null = null;
  /** A write failed part-way: the next one starts on a new line, so the torn bytes stay a line of their own. */
  private torn = false;
  /** Rows not yet in the database, per file. */
  private readonly outstanding = new Map<number, number>();
  private readonly fileOf = new Map<string, number>();
  private queue: string[] = [];
  /** The ids of the queued rows (a group is assigned to the file it is written into). */
  private queueIds: string[] = [];
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private writing: Promise<void> | null = null;
  private closed = false;
  /** Whether the next group may be written on the event loop (unset: never). */
  private inline: (() => boolean) | null = null;
  /** Inline writes are paused until this time (performance.now(), after a slow one). */
  private inlinePausedUntil = 0;
  /** Writes made so far, by path (for tests). */
  readonly writes = { inline: 0, groups: 0 };
  /** Intents written (each also counted in `writes`, with the group it went in), and final rows written after one. */
  readonly intentWrites = { intents: 0, concluded: 0 };

  private constructor(
    private readonly o: JournalOptions,
    private readonly boot: string | null,
  ) {}

  static async open(o: JournalOptions): Promise<Journal> {
    ensurePrivateDir(o.dir);
    LIVE.add(o.owner);
    const boot = bootId();
    await writeFile(join(o.dir, `${o.owner}.lock`), JSON.stringify({ pid: process.pid, owner: o.owner, started: Date.now(), boot }), { mode: 0o600 });
    const j = new Journal(o, boot);
    await j.startFile();
    return j;
  }

  /**
   * Rows may be written on the event loop while `quiet()` says nothing else waits on it (the
   * gateway: at most the one call settling is in flight).
   */
  inlineWhen(quiet: () => boolean): void {
    if (this.o.inlineSlowMs !== 0) this.inline = quiet;
  }

  /** Appends the row; resolves once it is on disk (fsync'd with its group). */
  append(row: RequestLogRow): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the journal is closed'));
    this.fileOf.set(row.id, this.seq);
    return this.enqueue(JSON.stringify(row) + '\n', row.id);
  }

  /**
   * Writes the intent of a call admitted while the gateway is quiet: `row` with `reservation` as
   * its cost, put on the device by the thread pool while the event loop sends the call upstream and
   * the provider works (a write on the loop would hold the provider's answer up; measured in
   * bench/RESULTS.md, session 21). Returns false, writing nothing, when intents cannot be used now (the gateway is
   * busy: the group path is cheaper there; no boot id; the journal does not sync). The call's final
   * row must then go through `conclude`, whatever it costs.
   */
  intend(row: RequestLogRow, reservation: number): boolean {
    if (this.closed || !this.o.sync || this.boot === null || !this.quiet()) return false;
    this.intentOf.set(row.id, this.seq);
    const line = JSON.stringify({ [INTENT]: 1, ...row, cost: reservation }) + '\n';
    const intent = { durable: this.enqueue(line, row.id, false), done: false };
    // A failed intent is met by `conclude`, which then journals the row the usual way.
    intent.durable.then(() => (intent.done = true), () => undefined);
    this.intents.set(row.id, intent);
    this.intentWrites.intents++;
    return true;
  }

  /** Whether the call has an intent waiting for its final row. */
  intended(id: string): boolean {
    return this.intents.has(id);
  }

  /**
   * The final row of an intended call (any cost, 0 too: it cancels the intent). Once the intent is
   * on the device, the row is written on the event loop without waiting for the device (the page
   * cache outlives a killed process; the intent covers a machine that stops) and flushed within
   * FLUSH_DELAY_MS. Falls back to `append` when the intent failed or the row does not fit the
   * current file.
   */
  conclude(row: RequestLogRow): Promise<void> {
    const intent = this.intents.get(row.id);
    this.intents.delete(row.id);
    if (intent === undefined) return this.append(row);
    // Written in this same tick when the intent is on the device already (the usual case: it was
    // written while the provider worked), so no batch can commit the row before it is counted here.
    if (intent.done) return this.concludeNow(row);
    return intent.durable.then(
      () => this.concludeNow(row),
      () => this.append(row),
    );
  }

  /** Writes an intended call's final row to the page cache (see `conclude`). */
  private concludeNow(row: RequestLogRow): Promise<void> {
    const buf = this.frame(JSON.stringify(row) + '\n');
    // Closed, rotating (no second descriptor for a moment) or full: the row goes the usual way.
    if (this.closed || !this.plain || this.bytes + buf.length > this.size) return this.append(row);
    try {
      const at = this.take(buf.length);
      this.fileOf.set(row.id, this.seq);
      this.count(this.seq, 1);
      const written = writeSync(this.plain.fd, buf, 0, buf.length, at);
      if (written !== buf.length) throw new Error(`the journal took ${written} of ${buf.length} bytes (device full?)`);
    } catch (err) {
      this.torn = true;
      return Promise.reject(err as Error);
    }
    this.torn = false;
    this.intentWrites.concluded++;
    this.flushSoon();
    this.prepareNext();
    return Promise.resolve();
  }

  /** The database has these rows: files whose rows (and intents) are all committed are deleted. */
  committed(ids: readonly string[]): void {
    for (const id of ids) {
      const intent = this.intentOf.get(id);
      if (intent !== undefined) {
        this.intentOf.delete(id);
        this.count(intent, -1);
      }
      const seq = this.fileOf.get(id);
      if (seq === undefined) continue;
      this.fileOf.delete(id);
      this.count(seq, -1);
    }
  }

  /** Queues one line for the next group; resolves once it is on disk. */
  private enqueue(line: string, id: string, inline = this.quiet()): Promise<void> {
    this.outstanding.set(this.seq, (this.outstanding.get(this.seq) ?? 0) + 1);
    this.queue.push(line);
    this.queueIds.push(id);
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.writing) this.writing = this.drain(inline);
    return p;
  }

  /** Puts the final rows written to the page cache on the device, FLUSH_DELAY_MS after the first. */
  private flushSoon(): void {
    this.unflushed = true;
    if (this.flushTimer || this.flushing) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, FLUSH_DELAY_MS);
    this.flushTimer.unref();
  }

  /** Flushes what final rows the current file has in the page cache (and again if more came meanwhile). */
  private flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.flushing ??= (async () => {
      try {
        while (this.unflushed && this.plain) {
          this.unflushed = false;
          // fdatasync is the file's, whichever descriptor asks: the rows written through `plain`.
          await this.plain.datasync();
        }
      } catch {
        // The device refused: the intents are on it, so the calls stay charged at worst.
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  /**
   * A group is going into the current file: its rows were counted in the file that was current
   * when they were appended, which a rotation since may have closed (those the database has not
   * taken yet move).
   */
  private assign(ids: readonly string[]): void {
    for (const id of ids) {
      // An id queued as an intent is counted as one (its final row is not written yet).
      const of = this.intents.has(id) ? this.intentOf : this.fileOf;
      const seq = of.get(id);
      if (seq === undefined || seq === this.seq) continue;
      of.set(id, this.seq);
      this.count(this.seq, 1);
      this.count(seq, -1);
    }
  }

  /** Moves file `seq`'s count of rows not yet in the database; a past file left with none is deleted. */
  private count(seq: number, by: number): void {
    const left = (this.outstanding.get(seq) ?? 0) + by;
    if (left <= 0 && seq !== this.seq) {
      this.outstanding.delete(seq);
      void rm(this.path(seq), { force: true }).catch(() => undefined);
    } else this.outstanding.set(seq, left);
  }

  /** Whether final rows wait in the page cache for their flush (for tests). */
  get flushPending(): boolean {
    return this.unflushed || this.flushing !== null;
  }

  /** Rows written here and not yet committed (for tests and `billing check`). */
  get pending(): number {
    return this.fileOf.size + this.intentOf.size;
  }

  /**
   * Waits for the last group, then closes. When every row reached the database the files and the
   * lock go; otherwise they stay for the next start to replay.
   */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing) await this.writing.catch(() => undefined);
    await this.closePlain();
    await this.next?.catch(() => undefined);
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
    if (this.fileOf.size === 0 && this.intentOf.size === 0) {
      for (const seq of [...this.outstanding.keys(), this.seq, this.seq + 1]) await rm(this.path(seq), { force: true });
      await rm(join(this.o.dir, `${this.o.owner}.lock`), { force: true });
    }
    LIVE.delete(this.o.owner);
  }

  /** Whether the next group may be written on the event loop (see the class comment). */
  private quiet(): boolean {
    return this.inline !== null && performance.now() >= this.inlinePausedUntil && this.inline();
  }

  /**
   * Writes the queued rows, group after group, until none are left. `inline`: the first group is
   * written on the event loop, after one turn of it — I/O this turn started leaves first (ioredis
   * sends a call's settlement on setImmediate; written before it, the row would wait for Redis's
   * answer instead of overlapping it).
   */
  private async drain(inline: boolean): Promise<void> {
    try {
      if (inline) await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.queue.length) {
        const data = this.queue.join('');
        const waiters = this.waiters;
        const ids = this.queueIds;
        this.queue = [];
        this.queueIds = [];
        this.waiters = [];
        try {
          const buf = this.frame(data);
          if (this.bytes + buf.length > this.size && this.bytes > 0) {
            inline = false;
            await this.rotate();
          }
          this.assign(ids);
          await this.write(buf, inline);
          for (const w of waiters) w.resolve();
        } catch (err) {
          for (const w of waiters) w.reject(err as Error);
        }
        // Rows that came meanwhile had other calls beside them: the thread pool's.
        inline = false;
      }
    } finally {
      this.writing = null;
    }
  }

  /**
   * Writes one group after the rows before it: on the event loop when `inline` (a write slower than
   * `inlineSlowMs` then pauses that path), else on the thread pool. A write that fails or falls
   * short leaves torn bytes: the next one starts a new line.
   */
  private async write(buf: Buffer, inline: boolean): Promise<void> {
    const at = this.take(buf.length);
    const started = performance.now();
    try {
      const written = inline ? writeSync(this.fh!.fd, buf, 0, buf.length, at) : (await this.fh!.write(buf, 0, buf.length, at)).bytesWritten;
      // A regular file takes a whole write unless the device is full: a torn row is no charge.
      if (written !== buf.length) throw new Error(`the journal took ${written} of ${buf.length} bytes (device full?)`);
    } catch (err) {
      this.torn = true;
      throw err;
    }
    this.torn = false;
    if (inline) {
      this.writes.inline++;
      const took = performance.now() - started;
      if (took > (this.o.inlineSlowMs ?? INLINE_SLOW_MS)) this.inlinePausedUntil = started + took + INLINE_PAUSE_MS;
    } else this.writes.groups++;
    this.prepareNext();
  }

  /** The bytes of a write: after a torn one, led by a newline. */
  private frame(text: string): Buffer {
    return Buffer.from(this.torn ? '\n' + text : text, 'utf8');
  }

  /**
   * Takes the next `length` bytes of the file for one write (before it starts, so nothing else
   * lands in them).
   */
  private take(length: number): number {
    const at = this.bytes;
    this.bytes += length;
    return at;
  }

  /** Once this file is half full, the next one is prepared. */
  private prepareNext(): void {
    if (this.bytes * 2 < this.size || this.next) return;
    const next = this.prepare(this.seq + 1, this.rotateBytes);
    // A failure is met by the rotation that awaits it (and prepares again).
    next.catch(() => undefined);
    this.next = next;
  }

  private get rotateBytes(): number {
    return this.o.rotateBytes ?? 4 << 20;
  }

  private async rotate(): Promise<void> {
    const old = this.seq;
    const next = this.next ?? this.prepare(old + 1, this.rotateBytes);
    this.next = null;
    await next;
    await this.closePlain();
    await this.fh?.close();
    await this.openFile(old + 1);
    // Deleted now if the database already has all its rows.
    this.count(old, 0);
  }

  /** Flushes and closes the current file's second descriptor (before a rotation or close). */
  private async closePlain(): Promise<void> {
    if (!this.plain) return;
    await this.flush();
    const plain = this.plain;
    this.plain = null;
    await plain.close().catch(() => undefined);
  }

  /** The first file: prepared, then opened. */
  private async startFile(): Promise<void> {
    await this.prepare(1, Math.min(FIRST_FILE_BYTES, this.rotateBytes));
    await this.openFile(1);
  }

  /**
   * Creates file `seq` and fills it with `bytes` zeros, on the device (with `sync`) before any row
   * goes in: rows then overwrite written blocks, and no row write changes the file's size.
   */
  private async prepare(seq: number, bytes: number): Promise<void> {
    const fh = await open(this.path(seq), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    try {
      const zeros = Buffer.alloc(Math.min(ZERO_PIECE, bytes));
      for (let at = 0; at < bytes; at += zeros.length) await fh.write(zeros, 0, Math.min(zeros.length, bytes - at), at);
      if (this.o.sync) await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  private async openFile(seq: number): Promise<void> {
    const fh = await open(this.path(seq), constants.O_WRONLY | (this.o.sync ? constants.O_DSYNC : 0));
    // Intended calls' final rows are written through a second descriptor without O_DSYNC.
    if (this.o.sync && this.boot !== null) this.plain = await open(this.path(seq), constants.O_WRONLY);
    this.fh = fh;
    this.seq = seq;
    this.bytes = 0;
    this.size = (await fh.stat()).size;
    this.torn = false;
  }

  private path(seq: number): string {
    return join(this.o.dir, `${this.o.owner}.${seq}.jsonl`);
  }
}

export interface OrphanJournal {
  owner: string;
  /** The process that wrote it, when its lock file says. */
  pid: number | null;
  /** Intents without a final row that are charged (the machine restarted since): their rows are in `rows`. */
  intentsCharged: number;
  files: string[];
  rows: RequestLogRow[];
}

/**
 * Journals of owners that are no longer running: their lock names a process that is gone (or this
 * process, under an owner it no longer writes; or the machine has restarted since), or the lock is
 * missing. Rows are read in order (the zeros a file was prepared with are no rows); a torn line (the
 * process died mid-write, before its fsync) is skipped — its call never completed, since a call
 * completes only after its row is on disk (or, for an intended call, in the page cache with its
 * intent on disk). An intent without a final row (`Journal.intend`) is a call that never completed
 * when the machine has run on since (the page cache kept every final row written), and is dropped;
 * when the machine restarted (another boot id, or none recorded), its final row may have been lost
 * with the page cache, and the intent is charged: the call's reservation, marked `interrupted`.
 */
export async function orphanJournals(dir: string): Promise<OrphanJournal[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const boot = bootId();
  const owners = new Map<string, { pid: number | null; boot: string | null; files: string[] }>();
  for (const n of names) {
    const m = /^(.+)\.(\d+)\.jsonl$/.exec(n) ?? /^(.+)\.lock$/.exec(n);
    if (!m) continue;
    const o = owners.get(m[1]) ?? { pid: null, boot: null, files: [] };
    owners.set(m[1], o);
    if (n.endsWith('.lock')) {
      try {
        const lock = JSON.parse(await readFile(join(dir, n), 'utf8'));
        o.pid = Number(lock.pid) || null;
        o.boot = typeof lock.boot === 'string' ? lock.boot : null;
      } catch {
        o.pid = null;
      }
    } else o.files.push(n);
  }
  const out: OrphanJournal[] = [];
  for (const [owner, o] of owners) {
    const sameBoot = boot !== null && o.boot === boot;
    // A process of an earlier boot is gone whatever now runs under its pid.
    const restarted = boot !== null && o.boot !== null && o.boot !== boot;
    if (LIVE.has(owner) || (!restarted && o.pid !== null && o.pid !== process.pid && alive(o.pid))) continue;
    o.files.sort((a, b) => seqOf(a) - seqOf(b));
    const rows: RequestLogRow[] = [];
    const intents = new Map<string, RequestLogRow>();
    for (const f of o.files) {
      let text: string;
      try {
        text = await readFile(join(dir, f), 'utf8');
      } catch (err) {
        // Deleted since the listing: its rows were all in the database.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      for (const raw of text.split('\n')) {
        // The file's unused tail is zeros (and a torn write may end in them): not rows.
        const line = raw.includes('\0') ? raw.replaceAll('\0', '') : raw;
        if (!line) continue;
        let parsed: RequestLogRow & { [INTENT]?: number };
        try {
          parsed = JSON.parse(line);
        } catch {
          continue; // a torn line: see above
        }
        if (parsed[INTENT]) {
          delete parsed[INTENT];
          intents.set(parsed.id, parsed);
        } else rows.push(parsed);
      }
    }
    let intentsCharged = 0;
    if (!sameBoot) {
      const concluded = new Set(rows.map((r) => r.id));
      for (const intent of intents.values()) {
        if (concluded.has(intent.id)) continue;
        rows.push(interrupted(intent));
        intentsCharged++;
      }
    }
    out.push({ owner, pid: o.pid, intentsCharged, files: [...o.files.map((f) => join(dir, f)), join(dir, `${owner}.lock`)], rows });
  }
  return out;
}

/** The row charged for an intent whose final row the machine's restart may have lost. */
function interrupted(intent: RequestLogRow): RequestLogRow {
  return {
    ...intent,
    error_code: 'interrupted',
    error_message: 'The machine restarted before this call\'s final charge reached the disk: charged the amount reserved for it.',
  };
}

function seqOf(name: string): number {
  return Number(/\.(\d+)\.jsonl$/.exec(name)?.[1] ?? 0);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

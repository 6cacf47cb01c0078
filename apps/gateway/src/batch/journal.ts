import { constants, readFileSync, writeSync } from 'node:fs';
import { open, readdir, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir } from '../core/private-files.js';
import type { RequestLogRow } from './types.js';

/**
 * The write-ahead journal of charged calls. A call's log row (with its cost) is appended here
 * before its answer completes, durably (see "Intents" below for how the fsync leaves the path of a
 * call alone); the row reaches the database with the next batch, a few milliseconds later. If the
 * process dies in between (kill -9, a crash, the machine losing power), the next start replays the
 * rows the database does not have yet (`batch/recover.ts`), so no served call goes uncharged.
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
 * path keeps it free for them — unless the device is quick (`busyInlineMaxUs`): then groups are
 * written on the event loop also while other calls are in flight. On a VM, handing a group to the
 * pool costs more CPU than the write blocks: waking a pool thread, then the loop, are hypervisor exits
 * (~120 µs of the event loop per group on the bench machine, against a 0.1–0.3 ms write that mostly
 * waits for the device; bench/RESULTS.md, session 28: 5–28% less CPU per call at 50 connections in
 * four alternated runs). A device whose recent inline writes (smoothed) took longer than that bound
 * sends groups written under load back to the pool, until a write made alone finds it quick again.
 * A write that took longer than `inlineSlowMs` (a slow or stalled device) turns the inline path off
 * for INLINE_PAUSE_MS, so a sick disk never freezes the loop twice in a row.
 *
 * Intents (deferred mode, the default with `sync` where the machine's boot id can be read): an
 * fsync on every call's path is the largest part of what the gateway adds to a call at one
 * connection (bench/RESULTS.md, session 30). So when a call is admitted alone (no other in flight:
 * beside others the charge rows share a group's fsync, cheaper in CPU than an intent per call), its
 * *intent* — its log row so far and the credit it reserved — is made durable while the provider
 * works on the answer (`intend`, after INTENT_DELAY_MS, so that an instant answer is not held behind
 * it), and its charge row is then only written, without a sync, before its answer completes: a
 * killed process leaves it in the page cache, and the file is synced within FINAL_SYNC_MS. A reader
 * (`orphanJournals`) charges the charge rows; an intent without one was never completed if the
 * machine did not restart meanwhile (the page cache would hold its row), and after a restart (a
 * power cut may have lost the last charge rows) the call is charged its reservation, marked
 * interrupted. `finalSync` keeps the rule without intents: every charge row durable itself.
 *
 * Layout in `dir`: `<owner>.lock` (the process that writes: pid, owner name and the machine's boot
 * id, so that after a restart a pid now used by another process does not keep its journal unread) and
 * `<owner>.<n>.jsonl` (one JSON row per line — a charge row, or `{"intent": row, "reserved": µP}` —
 * then zeros to the file's prepared size).
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
  /**
   * Groups are written on the event loop while other calls are in flight too, as long as the recent
   * inline writes took at most this long on average (µs; default 0: only when quiet).
   */
  busyInlineMaxUs?: number;
  /**
   * With `sync`: each charge's own row is on the device before its call completes (the rule before
   * intents; default false). Off, a call's intent row is made durable while the provider answers and
   * its charge row only reaches the page cache before the call completes (see the class comment).
   */
  finalSync?: boolean;
}

/** The first file's size: a process that serves a few calls and stops should not write 4 MiB of zeros. */
const FIRST_FILE_BYTES = 256 << 10;
/** While the device has no room for the next file, it is tried again this often (see `full`). */
const ROOM_RETRY_MS = 1_000;
/** Zeros are written in pieces of this size. */
const ZERO_PIECE = 256 << 10;

/** An inline write slower than this pauses inline writes (ms; `journalInlineMaxMs`). */
export const INLINE_SLOW_MS = 20;
/** How long a slow inline write keeps writes on the thread pool (ms). */
export const INLINE_PAUSE_MS = 10_000;
/** Weight of the last inline write in the smoothed duration the busy rule reads. */
const INLINE_SMOOTHING = 0.25;

/**
 * Charge rows written after their call's durable intent reach the device this long after (ms) at
 * the latest: the window of calls a power cut may leave charged their reservation instead of their
 * cost (a process that dies loses none of them: they are in the page cache).
 */
export const FINAL_SYNC_MS = 20;

/**
 * A call alone waits this long (ms) before its intent is written: a provider that answers sooner
 * (a local model, a cache) finds the intent still queued, and its charge row is then written durably
 * in its place — one fsync either way, after the answer's first bytes instead of before them.
 */
export const INTENT_DELAY_MS = 5;

/** Queued rows of one kind, with the promises of their appends. */
interface Queue {
  lines: string[];
  /** The rows' keys in `fileOf` (a charge row: the call's id; an intent: INTENT + the id). */
  keys: string[];
  waiters: { resolve: () => void; reject: (err: Error) => void }[];
}

/** The key of a call's intent row in `fileOf` (its charge row's is the call's id). */
const INTENT = 'i:';

const emptyQueue = (): Queue => ({ lines: [], keys: [], waiters: [] });

const NEWLINE = Buffer.from('\n');

/** Owners whose journal this process is writing now (several gateways may run in one test process). */
const LIVE = new Set<string>();

export class Journal {
  private fh: FileHandle | null = null;
  /** The current file without O_DSYNC, for charge rows whose intent is durable (deferred mode). */
  private plain: FileHandle | null = null;
  private seq = 0;
  /** Where the next row goes in the current file (every byte before it is taken). */
  private bytes = 0;
  /** The current file's prepared size. */
  private size = 0;
  /** The next file, being zero-filled while this one fills. */
  private next: Promise<void> | null = null;
  /** A write failed part-way: the next one starts on a new line, so the torn bytes stay a line of their own. */
  private torn = false;
  /** Rows not yet in the database (or intents not yet settled), per file. */
  private readonly outstanding = new Map<number, number>();
  private readonly fileOf = new Map<string, number>();
  /** Rows each write makes durable: charge rows without an intent, and intents. */
  private durable: Queue = emptyQueue();
  /** Charge rows after their call's intent: written without waiting for the device. */
  private lazy: Queue = emptyQueue();
  /** Intents of calls in flight, queued or written: resolved once on the device. */
  private readonly intents = new Map<string, Promise<void>>();
  /**
   * Intents waiting out INTENT_DELAY_MS: not serialised, not queued, so that a call answered sooner
   * costs a map entry and a timer, not a row.
   */
  private readonly waitingIntents = new Map<string, { row: RequestLogRow; reserved: number }>();
  /** Queues the waiting intents for a write (INTENT_DELAY_MS). */
  private intentTimer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private closed = false;
  /** The device had no room for the next file (its last preparation failed): see `full`. */
  private noRoom = false;
  private roomTimer: NodeJS.Timeout | null = null;
  /** Charge rows were written (without a sync) since the last sync of the file began. */
  private dirty = false;
  private syncTimer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;
  /** Whether the next group may be written on the event loop (unset: never). */
  private inline: (() => boolean) | null = null;
  /** Inline writes are paused until this time (performance.now(), after a slow one). */
  private inlinePausedUntil = 0;
  /** The recent inline writes' smoothed duration (ms); null until one was made. */
  private inlineMs: number | null = null;
  /** Durable writes made so far, by path; writes of charge rows after an intent, and their syncs (for tests). */
  readonly writes = { inline: 0, groups: 0, lazy: 0, syncs: 0 };

  private constructor(
    private readonly o: JournalOptions,
    /** Intents are journaled (see the class comment). */
    readonly deferred: boolean,
  ) {}

  static async open(o: JournalOptions): Promise<Journal> {
    ensurePrivateDir(o.dir);
    LIVE.add(o.owner);
    const boot = bootId();
    await writeFile(join(o.dir, `${o.owner}.lock`), JSON.stringify({ pid: process.pid, owner: o.owner, started: Date.now(), boot }), { mode: 0o600 });
    // Without the boot id a reader cannot tell a killed process (its page cache survived: an intent
    // without a charge row was not served) from a machine that lost power; charges then stay synced.
    const j = new Journal(o, o.sync && !o.finalSync && boot !== null);
    await j.startFile();
    return j;
  }

  /**
   * Rows may be written on the event loop while `quiet()` says nothing else waits on it (the
   * gateway: at most the one call settling is in flight), and beside other calls while the device is
   * quick (`busyInlineMaxUs`).
   */
  inlineWhen(quiet: () => boolean): void {
    if (this.o.inlineSlowMs !== 0) this.inline = quiet;
  }

  /**
   * A call was admitted with a reservation of `reserved` µP: in deferred mode its intent row (the
   * log row so far, and the reservation) goes to the device while the provider answers. Its charge
   * row (`append`) then only waits for the page cache; `forget` when it settles with nothing to charge.
   */
  intend(row: RequestLogRow, reserved: number): void {
    // Only for a call alone: beside other calls, the charge rows' fsync is shared by a group, and an
    // intent per call cost more CPU (4–8% per call at 50 connections, bench/RESULTS.md session 31)
    // than the fsync it takes off the path.
    if (!this.deferred || this.closed || this.inline === null || !this.inline()) return;
    this.waitingIntents.set(row.id, { row, reserved });
    this.intentTimer ??= setTimeout(this.writeIntents, INTENT_DELAY_MS);
  }

  /** The call settled with nothing to charge: its intent row is done with. */
  forget(id: string): void {
    if (this.unwait(id)) return;
    if (this.intents.delete(id)) this.drop(INTENT + id);
  }

  /** Drops a call's intent that is still waiting (true), never to be written. */
  private unwait(id: string): boolean {
    if (!this.waitingIntents.delete(id)) return false;
    if (this.waitingIntents.size === 0 && this.intentTimer) {
      clearTimeout(this.intentTimer);
      this.intentTimer = null;
    }
    return true;
  }

  /** The waiting intents are due: queued for a durable write (on the event loop when the call is still alone). */
  private readonly writeIntents = (): void => {
    this.intentTimer = null;
    for (const [id, { row, reserved }] of this.waitingIntents) {
      const p = this.enqueue(this.durable, INTENT + id, `{"intent":${JSON.stringify(row)},"reserved":${reserved}}\n`, false);
      // A failed intent is met by the charge row that waits for it.
      p.catch(() => undefined);
      this.intents.set(id, p);
    }
    this.waitingIntents.clear();
    if (!this.writing && this.durable.lines.length) this.writing = this.drain(this.inlineNext(true), false);
  };

  /**
   * Appends the charge row; resolves once a stop cannot lose it: on the device (fsync'd with its
   * group), or — after an intent — in the page cache (a killed process leaves it behind) with the
   * intent on the device. A call answered before its intent was due has its charge row made durable
   * in the intent's place.
   */
  append(row: RequestLogRow): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the journal is closed'));
    const line = JSON.stringify(row) + '\n';
    const intent = this.unwait(row.id) ? undefined : this.intents.get(row.id);
    if (intent === undefined) return this.enqueue(this.durable, row.id, line);
    this.intents.delete(row.id);
    return this.enqueue(this.lazy, row.id, line).then(() => intent);
  }

  /** The database has these rows: files whose rows are all committed are deleted. */
  committed(ids: readonly string[]): void {
    for (const id of ids) {
      this.drop(id);
      this.drop(INTENT + id);
    }
  }

  /** Rows written here and not yet committed (charge rows; for tests and `billing check`). */
  get pending(): number {
    let n = 0;
    for (const key of this.fileOf.keys()) if (!key.startsWith(INTENT)) n++;
    return n;
  }

  /**
   * Waits for the last group, then closes. When every row reached the database the files and the
   * lock go; otherwise they stay for the next start to replay.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.roomTimer) clearTimeout(this.roomTimer);
    if (this.intentTimer) clearTimeout(this.intentTimer);
    this.intentTimer = null;
    this.writeIntents();
    while (this.writing) await this.writing.catch(() => undefined);
    await this.next?.catch(() => undefined);
    await this.syncLazy(true);
    await this.plain?.close().catch(() => undefined);
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
    this.plain = null;
    if (this.fileOf.size === 0) {
      for (const seq of [...this.outstanding.keys(), this.seq, this.seq + 1]) await rm(this.path(seq), { force: true });
      await rm(join(this.o.dir, `${this.o.owner}.lock`), { force: true });
    }
    LIVE.delete(this.o.owner);
  }

  /** Queues a row; `start`: a write begins unless one is running (else the caller starts it). */
  private enqueue(q: Queue, key: string, line: string, start = true): Promise<void> {
    this.fileOf.set(key, this.seq);
    this.outstanding.set(this.seq, (this.outstanding.get(this.seq) ?? 0) + 1);
    q.lines.push(line);
    q.keys.push(key);
    const p = new Promise<void>((resolve, reject) => q.waiters.push({ resolve, reject }));
    // Charge rows after an intent wait one turn of the loop, so those settling together share a write.
    if (start && !this.writing) this.writing = this.drain(this.inlineNext(true), q === this.lazy);
    return p;
  }

  /** A row is done with (committed, or an intent settled): its file may go. */
  private drop(key: string): void {
    const seq = this.fileOf.get(key);
    if (seq === undefined) return;
    this.fileOf.delete(key);
    this.count(seq, -1);
  }

  /**
   * A group is going into the current file: its rows were counted in the file that was current
   * when they were appended, which a rotation since may have closed (those the database has not
   * taken yet move).
   */
  private assign(keys: readonly string[]): void {
    for (const key of keys) {
      const seq = this.fileOf.get(key);
      if (seq === undefined || seq === this.seq) continue;
      this.fileOf.set(key, this.seq);
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

  /**
   * Whether the next group may be written on the event loop (see the class comment): when `quiet()`
   * says nothing else waits (asked only for the first group of a drain: rows queued behind a write
   * had other calls beside them), or while the recent inline writes took at most `busyInlineMaxUs`.
   */
  private inlineNext(askQuiet: boolean): boolean {
    if (this.inline === null || performance.now() < this.inlinePausedUntil) return false;
    if (askQuiet && this.inline()) return true;
    const max = (this.o.busyInlineMaxUs ?? 0) / 1000;
    return max > 0 && this.inlineMs !== null && this.inlineMs <= max;
  }

  /**
   * Writes the queued rows, group after group, until none are left: first the charge rows that need
   * no sync (on the event loop: they only reach the page cache), then the durable ones. `inline`:
   * the durable group is written on the event loop, after one turn of it — I/O this turn started
   * leaves first (ioredis sends a call's settlement on setImmediate, and the provider's request
   * follows an intent in the same turn; written before them, the row would wait for their answers
   * instead of overlapping them). `wait`: the first group waits that turn in any case.
   */
  private async drain(inline: boolean, wait: boolean): Promise<void> {
    try {
      if (inline || wait) await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.durable.lines.length || this.lazy.lines.length) {
        const lazy = this.lazy;
        const durable = this.durable;
        // Under load the lazy queue is empty: kept, not replaced.
        if (lazy.lines.length) this.lazy = emptyQueue();
        this.durable = emptyQueue();
        // Each group's text is encoded once; the 2 is a newline each may need after a torn write.
        const lazyBuf = lazy.lines.length ? Buffer.from(lazy.lines.join(''), 'utf8') : null;
        const durableBuf = durable.lines.length ? Buffer.from(durable.lines.join(''), 'utf8') : null;
        try {
          if (this.bytes + (lazyBuf?.length ?? 0) + (durableBuf?.length ?? 0) + 2 > this.size && this.bytes > 0) {
            inline = false;
            await this.rotate();
          }
        } catch (err) {
          for (const w of [...lazy.waiters, ...durable.waiters]) w.reject(err as Error);
          continue;
        }
        // Awaited only when written on the pool: rows appended by the calls a write settles join the
        // next group, as before intents.
        if (lazyBuf) this.group(lazy, lazyBuf, 'lazy');
        if (durableBuf) {
          const pooled = this.group(durable, durableBuf, inline ? 'inline' : 'pool');
          if (pooled) await pooled;
        }
        // Rows that came meanwhile had other calls beside them: the thread pool's, unless the device is quick.
        inline = this.inlineNext(false);
      }
    } finally {
      this.writing = null;
    }
  }

  /** Writes one group and settles its appends; a promise only while it is written on the pool. */
  private group(q: Queue, buf: Buffer, how: 'lazy' | 'inline' | 'pool'): Promise<void> | undefined {
    const done = () => {
      for (const w of q.waiters) w.resolve();
    };
    const failed = (err: unknown) => {
      for (const w of q.waiters) w.reject(err as Error);
    };
    this.assign(q.keys);
    try {
      // After a torn write, led by a newline: the torn bytes stay a line of their own.
      const pooled = this.write(this.torn ? Buffer.concat([NEWLINE, buf]) : buf, how);
      if (pooled) return pooled.then(done, failed);
      done();
    } catch (err) {
      failed(err);
    }
  }

  /**
   * Writes one group after the rows before it: `lazy` on the event loop without a sync (the file
   * is synced within FINAL_SYNC_MS); `inline` on the event loop, durably (a write slower than
   * `inlineSlowMs` then pauses that path); `pool` durably on the thread pool. A write that fails or
   * falls short leaves torn bytes: the next one starts a new line.
   */
  private write(buf: Buffer, how: 'lazy' | 'inline' | 'pool'): Promise<void> | undefined {
    const at = this.take(buf.length);
    if (how === 'pool')
      return this.fh!.write(buf, 0, buf.length, at).then(
        ({ bytesWritten }) => this.wrote(buf, bytesWritten, how, 0),
        (err) => this.wrote(buf, 0, how, 0, err),
      );
    const started = performance.now();
    let written = 0;
    try {
      written = writeSync(how === 'lazy' ? this.plain!.fd : this.fh!.fd, buf, 0, buf.length, at);
    } catch (err) {
      this.wrote(buf, 0, how, started, err);
    }
    this.wrote(buf, written, how, started);
  }

  /** Accounts for a write made (`err`: it failed; a short one fails too). */
  private wrote(buf: Buffer, written: number, how: 'lazy' | 'inline' | 'pool', started: number, err?: unknown): void {
    // A regular file takes a whole write unless the device is full: a torn row is no charge.
    if (err === undefined && written !== buf.length) err = new Error(`the journal took ${written} of ${buf.length} bytes (device full?)`);
    if (err !== undefined) {
      this.torn = true;
      throw err;
    }
    this.torn = false;
    if (how === 'lazy') {
      this.writes.lazy++;
      this.dirty = true;
      this.armSync();
    } else if (how === 'inline') {
      this.writes.inline++;
      const took = performance.now() - started;
      this.inlineMs = this.inlineMs === null ? took : this.inlineMs + (took - this.inlineMs) * INLINE_SMOOTHING;
      if (took > (this.o.inlineSlowMs ?? INLINE_SLOW_MS)) this.inlinePausedUntil = started + took + INLINE_PAUSE_MS;
    } else this.writes.groups++;
    this.prepareNext();
  }

  /** The charge rows written without a sync go to the device within FINAL_SYNC_MS. */
  private armSync(): void {
    this.syncTimer ??= setTimeout(() => {
      this.syncTimer = null;
      void this.syncLazy(false);
    }, FINAL_SYNC_MS).unref();
  }

  /**
   * Puts the charge rows written without a sync on the device (on the thread pool). `now`: at a
   * rotation or close, after a sync already running, instead of the timer. Rows written during a
   * sync, or a sync that failed (they are still in the page cache: a process stop loses nothing),
   * arm the timer again.
   */
  private async syncLazy(now: boolean): Promise<void> {
    if (now) {
      if (this.syncTimer) clearTimeout(this.syncTimer);
      this.syncTimer = null;
      await this.syncing;
    }
    if (!this.dirty || !this.plain || this.syncing) return;
    this.dirty = false;
    this.syncing = this.plain
      .datasync()
      .then(
        () => {
          this.writes.syncs++;
        },
        () => {
          this.dirty = true;
        },
      )
      .finally(() => {
        this.syncing = null;
        if (this.dirty && !this.closed) this.armSync();
      });
    await this.syncing;
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

  /**
   * True while the device has no room for this journal's next file (disk full, quota): the rows of
   * calls in flight still fit in what the current file was prepared with, but no more may be
   * counted on. The gateway then admits no call it would charge while the database cannot take
   * charges either (billing/policy.ts); tried again every ROOM_RETRY_MS until a file fits.
   */
  get full(): boolean {
    return this.noRoom;
  }

  /** Once this file is half full, the next one is prepared. */
  private prepareNext(): void {
    if (this.bytes * 2 < this.size || this.next || this.closed) return;
    const next = this.prepare(this.seq + 1, this.rotateBytes);
    next.then(
      () => {
        this.noRoom = false;
      },
      () => {
        // Not kept for the rotation: it prepares again (or fails at once while there is no room).
        if (this.next === next) this.next = null;
        this.lacksRoom();
      },
    );
    this.next = next;
  }

  /**
   * A file could not be prepared: the rotation that needs it would fail the same way, so it is
   * prepared again in ROOM_RETRY_MS (a rotation meanwhile prepares it itself).
   */
  private lacksRoom(): void {
    this.noRoom = true;
    if (this.roomTimer || this.closed) return;
    this.roomTimer = setTimeout(() => {
      this.roomTimer = null;
      this.prepareNext();
    }, ROOM_RETRY_MS);
    this.roomTimer.unref();
  }

  private get rotateBytes(): number {
    return this.o.rotateBytes ?? 4 << 20;
  }

  private async rotate(): Promise<void> {
    const old = this.seq;
    // The device had no room a moment ago: failed at once (no write of zeros per group); the
    // retry timer prepares the file when there is room again.
    if (!this.next && this.noRoom) throw new Error('no room on the device for the journal\'s next file');
    const next = this.next ?? this.prepare(old + 1, this.rotateBytes);
    this.next = null;
    try {
      await next;
    } catch (err) {
      this.lacksRoom();
      throw err;
    }
    this.noRoom = false;
    // The old file's charge rows go to the device before its descriptors close.
    await this.syncLazy(true);
    await this.plain?.close();
    await this.fh?.close();
    await this.openFile(old + 1);
    // Deleted now if the database already has all its rows.
    this.count(old, 0);
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
    this.fh = fh;
    this.plain = this.deferred ? await open(this.path(seq), constants.O_WRONLY) : null;
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
  files: string[];
  /** The calls to charge: its charge rows, then the interrupted calls (below). */
  rows: RequestLogRow[];
  /**
   * Of `rows`, calls whose intent is on the device without a charge row, journaled before the
   * machine restarted: the power cut may have lost a charge row written in the last FINAL_SYNC_MS,
   * so each is charged its reservation (the most it could cost), marked `interrupted`.
   */
  interrupted: number;
}

/** The log row of a call in flight when the machine restarted (see `OrphanJournal.interrupted`). */
function interruptedCall(row: RequestLogRow, reserved: number): RequestLogRow {
  return {
    ...row,
    cost: reserved,
    status: 0,
    error_code: 'interrupted',
    error_message: 'The gateway\'s machine restarted while this call was in flight; whether it was answered is not known, so it was charged its reservation (the most it could cost).',
  };
}

/**
 * Journals of owners that are no longer running: their lock names a process that is gone (or this
 * process, under an owner it no longer writes), or the lock is missing. Rows are read in order (the
 * zeros a file was prepared with are no rows, and a NUL ends a row: JSON escapes it in text, so
 * what follows a run of zeros — a page of unsynced rows a power cut lost — starts a row of its
 * own); a torn line (the process died mid-write, before its fsync) is skipped — its call never
 * completed, since a call completes only after its row is written.
 *
 * An intent without its charge row: on the same boot of the machine the process was killed and its
 * page cache survived, so the call never completed (nothing to charge); after a restart, see
 * `OrphanJournal.interrupted`.
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
    if (LIVE.has(owner) || stillRuns(o, boot)) continue;
    o.files.sort((a, b) => seqOf(a) - seqOf(b));
    const rows: RequestLogRow[] = [];
    const charged = new Set<string>();
    const intents = new Map<string, { row: RequestLogRow; reserved: number }>();
    for (const f of o.files) {
      let text: string;
      try {
        text = await readFile(join(dir, f), 'utf8');
      } catch (err) {
        // Deleted since the listing: its rows were all in the database.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      for (const line of text.split(/[\n\0]+/)) {
        if (!line) continue;
        let v: RequestLogRow | { intent: RequestLogRow; reserved: number };
        try {
          v = JSON.parse(line);
        } catch {
          continue; // a torn line: see above
        }
        if ('intent' in v) intents.set(v.intent.id, { row: v.intent, reserved: Number(v.reserved) || 0 });
        else {
          rows.push(v);
          charged.add(v.id);
        }
      }
    }
    // A lock without a boot id is from before intents were written (the process writes no intents
    // where it cannot read one): nothing to decide then.
    const restarted = o.boot !== null && o.boot !== boot;
    let interrupted = 0;
    if (restarted)
      for (const [id, i] of intents)
        if (!charged.has(id) && i.reserved > 0) {
          rows.push(interruptedCall(i.row, i.reserved));
          interrupted++;
        }
    out.push({ owner, pid: o.pid, files: [...o.files.map((f) => join(dir, f)), join(dir, `${owner}.lock`)], rows, interrupted });
  }
  return out;
}

function seqOf(name: string): number {
  return Number(/\.(\d+)\.jsonl$/.exec(name)?.[1] ?? 0);
}

/** The machine's boot id (Linux): it changes when the machine restarts; null where it cannot be read. */
function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/**
 * Whether the other process a lock names may still be writing its journal. One of an earlier boot
 * of the machine is gone, whatever runs under its pid now (pids are reused after a restart).
 */
function stillRuns(lock: { pid: number | null; boot: string | null }, boot: string | null): boolean {
  if (lock.pid === null || lock.pid === process.pid) return false;
  if (boot !== null && lock.boot !== null && lock.boot !== boot) return false;
  return alive(lock.pid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

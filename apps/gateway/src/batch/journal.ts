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
 * Layout in `dir`: `<owner>.lock` (the process that writes: pid, owner name and the machine's boot
 * id, so that after a restart a pid now used by another process does not keep its journal unread) and
 * `<owner>.<n>.jsonl` (one JSON row per line, then zeros to the file's prepared size).
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
}

/** The first file's size: a process that serves a few calls and stops should not write 4 MiB of zeros. */
const FIRST_FILE_BYTES = 256 << 10;
/** Zeros are written in pieces of this size. */
const ZERO_PIECE = 256 << 10;

/** An inline write slower than this pauses inline writes (ms; `journalInlineMaxMs`). */
export const INLINE_SLOW_MS = 20;
/** How long a slow inline write keeps writes on the thread pool (ms). */
export const INLINE_PAUSE_MS = 10_000;
/** Weight of the last inline write in the smoothed duration the busy rule reads. */
const INLINE_SMOOTHING = 0.25;

/** Owners whose journal this process is writing now (several gateways may run in one test process). */
const LIVE = new Set<string>();

export class Journal {
  private fh: FileHandle | null = null;
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
  /** The recent inline writes' smoothed duration (ms); null until one was made. */
  private inlineMs: number | null = null;
  /** Writes made so far, by path (for tests). */
  readonly writes = { inline: 0, groups: 0 };

  private constructor(private readonly o: JournalOptions) {}

  static async open(o: JournalOptions): Promise<Journal> {
    ensurePrivateDir(o.dir);
    LIVE.add(o.owner);
    await writeFile(join(o.dir, `${o.owner}.lock`), JSON.stringify({ pid: process.pid, owner: o.owner, started: Date.now(), boot: bootId() }), { mode: 0o600 });
    const j = new Journal(o);
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

  /** Appends the row; resolves once it is on disk (fsync'd with its group). */
  append(row: RequestLogRow): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the journal is closed'));
    this.fileOf.set(row.id, this.seq);
    this.outstanding.set(this.seq, (this.outstanding.get(this.seq) ?? 0) + 1);
    this.queue.push(JSON.stringify(row) + '\n');
    this.queueIds.push(row.id);
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.writing) this.writing = this.drain(this.inlineNext(true));
    return p;
  }

  /** The database has these rows: files whose rows are all committed are deleted. */
  committed(ids: readonly string[]): void {
    for (const id of ids) {
      const seq = this.fileOf.get(id);
      if (seq === undefined) continue;
      this.fileOf.delete(id);
      this.count(seq, -1);
    }
  }

  /**
   * A group is going into the current file: its rows were counted in the file that was current
   * when they were appended, which a rotation since may have closed (those the database has not
   * taken yet move).
   */
  private assign(ids: readonly string[]): void {
    for (const id of ids) {
      const seq = this.fileOf.get(id);
      if (seq === undefined || seq === this.seq) continue;
      this.fileOf.set(id, this.seq);
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

  /** Rows written here and not yet committed (for tests and `billing check`). */
  get pending(): number {
    return this.fileOf.size;
  }

  /**
   * Waits for the last group, then closes. When every row reached the database the files and the
   * lock go; otherwise they stay for the next start to replay.
   */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing) await this.writing.catch(() => undefined);
    await this.next?.catch(() => undefined);
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
    if (this.fileOf.size === 0) {
      for (const seq of [...this.outstanding.keys(), this.seq, this.seq + 1]) await rm(this.path(seq), { force: true });
      await rm(join(this.o.dir, `${this.o.owner}.lock`), { force: true });
    }
    LIVE.delete(this.o.owner);
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
        // Rows that came meanwhile had other calls beside them: the thread pool's, unless the device is quick.
        inline = this.inlineNext(false);
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
      this.inlineMs = this.inlineMs === null ? took : this.inlineMs + (took - this.inlineMs) * INLINE_SMOOTHING;
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
  rows: RequestLogRow[];
}

/**
 * Journals of owners that are no longer running: their lock names a process that is gone (or this
 * process, under an owner it no longer writes), or the lock is missing. Rows are read in order (the
 * zeros a file was prepared with are no rows); a torn line (the process died mid-write, before its
 * fsync) is skipped — its call never completed, since a call completes only after its row is on
 * disk.
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
        try {
          rows.push(JSON.parse(line) as RequestLogRow);
        } catch {
          // a torn line: see above
        }
      }
    }
    out.push({ owner, pid: o.pid, files: [...o.files.map((f) => join(dir, f)), join(dir, `${owner}.lock`)], rows });
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

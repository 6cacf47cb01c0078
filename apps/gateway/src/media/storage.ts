import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { imageType } from './image-bytes.js';
import { S3Client, type S3Config } from './s3.js';
import type { UrlSigner } from './signing.js';

/** Where generated images live until their links expire. */
export interface ImageStore {
  put(name: string, data: Buffer, contentType: string): Promise<void>;
  get(name: string): Promise<{ data: Buffer; contentType: string } | null>;
  close(): Promise<void>;
}

/** Stored names are ours alone: random, with the image type's extension. Anything else is refused before I/O. */
export const STORED_NAME = /^[A-Za-z0-9_-]{22}\.(png|jpg|webp|gif)$/;

const CONTENT_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' };

/**
 * Images as files in a folder (`<data>/images` by default). Files older than the link lifetime can
 * no longer be reached through any link, so a sweep removes them.
 */
export class FileImageStore implements ImageStore {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly dir: string,
    private readonly maxAgeMs: number,
    sweepEveryMs = 10 * 60_000,
  ) {
    this.timer = setInterval(() => void this.sweep().catch(() => undefined), sweepEveryMs);
    this.timer.unref();
  }

  async put(name: string, data: Buffer): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Written under a temporary name and renamed, so a reader never sees half an image.
    const tmp = join(this.dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(tmp, data, { mode: 0o600 });
    await rename(tmp, join(this.dir, name));
  }

  async get(name: string): Promise<{ data: Buffer; contentType: string } | null> {
    if (!STORED_NAME.test(name)) return null;
    try {
      const data = await readFile(join(this.dir, name));
      return { data, contentType: CONTENT_TYPES[name.split('.').pop()!] };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Deletes images (and abandoned temporary files) older than the link lifetime. */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    for (const name of names) {
      const path = join(this.dir, name);
      const s = await stat(path).catch(() => null);
      if (s && s.isFile() && now - s.mtimeMs > this.maxAgeMs) {
        await unlink(path).catch(() => undefined);
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }
}

/** Images in an S3-compatible bucket (AWS, MinIO, R2...). Expiry there is the bucket's lifecycle rule. */
export class S3ImageStore implements ImageStore {
  private readonly client: S3Client;

  constructor(
    cfg: S3Config,
    private readonly prefix = 'images/',
  ) {
    this.client = new S3Client(cfg);
  }

  put(name: string, data: Buffer, contentType: string): Promise<void> {
    return this.client.put(this.prefix + name, data, contentType);
  }

  async get(name: string): Promise<{ data: Buffer; contentType: string } | null> {
    if (!STORED_NAME.test(name)) return null;
    return this.client.get(this.prefix + name);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Stores an image and hands out the gateway's own signed link to it. */
export class ImageLinks {
  constructor(
    private readonly store: ImageStore,
    private readonly signer: UrlSigner,
    private readonly ttlSeconds: number,
  ) {}

  /** Stores the bytes; returns the path and query of a link valid for the configured lifetime. */
  async save(data: Buffer, now = Date.now()): Promise<string> {
    const type = imageType(data) ?? { ext: 'png' as const, contentType: 'image/png' };
    const name = `${randomBytes(16).toString('base64url')}.${type.ext}`;
    await this.store.put(name, data, type.contentType);
    const exp = Math.floor(now / 1000) + this.ttlSeconds;
    return `/files/images/${name}?${this.signer.query(name, exp)}`;
  }

  check(name: string, exp: unknown, sig: unknown): ReturnType<UrlSigner['check']> {
    return this.signer.check(name, exp, sig);
  }

  get(name: string) {
    return this.store.get(name);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

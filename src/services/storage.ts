import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Private file storage for the products' downloadable files. Keys are made by the server
 * (never a client's file name). Local disk under ./data is the no-config default; S3 (or an
 * S3-compatible service) is the production choice.
 */
export interface FileStorage {
  readonly kind: 'local' | 's3';
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  size(key: string): Promise<number | undefined>;
  /**
   * Bytes start..end (inclusive) or the whole file. Resolves only once the first bytes are in
   * hand (or the file proved empty), so a missing or unreadable file, or an S3 error, rejects
   * here, before anything is counted or sent.
   */
  read(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /**
   * Streams a body into a new object without holding it in memory (uploads of up to gigabytes);
   * resolves with its size once it is stored whole. A failed or cut-off stream leaves nothing.
   */
  putStream(key: string, body: Readable, contentType: string): Promise<{ size: number }>;
  /** Deletes an object; deleting one that is not there is not an error. */
  delete(key: string): Promise<void>;
  /** A short-lived signed GET URL that downloads the object as an attachment (S3 only). */
  presign?(key: string, opts: { fileName: string; expiresInSeconds: number }): Promise<string>;
}

/** A Content-Disposition value with a plain-ASCII fallback and the real name in RFC 5987 form. */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9._-]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export const SAFE_KEY = /^[a-z0-9][a-z0-9/_.-]{0,300}$/;

/**
 * Resolves with the stream once it has bytes buffered (or has ended); rejects, and closes it, if
 * it fails before that. Opening is not enough: a directory opens and only its first read fails,
 * and S3 may answer the headers and then break the body.
 */
export function firstBytes(stream: Readable): Promise<Readable> {
  return new Promise((resolve, reject) => {
    const done = () => {
      stream.off('readable', onReadable);
      stream.off('error', onError);
    };
    const onReadable = () => {
      done();
      // Until the caller pipes it (after a database transaction), a late error must not be an
      // unhandled 'error' event that ends the process; the caller's pipeline still sees it.
      stream.on('error', () => undefined);
      resolve(stream);
    };
    const onError = (err: Error) => {
      done();
      stream.destroy();
      reject(err);
    };
    stream.on('readable', onReadable);
    stream.on('error', onError);
  });
}

export function createLocalStorage(root: string): FileStorage {
  const resolve = (key: string) => {
    if (!SAFE_KEY.test(key) || key.includes('..')) throw new Error(`unsafe storage key: ${key}`);
    return path.join(root, key);
  };
  return {
    kind: 'local',
    async put(key, body) {
      const file = resolve(key);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, body);
    },
    async size(key) {
      try {
        return (await stat(resolve(key))).size;
      } catch {
        return undefined;
      }
    },
    async read(key, range) {
      const handle = await open(resolve(key), 'r');
      return firstBytes(handle.createReadStream(range ? { start: range.start, end: range.end } : {}));
    },
    async putStream(key, body) {
      const file = resolve(key);
      await mkdir(path.dirname(file), { recursive: true });
      // Written beside its final name and renamed when whole, so a reader never sees half a file.
      const partial = `${file}.${randomUUID()}.part`;
      const counter = byteCounter();
      try {
        await pipeline(body, counter, createWriteStream(partial, { flags: 'wx' }));
        await rename(partial, file);
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
      return { size: counter.bytes };
    },
    async delete(key) {
      await rm(resolve(key), { force: true });
    },
  };
}

/** A pass-through stream that counts what goes through it. */
export function byteCounter(): Transform & { bytes: number } {
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      t.bytes += chunk.length;
      cb(null, chunk);
    },
  }) as Transform & { bytes: number };
  t.bytes = 0;
  return t;
}

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** For S3-compatible services (MinIO, R2, s3rver in tests). */
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle?: boolean;
}

/**
 * Private objects in an S3 bucket (no public ACLs: files leave only through the download route).
 * The AWS SDK (about 20 MB of memory) loads on first use, so a store on local disk never pays for it.
 */
export function createS3Storage(opts: S3StorageOptions): FileStorage {
  let loaded: Promise<FileStorage> | undefined;
  const s3 = () => (loaded ??= import('./storage-s3.js').then((m) => m.createS3StorageNow(opts)));
  return {
    kind: 's3',
    put: async (key, body, contentType) => (await s3()).put(key, body, contentType),
    size: async (key) => (await s3()).size(key),
    read: async (key, range) => (await s3()).read(key, range),
    putStream: async (key, body, contentType) => (await s3()).putStream(key, body, contentType),
    delete: async (key) => (await s3()).delete(key),
    presign: async (key, p) => (await s3()).presign!(key, p),
  };
}

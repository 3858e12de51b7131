import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { byteCounter, firstBytes, SAFE_KEY, type S3StorageOptions } from './storage.js';

/**
 * Where database backups live: the store's private S3 bucket under `backups/` (multipart upload,
 * server-side encrypted) when S3 is configured, else a local folder (BACKUP_DIR, default
 * data/backups). Keys always start with `backups/`; on disk that prefix is the folder itself.
 * Backups hold personal data, so nothing here makes a public or presigned URL.
 */
export interface BackupStorage {
  readonly kind: 'local' | 's3';
  /** Streams a body into a new object (never held whole in memory); a failed stream leaves nothing. */
  putStream(key: string, body: Readable): Promise<{ size: number }>;
  putJson(key: string, value: unknown): Promise<void>;
  /** Resolves once the first bytes are in hand, so a missing object rejects here. */
  read(key: string): Promise<Readable>;
  readJson<T>(key: string): Promise<T>;
  /** Deleting an object that is not there is not an error. */
  delete(key: string): Promise<void>;
}

export const BACKUP_PREFIX = 'backups/';

export function checkBackupKey(key: string): string {
  if (!key.startsWith(BACKUP_PREFIX) || !SAFE_KEY.test(key) || key.includes('..')) throw new Error(`not a backup key: ${key}`);
  return key;
}

export function createLocalBackupStorage(dir: string): BackupStorage {
  const file = (key: string) => path.join(dir, checkBackupKey(key).slice(BACKUP_PREFIX.length));
  return {
    kind: 'local',
    async putStream(key, body) {
      const target = file(key);
      await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      const partial = `${target}.${randomUUID()}.part`;
      const counter = byteCounter();
      try {
        // Owner-only: a backup holds every customer's data.
        await pipeline(body, counter, createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
        await rename(partial, target);
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
      return { size: counter.bytes };
    },
    async putJson(key, value) {
      const target = file(key);
      await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await writeFile(`${target}.tmp`, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
      await rename(`${target}.tmp`, target);
    },
    async read(key) {
      const handle = await open(file(key), 'r');
      return firstBytes(handle.createReadStream());
    },
    async readJson<T>(key: string) {
      return JSON.parse(await readFile(file(key), 'utf8')) as T;
    },
    async delete(key) {
      await rm(file(key), { force: true });
    },
  };
}

/** S3 storage for backups; the AWS SDK loads on first use. */
export function createS3BackupStorage(opts: S3StorageOptions & { sse: 'AES256' | 'aws:kms' | 'none' }): BackupStorage {
  let loaded: Promise<BackupStorage> | undefined;
  const s3 = () => (loaded ??= import('./backup-storage-s3.js').then((m) => m.createS3BackupStorageNow(opts)));
  return {
    kind: 's3',
    putStream: async (key, body) => (await s3()).putStream(key, body),
    putJson: async (key, value) => (await s3()).putJson(key, value),
    read: async (key) => (await s3()).read(key),
    readJson: async <T>(key: string) => (await s3()).readJson<T>(key),
    delete: async (key) => (await s3()).delete(key),
  };
}

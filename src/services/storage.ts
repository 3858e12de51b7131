import { createReadStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
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
  /** Bytes start..end (inclusive) or the whole file. */
  read(key: string, range?: { start: number; end: number }): Promise<Readable>;
}

const SAFE_KEY = /^[a-z0-9][a-z0-9/_.-]{0,300}$/;

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
      return createReadStream(resolve(key), range ? { start: range.start, end: range.end } : {});
    },
  };
}

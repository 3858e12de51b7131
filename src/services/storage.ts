import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

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
  /** A short-lived signed GET URL that downloads the object as an attachment (S3 only). */
  presign?(key: string, opts: { fileName: string; expiresInSeconds: number }): Promise<string>;
}

/** A Content-Disposition value with a plain-ASCII fallback and the real name in RFC 5987 form. */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9._-]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

const SAFE_KEY = /^[a-z0-9][a-z0-9/_.-]{0,300}$/;

/**
 * Resolves with the stream once it has bytes buffered (or has ended); rejects, and closes it, if
 * it fails before that. Opening is not enough: a directory opens and only its first read fails,
 * and S3 may answer the headers and then break the body.
 */
function firstBytes(stream: Readable): Promise<Readable> {
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
  };
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

/** Private objects in an S3 bucket (no public ACLs: files leave only through the download route). */
export function createS3Storage(opts: S3StorageOptions): FileStorage {
  const client = new S3Client({
    region: opts.region,
    endpoint: opts.endpoint,
    forcePathStyle: opts.forcePathStyle ?? Boolean(opts.endpoint),
    credentials: opts.accessKeyId && opts.secretAccessKey ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey } : undefined,
  });
  const check = (key: string) => {
    if (!SAFE_KEY.test(key) || key.includes('..')) throw new Error(`unsafe storage key: ${key}`);
    return key;
  };
  return {
    kind: 's3',
    async put(key, body, contentType) {
      await client.send(new PutObjectCommand({ Bucket: opts.bucket, Key: check(key), Body: body, ContentType: contentType }));
    },
    async size(key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: opts.bucket, Key: check(key) }));
        return head.ContentLength;
      } catch (err) {
        if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
        throw err;
      }
    },
    async read(key, range) {
      const res = await client.send(new GetObjectCommand({ Bucket: opts.bucket, Key: check(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined }));
      return firstBytes(res.Body as Readable);
    },
    async presign(key, p) {
      const command = new GetObjectCommand({ Bucket: opts.bucket, Key: check(key), ResponseContentDisposition: attachmentDisposition(p.fileName), ResponseContentType: 'application/octet-stream' });
      return getSignedUrl(client, command, { expiresIn: p.expiresInSeconds });
    },
  };
}

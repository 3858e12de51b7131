import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, type ServerSideEncryption } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { checkBackupKey, type BackupStorage } from './backup-storage.js';
import { byteCounter, firstBytes, type S3StorageOptions } from './storage.js';

/** Backups in the private bucket; backup-storage.ts loads this module on first use. */
export function createS3BackupStorageNow(opts: S3StorageOptions & { sse: 'AES256' | 'aws:kms' | 'none' }): BackupStorage {
  const client = new S3Client({
    region: opts.region,
    endpoint: opts.endpoint,
    forcePathStyle: opts.forcePathStyle ?? Boolean(opts.endpoint),
    credentials: opts.accessKeyId && opts.secretAccessKey ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey } : undefined,
  });
  // Encrypted at rest by S3 (SSE-S3 or the account's KMS key); 'none' for services without it.
  const sse = opts.sse === 'none' ? {} : { ServerSideEncryption: opts.sse as ServerSideEncryption };
  return {
    kind: 's3',
    async putStream(key, body) {
      // Multipart in 8 MB parts, two at a time: memory stays flat whatever the database's size.
      const counter = byteCounter();
      body.on('error', (err) => counter.destroy(err));
      const upload = new Upload({
        client,
        params: { Bucket: opts.bucket, Key: checkBackupKey(key), Body: body.pipe(counter), ContentType: 'application/gzip', ...sse },
        partSize: 8 * 1024 * 1024,
        queueSize: 2,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (err) {
        // The producer must learn of it too, or it would wait for a reader forever.
        body.destroy(err as Error);
        throw err;
      }
      return { size: counter.bytes };
    },
    async putJson(key, value) {
      await client.send(new PutObjectCommand({ Bucket: opts.bucket, Key: checkBackupKey(key), Body: `${JSON.stringify(value, null, 2)}\n`, ContentType: 'application/json', ...sse }));
    },
    async read(key) {
      const res = await client.send(new GetObjectCommand({ Bucket: opts.bucket, Key: checkBackupKey(key) }));
      return firstBytes(res.Body as Readable);
    },
    async readJson<T>(key: string) {
      const res = await client.send(new GetObjectCommand({ Bucket: opts.bucket, Key: checkBackupKey(key) }));
      return JSON.parse(await res.Body!.transformToString('utf8')) as T;
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: opts.bucket, Key: checkBackupKey(key) }));
    },
  };
}

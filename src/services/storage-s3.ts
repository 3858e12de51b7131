import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { attachmentDisposition, byteCounter, firstBytes, SAFE_KEY, type FileStorage, type S3StorageOptions } from './storage.js';

/** The S3 storage itself; storage.ts loads this module on first use. */
export function createS3StorageNow(opts: S3StorageOptions): FileStorage {
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
    async putStream(key, body, contentType) {
      // A multipart upload in 8 MB parts, four at a time: memory stays flat however large the
      // file. An upload that fails is aborted, so no parts are left behind.
      const counter = byteCounter();
      body.on('error', (err) => counter.destroy(err));
      const upload = new Upload({ client, params: { Bucket: opts.bucket, Key: check(key), Body: body.pipe(counter), ContentType: contentType }, partSize: 8 * 1024 * 1024, queueSize: 4, leavePartsOnError: false });
      await upload.done();
      return { size: counter.bytes };
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: opts.bucket, Key: check(key) }));
    },
    async presign(key, p) {
      const command = new GetObjectCommand({ Bucket: opts.bucket, Key: check(key), ResponseContentDisposition: attachmentDisposition(p.fileName), ResponseContentType: 'application/octet-stream' });
      return getSignedUrl(client, command, { expiresIn: p.expiresInSeconds });
    },
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { freePort } from './database.js';

/** An S3-compatible server (s3rver) on localhost with one empty bucket. */
export async function startS3(bucket = 'store-files'): Promise<{ env: NodeJS.ProcessEnv; directory: string; close: () => Promise<void> }> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'store-s3-'));
  const port = await freePort();
  const server = new S3rver({ port, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  await server.run();
  return {
    env: { S3_BUCKET: bucket, S3_REGION: 'ap-south-1', S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' },
    /** Where s3rver keeps the objects (tests that need a broken object reach in here). */
    directory,
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

import { randomUUID } from 'node:crypto';
import { Transform } from 'node:stream';
import type { Request, RequestHandler, Response } from 'express';
import multer, { type StorageEngine } from 'multer';
import { AppError, PayloadTooLargeError, ValidationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { checkCsrfNow } from '../../middleware/csrf.js';
import { IMAGE_MAX_BYTES } from '../../services/image-service.js';
import type { FileStorage } from '../../services/storage.js';

/**
 * Admin uploads: a product's image and its downloadable file, from one multipart form.
 *
 * - The image (at most 5 MB) is kept in memory for the image service to check and re-encode.
 * - The product file streams straight into storage (disk, or an S3 multipart upload) under a
 *   key the server makes, so a 2 GB course never sits in the web process's memory.
 * - The CSRF token is a field of the form, so it is checked once multer has read the form.
 * - Whatever was stored is deleted when the response ends, unless the route kept it
 *   (`keepUploads`): a refusal for any reason (a bad field, a wrong token, a database error, a
 *   limit) leaves nothing behind.
 */

/** The form posts that carry files: the app's CSRF check leaves them to this module. */
const UPLOAD_ROUTES = [/^\/admin\/products$/, /^\/admin\/products\/\d{1,10}$/, /^\/admin\/testimonials$/, /^\/admin\/testimonials\/\d{1,10}$/];
export const isUploadRequest = (req: Request) => req.method === 'POST' && UPLOAD_ROUTES.some((r) => r.test(req.path));

export interface UploadedImage {
  buffer: Buffer;
  originalName: string;
}
export interface UploadedFile {
  key: string;
  size: number;
  originalName: string;
  contentType: string;
}
export interface Uploads {
  image?: UploadedImage;
  file?: UploadedFile;
}

type StoredInfo = { buffer?: Buffer; key?: string; size: number };

/** A multer engine: images into memory (capped), product files into FileStorage as they arrive. */
function uploadEngine(storage: FileStorage, maxFileBytes: number, maxFileMb: number): StorageEngine {
  return {
    _handleFile(_req, file, cb) {
      if (file.fieldname === 'image') {
        const chunks: Buffer[] = [];
        let size = 0;
        file.stream.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > IMAGE_MAX_BYTES) {
            file.stream.destroy();
            cb(new PayloadTooLargeError('Images can be at most 5 MB.'));
            return;
          }
          chunks.push(chunk);
        });
        file.stream.on('error', (err) => cb(err));
        file.stream.on('end', () => {
          if (size <= IMAGE_MAX_BYTES) cb(null, { buffer: Buffer.concat(chunks), size } as never);
        });
        return;
      }
      const key = `files/${randomUUID()}`;
      // Each kind has its own limit; past it the stream fails and storage keeps nothing of it.
      let size = 0;
      const capped = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          done(size > maxFileBytes ? new PayloadTooLargeError(`Product files can be at most ${maxFileMb.toLocaleString('en-IN')} MB.`) : null, chunk);
        },
      });
      file.stream.on('error', (err) => capped.destroy(err));
      storage.putStream(key, file.stream.pipe(capped), 'application/octet-stream').then(
        ({ size }) => cb(null, { key, size } as never),
        (err: Error) => cb(err),
      );
    },
    _removeFile(_req, file, cb) {
      const key = (file as unknown as StoredInfo).key;
      if (!key) return cb(null);
      storage.delete(key).then(() => cb(null), cb);
    },
  };
}

/** Multer's limits as the messages an admin reads. */
function uploadError(err: unknown, maxFileMb: number): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof multer.MulterError) {
    switch (err.code) {
      case 'LIMIT_FILE_SIZE':
        return new PayloadTooLargeError(`Product files can be at most ${maxFileMb.toLocaleString('en-IN')} MB.`);
      case 'LIMIT_FILE_COUNT':
      case 'LIMIT_UNEXPECTED_FILE':
      case 'LIMIT_PART_COUNT':
        return new PayloadTooLargeError('Send one image and one product file at most.');
      case 'LIMIT_FIELD_VALUE':
      case 'LIMIT_FIELD_COUNT':
      case 'LIMIT_FIELD_KEY':
        return new PayloadTooLargeError('The form has too many or too long fields.');
    }
  }
  return new ValidationError('The upload could not be read. Please try again.');
}

/**
 * Reads a product form with its files, then checks its CSRF token. Puts `req.uploads`. Wrap the
 * route's handler in withUploads, which deletes them unless the handler kept them.
 */
export function productUpload(deps: { storage: FileStorage; maxFileBytes: number; logger: Logger }): RequestHandler {
  const maxFileMb = Math.round(deps.maxFileBytes / 1024 / 1024);
  const parse = multer({
    storage: uploadEngine(deps.storage, deps.maxFileBytes, maxFileMb),
    // A backstop; the engine applies each field's own limit (5 MB images, maxFileBytes files).
    limits: { fileSize: Math.max(deps.maxFileBytes, IMAGE_MAX_BYTES) + 1, files: 2, fields: 40, parts: 42, fieldSize: 64 * 1024 },
  }).fields([
    { name: 'image', maxCount: 1 },
    { name: 'file', maxCount: 1 },
  ]);

  return (req, res, next) => {
    // Multer deletes what it stored when it fails itself; everything after is ours to undo.
    parse(req, res, (err?: unknown) => {
      if (err) return next(uploadError(err, maxFileMb));
      const files = (req.files ?? {}) as Record<string, (Express.Multer.File & StoredInfo)[]>;
      const image = files.image?.[0];
      const file = files.file?.[0];
      const uploads: Uploads = {};
      if (image && image.size > 0) uploads.image = { buffer: image.buffer!, originalName: image.originalname };
      if (file) uploads.file = { key: file.key!, size: file.size, originalName: file.originalname, contentType: file.mimetype };
      (req as Request & { uploads?: Uploads }).uploads = uploads;
      const refuse = (e: unknown) => void discard(uploads, deps).then(() => next(e));
      if (file && file.size === 0) return refuse(new ValidationError('Please check the product file.', { file: 'The product file is empty.' }));
      checkCsrfNow(req, res, (csrfErr?: unknown) => (csrfErr ? refuse(csrfErr) : next()));
    });
  };
}

export const uploadsOf = (req: Request): Uploads => (req as Request & { uploads?: Uploads }).uploads ?? {};

/** Deletes a request's stored product file (images are stored later, by the image service). */
async function discard(uploads: Uploads, deps: { storage: FileStorage; logger: Logger }) {
  if (uploads.file) await deps.storage.delete(uploads.file.key).catch((err: unknown) => deps.logger.warn({ err, key: uploads.file?.key }, 'could not delete a refused upload'));
}

/**
 * Runs an upload route's handler; unless it set `res.locals.keepUploads` (its product was
 * saved), the stored file is deleted when it ends, whether it answered or threw.
 */
export function withUploads(deps: { storage: FileStorage; logger: Logger }, handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return async (req, res, next) => {
    try {
      await handler(req, res);
    } catch (err) {
      next(err);
    } finally {
      if (!res.locals.keepUploads) await discard(uploadsOf(req), deps);
    }
  };
}

import { randomUUID } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { ValidationError } from '../lib/errors.js';
import type { FileStorage } from './storage.js';

/** The widths product images are stored in: cards use 400/800, the product page 800/1200. */
export const IMAGE_WIDTHS = [400, 800, 1200] as const;
export const IMAGE_MAX_BYTES = 5 * 1024 * 1024;
/** Types a shopper's browser shows; checked by the bytes, whatever the name or the browser says. */
const ACCEPTED = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/avif']);
/** A decompression bomb (a small file that decodes to gigapixels) stops here. */
const MAX_INPUT_PIXELS = 40_000_000;

export const imageUrl = (imageKey: string, width: number) => `/media/${imageKey}-${width}.webp`;
export const imageSrcset = (imageKey: string) => IMAGE_WIDTHS.map((w) => `${imageUrl(imageKey, w)} ${w}w`).join(', ');
/** The storage keys of one stored image, every width. */
export const imageObjectKeys = (imageKey: string) => IMAGE_WIDTHS.map((w) => `${imageKey}-${w}.webp`);
/** A public image name as it appears in /media URLs: the server's own key format only. */
export const MEDIA_NAME = /^images\/[0-9a-f-]{36}-(400|800|1200)\.webp$/;

/**
 * Product images: checked by their bytes (JPEG, PNG, WebP or AVIF; SVG and everything else
 * refused, since an SVG can carry script), re-encoded by sharp to WebP in the widths the pages
 * use, with metadata stripped. Re-encoding also means no byte of the upload is ever served.
 */
export function createImageService(deps: { storage: FileStorage }) {
  return {
    /** Stores every width; returns the key they share. Throws a ValidationError on field `image`. */
    async store(upload: Buffer): Promise<{ imageKey: string }> {
      if (upload.length === 0) throw new ValidationError('Please check the image.', { image: 'The image file is empty.' });
      if (upload.length > IMAGE_MAX_BYTES) throw new ValidationError('Please check the image.', { image: 'Images can be at most 5 MB.' });
      const type = await fileTypeFromBuffer(upload);
      if (!type || !ACCEPTED.has(type.mime)) throw new ValidationError('Please check the image.', { image: 'Use a JPEG, PNG, WebP or AVIF image (SVG and other files are not accepted).' });
      const imageKey = `images/${randomUUID()}`;
      const stored: string[] = [];
      try {
        const source = sharp(upload, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' }).rotate();
        for (const width of IMAGE_WIDTHS) {
          const webp = await source.clone().resize({ width, withoutEnlargement: true }).webp({ quality: 80 }).toBuffer();
          const key = `${imageKey}-${width}.webp`;
          await deps.storage.put(key, webp, 'image/webp');
          stored.push(key);
        }
      } catch (err) {
        await Promise.allSettled(stored.map((k) => deps.storage.delete(k)));
        if (err instanceof ValidationError) throw err;
        throw new ValidationError('Please check the image.', { image: 'That image could not be read. Try saving it again as JPEG or PNG.' });
      }
      return { imageKey };
    },

    async remove(imageKey: string): Promise<void> {
      await Promise.allSettled(imageObjectKeys(imageKey).map((k) => deps.storage.delete(k)));
    },
  };
}

export type ImageService = ReturnType<typeof createImageService>;

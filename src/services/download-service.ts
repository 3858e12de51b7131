import type { Readable } from 'node:stream';
import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import { parseDevice } from '../lib/device.js';
import { downloadKey, readDownload, signDownload } from '../lib/download-token.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import type { FileStorage } from './storage.js';

const LINK_TTL_SECONDS = 24 * 3600;

export interface DownloadRequest {
  /** The signed-in user: a link works only for the buyer it was made for. */
  userId: number;
  ip: string;
  userAgent?: string;
  /** A byte range from the Range header; only a request from byte 0 counts as a download. */
  range?: { start: number; end?: number };
}

/**
 * Secure downloads: signed links that expire after 24 hours, a per-purchase download limit,
 * every download logged, refunded purchases refused. Fresh links only for the buyer.
 */
export function createDownloadService(deps: { db: Db; storage: FileStorage; clock: Clock; baseUrl: string; dataKey: Buffer }) {
  const { db, storage, clock } = deps;
  const key = downloadKey(deps.dataKey);

  function linkFor(entitlementId: number, userId: number): string {
    const expiresAt = Math.floor(clock.now().getTime() / 1000) + LINK_TTL_SECONDS;
    return `${deps.baseUrl}/downloads/${signDownload(key, { entitlementId, userId, expiresAt })}`;
  }

  return {
    linkFor,

    /**
     * Checks a link and opens the file. Throws 404 for a forged or unknown link, 410 with a code
     * for expired, used-up or refunded ones (the page then offers the owner a fresh link).
     */
    async open(token: string, req: DownloadRequest): Promise<{ stream: Readable; fileName: string; size: number; start: number; end: number; partial: boolean; entitlementId: number }> {
      const claim = readDownload(key, token);
      if (!claim) throw new NotFoundError('This download link is not valid.');
      const ent = (await db('entitlements as e')
        .join('products as p', 'p.id', 'e.product_id')
        .where('e.id', claim.entitlementId)
        .first('e.id', 'e.user_id', 'e.product_id', 'e.max_downloads', 'e.download_count', 'e.revoked_at', 'p.file_key', 'p.file_name', 'p.slug')) as
        | { id: number; user_id: number; product_id: number; max_downloads: number; download_count: number; revoked_at: Date | null; file_key: string | null; file_name: string | null; slug: string }
        | undefined;
      if (!ent || ent.user_id !== claim.userId || claim.userId !== req.userId) throw new NotFoundError('This download link is not valid.');
      if (ent.revoked_at) throw new AppError(410, 'DOWNLOAD_REVOKED', 'This purchase was refunded, so its downloads have ended.');
      if (claim.expiresAt * 1000 < clock.now().getTime()) throw new AppError(410, 'DOWNLOAD_EXPIRED', 'This download link has expired.');
      if (!ent.file_key) throw new AppError(503, 'FILE_NOT_READY', 'The file for this product is not available yet. Please try again later.');
      const size = await storage.size(ent.file_key);
      if (size === undefined) throw new AppError(503, 'FILE_NOT_READY', 'The file for this product is not available right now. Please try again later.');

      const start = req.range?.start ?? 0;
      const end = Math.min(req.range?.end ?? size - 1, size - 1);
      if (start >= size || start > end) throw new AppError(416, 'RANGE_NOT_SATISFIABLE', 'The requested range is not in the file.');
      if (start === 0) {
        // Count and log atomically; a link past its limit fails here even under parallel clicks.
        const counted = await db('entitlements')
          .where({ id: ent.id })
          .whereNull('revoked_at')
          .andWhere('download_count', '<', db.ref('max_downloads'))
          .increment('download_count', 1);
        if (counted !== 1) throw new AppError(410, 'DOWNLOAD_LIMIT_REACHED', `You have used all ${ent.max_downloads} downloads of this purchase.`);
        const device = parseDevice(req.userAgent);
        await db('downloads').insert({
          entitlement_id: ent.id,
          user_id: ent.user_id,
          product_id: ent.product_id,
          ip: req.ip,
          user_agent: (req.userAgent ?? '').slice(0, 512),
          browser: device.browser,
          os: device.os,
          device_type: device.deviceType,
          created_at: clock.now(),
        });
      }
      const stream = await storage.read(ent.file_key, { start, end });
      return { stream, fileName: ent.file_name ?? `${ent.slug}.pdf`, size, start, end, partial: req.range !== undefined, entitlementId: ent.id };
    },

    /** A new link for the signed-in owner of an entitlement; 404 for anyone else. */
    async freshLink(userId: number, entitlementId: number): Promise<string> {
      const ent = (await db('entitlements').where({ id: entitlementId, user_id: userId }).whereNull('revoked_at').first('id')) as { id: number } | undefined;
      if (!ent) throw new NotFoundError('We could not find that purchase.');
      return linkFor(entitlementId, userId);
    },
  };
}

export type DownloadService = ReturnType<typeof createDownloadService>;

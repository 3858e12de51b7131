import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import parseRange from 'range-parser';
import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import { parseDevice } from '../lib/device.js';
import type { KeyRing } from '../lib/crypto-box.js';
import { downloadKeys, readDownload, signDownload } from '../lib/download-token.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import type { FileStorage } from './storage.js';

const LINK_TTL_SECONDS = 24 * 3600;
/**
 * A resume is a Range request starting after byte 0, for a purchase whose last counted download
 * happened within this window, from the same browser (same User-Agent), for the same version of
 * the file (an If-Range that does not match our ETag turns the request into a whole-file one).
 * It is served and logged (kind 'resume') but not counted: the download it continues was counted.
 * Every other request that gets bytes counts, ranged or not.
 */
export const RESUME_WINDOW_MS = 60 * 60_000;
/** A counted download may be resumed this many times; past that a request counts as a new download. */
export const MAX_RESUMES = 5;

export interface DownloadRequest {
  /** The signed-in user: a link works only for the buyer it was made for. */
  userId: number;
  ip: string;
  userAgent?: string;
  /** HEAD answers the checks and headers only: nothing is counted or sent. */
  method: 'GET' | 'HEAD';
  /** The raw Range header, parsed here with range-parser. */
  rangeHeader?: string;
  /** The raw If-Range header: a range is honoured only for the version of the file it names. */
  ifRange?: string;
}

interface EntitlementFile {
  id: number;
  user_id: number;
  product_id: number;
  max_downloads: number;
  download_count: number;
  revoked_at: Date | null;
  file_key: string | null;
  file_name: string | null;
  slug: string;
}

export type DownloadResult =
  | { kind: 'head'; fileName: string; size: number; etag: string }
  | { kind: 'stream'; stream: Readable; fileName: string; size: number; etag: string; start: number; end: number; partial: boolean; counted: boolean }
  | { kind: 'redirect'; url: string; counted: boolean };

/**
 * Secure downloads: signed links that expire after 24 hours, a per-purchase download limit,
 * every download logged, refunded purchases refused. Every request is checked, ranged or not;
 * the count, the log row and the final checks happen in one transaction holding the purchase's
 * row lock, after the file is open, so a storage failure never uses up a download.
 * With `delivery: 'redirect'` (S3 only) the file comes from a presigned URL that lives minutes,
 * so large files never pass through the web process.
 */
export function createDownloadService(deps: {
  db: Db;
  storage: FileStorage;
  clock: Clock;
  baseUrl: string;
  dataKeys: KeyRing;
  delivery?: 'stream' | 'redirect';
  redirectSeconds?: number;
}) {
  const { db, storage, clock } = deps;
  const key = downloadKeys(deps.dataKeys);
  const delivery = deps.delivery === 'redirect' && storage.presign ? 'redirect' : 'stream';

  function linkFor(entitlementId: number, userId: number): string {
    const expiresAt = Math.floor(clock.now().getTime() / 1000) + LINK_TTL_SECONDS;
    return `${deps.baseUrl}/downloads/${signDownload(key, { entitlementId, userId, expiresAt })}`;
  }

  const findEntitlement = async (id: number, trx: Db | Parameters<Parameters<Db['transaction']>[0]>[0] = db, lock = false) => {
    const q = trx('entitlements as e')
      .join('products as p', 'p.id', 'e.product_id')
      .where('e.id', id)
      .first('e.id', 'e.user_id', 'e.product_id', 'e.max_downloads', 'e.download_count', 'e.revoked_at', 'p.file_key', 'p.file_name', 'p.slug');
    return (await (lock ? q.forUpdate('e') : q)) as EntitlementFile | undefined;
  };

  /** Throws the 410 a dead link deserves: refunded, expired or used up. */
  function assertAlive(ent: EntitlementFile, expiresAt: number, opts: { needsCount: boolean }) {
    if (ent.revoked_at) throw new AppError(410, 'DOWNLOAD_REVOKED', 'This purchase was refunded, so its downloads have ended.');
    if (expiresAt * 1000 < clock.now().getTime()) throw new AppError(410, 'DOWNLOAD_EXPIRED', 'This download link has expired.');
    if (opts.needsCount && ent.download_count >= ent.max_downloads) {
      throw new AppError(410, 'DOWNLOAD_LIMIT_REACHED', `You have used all ${ent.max_downloads} downloads of this purchase.`);
    }
  }

  /**
   * Counts (or recognises a resume of) one download and logs it, in one transaction with the
   * purchase row locked, so parallel requests never pass the limit.
   */
  async function record(ent: EntitlementFile, expiresAt: number, req: DownloadRequest, rangeStart: number): Promise<boolean> {
    return db.transaction(async (trx) => {
      const locked = await findEntitlement(ent.id, trx, true);
      if (!locked) throw new NotFoundError('This download link is not valid.');
      const userAgent = (req.userAgent ?? '').slice(0, 512);
      let resume = false;
      if (rangeStart > 0) {
        const since = new Date(clock.now().getTime() - RESUME_WINDOW_MS);
        const last = (await trx('downloads').where({ entitlement_id: ent.id, kind: 'download' }).andWhere('created_at', '>=', since).orderBy('created_at', 'desc').first('created_at', 'user_agent')) as
          | { created_at: Date; user_agent: string }
          | undefined;
        if (last && last.user_agent === userAgent) {
          const resumes = (await trx('downloads').where({ entitlement_id: ent.id, kind: 'resume' }).andWhere('created_at', '>=', last.created_at).count({ n: '*' }).first()) as { n: string };
          resume = Number(resumes.n) < MAX_RESUMES;
        }
      }
      assertAlive(locked, expiresAt, { needsCount: !resume });
      if (!resume) await trx('entitlements').where({ id: ent.id }).increment('download_count', 1);
      const device = parseDevice(req.userAgent);
      await trx('downloads').insert({
        entitlement_id: ent.id,
        user_id: ent.user_id,
        product_id: ent.product_id,
        ip: req.ip.slice(0, 64),
        user_agent: userAgent,
        browser: device.browser,
        os: device.os,
        device_type: device.deviceType,
        kind: resume ? 'resume' : 'download',
        created_at: clock.now(),
      });
      return !resume;
    });
  }

  return {
    linkFor,
    delivery,

    /**
     * Checks a link and delivers the file. 404 for a forged, unknown or someone else's link;
     * 410 with a code for expired, used-up or refunded ones (the page then offers the owner a
     * fresh link); 416 for a range outside the file; 503 when the file cannot be read.
     */
    async open(token: string, req: DownloadRequest): Promise<DownloadResult> {
      const claim = readDownload(key, token);
      if (!claim) throw new NotFoundError('This download link is not valid.');
      const ent = await findEntitlement(claim.entitlementId);
      if (!ent || ent.user_id !== claim.userId) throw new NotFoundError('This download link is not valid.');
      if (claim.userId !== req.userId) throw new AppError(404, 'DOWNLOAD_OTHER_ACCOUNT', 'This download link belongs to another account. Sign out and sign in with the account that bought it.');
      assertAlive(ent, claim.expiresAt, { needsCount: false });
      const unavailable = new AppError(503, 'FILE_NOT_READY', 'The file for this product is not available right now. Please try again later; your download was not used up.');
      if (!ent.file_key) throw unavailable;
      const size = await storage.size(ent.file_key).catch(() => undefined);
      if (size === undefined) throw unavailable;
      const fileName = ent.file_name ?? `${ent.slug}.pdf`;
      // Keys are made per uploaded file, so key + size is a strong validator: a browser resumes
      // only with one, and a resume must never splice bytes of a replaced file onto an old one.
      const etag = `"${createHash('sha256').update(ent.file_key).digest('hex').slice(0, 16)}-${size}"`;

      // One range is served; several (rare, multipart), a malformed header or an If-Range for
      // another version mean the whole file (RFC 9110 allows ignoring Range).
      const ranges = req.rangeHeader && (req.ifRange === undefined || req.ifRange === etag) ? parseRange(size, req.rangeHeader, { combine: true }) : -2;
      if (ranges === -1) throw new AppError(416, 'RANGE_NOT_SATISFIABLE', 'The requested range is not in the file.');
      const range = Array.isArray(ranges) && ranges.type === 'bytes' && ranges.length === 1 ? ranges[0]! : undefined;
      const start = range?.start ?? 0;
      const end = range?.end ?? size - 1;

      if (req.method === 'HEAD') {
        assertAlive(ent, claim.expiresAt, { needsCount: true });
        return { kind: 'head', fileName, size, etag };
      }
      // From byte 0 it cannot be a resume: refuse a used-up link before touching storage.
      // (The locked transaction below checks again; this only spares a pointless open.)
      if (start === 0) assertAlive(ent, claim.expiresAt, { needsCount: true });
      if (delivery === 'redirect') {
        // Signing is local (no request to S3); done first so nothing is counted if it fails.
        const url = await storage.presign!(ent.file_key, { fileName, expiresInSeconds: deps.redirectSeconds ?? 300 }).catch(() => {
          throw unavailable;
        });
        const counted = await record(ent, claim.expiresAt, req, start);
        return { kind: 'redirect', url, counted };
      }
      // Open the file and wait for its first bytes first: a storage failure here (missing
      // object, S3 error, unreadable file) must not use up a download.
      const stream = await storage.read(ent.file_key, { start, end }).catch(() => {
        throw unavailable;
      });
      try {
        const counted = await record(ent, claim.expiresAt, req, start);
        return { kind: 'stream', stream, fileName, size, etag, start, end, partial: range !== undefined, counted };
      } catch (err) {
        stream.destroy();
        throw err;
      }
    },

    /** A new link for the signed-in owner of an entitlement; 404 for anyone else. */
    async freshLink(userId: number, entitlementId: number): Promise<string> {
      const ent = (await db('entitlements').where({ id: entitlementId, user_id: userId }).whereNull('revoked_at').first('id')) as { id: number } | undefined;
      if (!ent) throw new NotFoundError('We could not find that purchase.');
      return linkFor(entitlementId, userId);
    },

    /** The order a genuine link belongs to, for sending a buyer who just signed in to it. */
    async orderOf(token: string, userId: number): Promise<{ orderId: number; entitlementId: number; otherAccount: boolean } | undefined> {
      const claim = readDownload(key, token);
      if (!claim) return undefined;
      const row = (await db('entitlements').where({ id: claim.entitlementId, user_id: claim.userId }).first('order_id')) as { order_id: number } | undefined;
      if (!row) return undefined;
      return { orderId: row.order_id, entitlementId: claim.entitlementId, otherAccount: claim.userId !== userId };
    },

    /** The entitlement a link names, for the "fresh link" button (freshLink re-checks ownership). */
    entitlementOf(token: string): number | undefined {
      return readDownload(key, token)?.entitlementId;
    },
  };
}

export type DownloadService = ReturnType<typeof createDownloadService>;

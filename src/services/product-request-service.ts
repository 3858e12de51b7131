import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { AuditEntity } from '../models/audit-log.js';
import type {
  AdminVisibility,
  BoardCursor,
  BoardSort,
  LinkedProduct,
  ProductRequestModel,
  ProductRequestRow,
  ProductRequestView,
  RequestStatus,
} from '../models/product-requests.js';
import type { Actor, AuditService } from './audit-service.js';
import type { MailService } from './mail-service.js';
import type { Limiter } from './rate-limits.js';

export const STATUS_LABELS: Record<RequestStatus, string> = {
  new: 'New',
  planned: 'Planned',
  in_progress: 'In progress',
  done: 'Done',
  declined: 'Declined',
};

/** Statuses that end a request: its people are told once, and it takes no more votes. */
const CLOSED: readonly RequestStatus[] = ['done', 'declined'];
export const isClosed = (s: RequestStatus) => CLOSED.includes(s);

// The audit log's entity type for requests (the column is text; the shared type lists the older modules).
const ENTITY = 'product_request' as AuditEntity;

export const BOARD_PAGE_SIZE = 20;
export const ADMIN_PAGE_SIZE = 50;

/** "12_345" (votes, id) for the votes sort, "345" (id) for newest: where the next page starts. */
export function encodeCursor(sort: BoardSort, row: { id: number; vote_count: number }): string {
  return sort === 'votes' ? `${row.vote_count}_${row.id}` : String(row.id);
}

export function decodeCursor(sort: BoardSort, s: string | undefined): BoardCursor | undefined {
  if (!s) return undefined;
  const m = /^(?:(\d{1,10})_)?(\d{1,10})$/.exec(s);
  if (!m) return undefined;
  if (sort === 'votes') return m[1] === undefined ? undefined : { votes: Number(m[1]), id: Number(m[2]) };
  return m[1] === undefined ? { id: Number(m[2]) } : undefined;
}

export interface NewRequestInput {
  title: string;
  details: string;
  categoryId?: number;
  maxPricePaise?: number;
}

export interface RequestUpdateInput {
  status: RequestStatus;
  /** A product's number, address (slug) or shop URL; empty unlinks. */
  product: string;
  reply: string;
}

/** A product's number, its address, or a pasted shop link (…/products/<slug>). */
function parseProductRef(ref: string): { id?: number; slug?: string } | undefined {
  const s = ref.trim();
  if (!s) return undefined;
  if (/^#?\d{1,10}$/.test(s)) return { id: Number(s.replace('#', '')) };
  const slug = /(?:^|\/products\/)([a-z0-9]+(?:-[a-z0-9]+)*)\/?(?:[?#].*)?$/.exec(s)?.[1];
  return { slug: slug ?? s };
}

/**
 * Product requests: shoppers ask for products the store lacks and vote on each other's (one vote
 * per account, toggled under a row lock so the stored count always equals the vote rows); the
 * admin moves them through new → planned → in progress → done or declined, replies, links the
 * product that answers one, hides spam and merges duplicates (votes carried over, a user who
 * voted for both keeps one). When a request is done or declined its requester and voters get one
 * email each, queued in the status change's transaction and remembered per (request, user,
 * status), so saving the same status again sends nothing. Every admin change is audited.
 */
export function createProductRequestService(deps: {
  db: Db;
  requests: ProductRequestModel;
  audit: AuditService;
  mail: MailService;
  limits: { create: Limiter; vote: Limiter };
  clock: Clock;
  logger: Logger;
  baseUrl: string;
}) {
  const { db, requests, audit, mail, clock } = deps;
  const requestUrl = (id: number) => `${deps.baseUrl}/requests/${id}`;

  /** Sends queued mail one message at a time after commit; the deliver-email job covers failures. */
  function sendInBackground(ids: number[]) {
    if (!ids.length) return;
    void (async () => {
      for (const id of ids) {
        try {
          await mail.deliver(id);
        } catch (err) {
          deps.logger.error({ err, outboxId: id }, 'product request email delivery attempt crashed');
        }
      }
    })();
  }

  async function lockedOrThrow(id: number, trx: Knex.Transaction): Promise<ProductRequestRow> {
    const row = await requests.lockById(id, trx);
    if (!row) throw new NotFoundError('There is no such request.');
    return row;
  }

  /** Queues the done/declined email to each person not told of this status before. */
  async function notifyOutcome(request: ProductRequestRow, product: LinkedProduct | undefined, trx: Knex.Transaction): Promise<{ outboxIds: number[]; told: Set<number> }> {
    const people = await requests.recipients(request.id, trx);
    const fresh = new Set(await requests.claimNotifications(request.id, request.status, people.map((p) => p.user_id), clock.now(), trx));
    const outboxIds: number[] = [];
    const done = request.status === 'done';
    const subject = done ? `Now available: “${request.title}”` : `An answer to the request “${request.title}”`;
    for (const p of people) {
      if (!fresh.has(p.user_id)) continue;
      const id = await mail.queue(
        'product-request-status',
        p.email,
        subject,
        {
          name: p.name,
          asked: p.asked,
          title: request.title,
          done,
          reply: request.admin_reply ?? '',
          requestUrl: requestUrl(request.id),
          productTitle: product?.on_shop ? product.title : '',
          productUrl: product?.on_shop ? `${deps.baseUrl}/products/${product.slug}` : '',
        },
        trx,
      );
      await requests.setNotificationOutbox(request.id, request.status, p.user_id, id, trx);
      outboxIds.push(id);
    }
    return { outboxIds, told: fresh };
  }

  return {
    statusLabels: STATUS_LABELS,
    categories: () => requests.categories(),

    /** One page of the public board, with which of its requests the viewer voted for. */
    async board(q: { sort: BoardSort; q?: string; after?: string; userId?: number }) {
      const rows = await requests.board({ sort: q.sort, q: q.q, after: decodeCursor(q.sort, q.after), limit: BOARD_PAGE_SIZE + 1 });
      const items = rows.slice(0, BOARD_PAGE_SIZE);
      const voted = q.userId ? await requests.votedAmong(q.userId, items.map((r) => r.id)) : new Set<number>();
      const last = items.at(-1);
      return { items, voted, next: rows.length > BOARD_PAGE_SIZE && last ? encodeCursor(q.sort, last) : undefined, isFirstPage: !q.after };
    },

    /**
     * A request's public page. Hidden ones are not found; a merged one answers with the request
     * it joined, for a redirect.
     */
    async get(id: number, viewerId?: number): Promise<{ mergedInto: number } | { request: ProductRequestView; product?: LinkedProduct; voted: boolean; isRequester: boolean }> {
      const request = await requests.findView(id);
      if (!request || request.hidden_at) throw new NotFoundError('There is no such request, or it was removed.');
      if (request.merged_into_id) return { mergedInto: request.merged_into_id };
      const product = request.product_id ? await requests.linkedProduct(request.product_id) : undefined;
      return {
        request,
        product: product?.on_shop ? product : undefined,
        voted: viewerId ? await requests.hasVote(id, viewerId) : false,
        isRequester: viewerId !== undefined && viewerId === request.user_id,
      };
    },

    /** A shopper's new request, with their own vote on it. Throttled per account. */
    async create(userId: number, input: NewRequestInput): Promise<ProductRequestRow> {
      if (input.categoryId !== undefined && !(await requests.categoryExists(input.categoryId))) {
        throw new ValidationError('Please check the highlighted fields.', { categoryId: 'Choose one of the categories.' });
      }
      await deps.limits.create.hit(String(userId));
      const now = clock.now();
      return db.transaction(async (trx) => {
        const row = await requests.insert(
          { user_id: userId, title: input.title, details: input.details, category_id: input.categoryId ?? null, max_price_paise: input.maxPricePaise ?? null, vote_count: 1, created_at: now, updated_at: now },
          trx,
        );
        await requests.addVote(row.id, userId, now, trx);
        return row;
      });
    },

    /**
     * Sets (want true/false) or toggles (want undefined) the user's vote. The request row is
     * locked first, so parallel votes of one user run one after another and the stored count
     * always equals the vote rows. A vote on a merged request goes to the request it joined.
     */
    async vote(requestId: number, userId: number, want?: boolean): Promise<{ requestId: number; voted: boolean; votes: number }> {
      await deps.limits.vote.hit(String(userId));
      return db.transaction(async (trx) => {
        let row = await requests.lockById(requestId, trx);
        if (row?.merged_into_id) row = await requests.lockById(row.merged_into_id, trx);
        if (!row || row.hidden_at) throw new NotFoundError('There is no such request, or it was removed.');
        if (isClosed(row.status)) throw new ConflictError(`This request is ${STATUS_LABELS[row.status].toLowerCase()}: it takes no more votes.`, 'REQUEST_CLOSED');
        const has = await requests.hasVote(row.id, userId, trx);
        const target = want ?? !has;
        let votes = row.vote_count;
        if (target && !has && (await requests.addVote(row.id, userId, clock.now(), trx))) votes = await requests.adjustVoteCount(row.id, 1, trx);
        if (!target && has && (await requests.removeVote(row.id, userId, trx))) votes = await requests.adjustVoteCount(row.id, -1, trx);
        return { requestId: row.id, voted: target, votes };
      });
    },

    // The admin side.

    async adminList(q: { sort: BoardSort; q?: string; status?: RequestStatus; visibility: AdminVisibility; after?: string }) {
      const rows = await requests.adminList({ sort: q.sort, q: q.q, status: q.status, visibility: q.visibility, after: decodeCursor(q.sort, q.after), limit: ADMIN_PAGE_SIZE + 1 });
      const items = rows.slice(0, ADMIN_PAGE_SIZE);
      const last = items.at(-1);
      return { items, next: rows.length > ADMIN_PAGE_SIZE && last ? encodeCursor(q.sort, last) : undefined, isFirstPage: !q.after };
    },

    async adminGet(id: number) {
      const request = await requests.findView(id);
      if (!request) throw new NotFoundError('There is no such request.');
      const [product, voters, merged, history, target] = await Promise.all([
        request.product_id ? requests.linkedProduct(request.product_id) : undefined,
        requests.voters(id, 50),
        requests.mergedInto(id, 50),
        audit.forEntity(ENTITY, id),
        request.merged_into_id ? requests.findById(request.merged_into_id) : undefined,
      ]);
      return { request, product, voters, merged, history, target };
    },

    /**
     * The admin's one form: status, linked product and the public reply. Closing a request
     * (done, declined) queues its people's emails in this transaction; a changed reply on a
     * request that stays open is mailed to its requester. Each change is audited.
     */
    async update(id: number, input: RequestUpdateInput, actor: Actor): Promise<{ request: ProductRequestRow; emailsQueued: number }> {
      const ref = parseProductRef(input.product);
      const product = ref ? await requests.findProductRef(ref) : undefined;
      if (ref && !product) throw new ValidationError('Please check the highlighted fields.', { product: 'No product has that number or address.' });
      const reply = input.reply.trim();
      const result = await db.transaction(async (trx) => {
        const before = await lockedOrThrow(id, trx);
        if (before.merged_into_id) throw new ConflictError(`This request was merged into #${before.merged_into_id}: change that one instead.`, 'REQUEST_MERGED');
        const now = clock.now();
        const changes: Partial<ProductRequestRow> = {};
        if (input.status !== before.status) Object.assign(changes, { status: input.status, status_changed_at: now });
        if ((product?.id ?? null) !== before.product_id) changes.product_id = product?.id ?? null;
        const replyChanged = reply !== (before.admin_reply ?? '');
        if (replyChanged) Object.assign(changes, { admin_reply: reply || null, replied_at: reply ? now : null });
        const after = Object.keys(changes).length ? await requests.update(id, { ...changes, updated_at: now }, trx) : before;

        if (changes.status) {
          await audit.record(trx, actor, { action: 'product-request.status', entity: ENTITY, id, summary: `Status of “${after.title}”: ${STATUS_LABELS[before.status]} → ${STATUS_LABELS[after.status]}`, before: { status: before.status }, after: { status: after.status } });
        }
        if (changes.product_id !== undefined) {
          await audit.record(trx, actor, { action: 'product-request.product', entity: ENTITY, id, summary: product ? `Linked the product “${product.title}”` : 'Removed the linked product', before: { product_id: before.product_id }, after: { product_id: after.product_id } });
        }
        if (replyChanged) {
          await audit.record(trx, actor, { action: 'product-request.reply', entity: ENTITY, id, summary: reply ? `Replied to “${after.title}”` : `Removed the reply to “${after.title}”`, before: { admin_reply: before.admin_reply }, after: { admin_reply: after.admin_reply } });
        }

        let outboxIds: number[] = [];
        let told = new Set<number>();
        // Also when the status was already closed: someone who voted since hears of it once.
        if (isClosed(after.status) && (changes.status || changes.product_id !== undefined || replyChanged)) {
          ({ outboxIds, told } = await notifyOutcome(after, after.product_id ? await requests.linkedProduct(after.product_id, trx) : undefined, trx));
        }
        if (replyChanged && reply && after.user_id && !told.has(after.user_id)) {
          const [asker] = (await requests.recipients(id, trx)).filter((p) => p.user_id === after.user_id);
          if (asker) {
            outboxIds.push(
              await mail.queue('product-request-reply', asker.email, `A reply to your request “${after.title}”`, { name: asker.name, title: after.title, reply, status: STATUS_LABELS[after.status], requestUrl: requestUrl(id) }, trx),
            );
          }
        }
        return { request: after, outboxIds };
      });
      sendInBackground(result.outboxIds);
      return { request: result.request, emailsQueued: result.outboxIds.length };
    },

    /** Hides a request (spam) from the board and its page, or shows it again. */
    async setHidden(id: number, hidden: boolean, actor: Actor): Promise<ProductRequestRow> {
      return db.transaction(async (trx) => {
        const before = await lockedOrThrow(id, trx);
        if (Boolean(before.hidden_at) === hidden) return before;
        const now = clock.now();
        const after = await requests.update(id, { hidden_at: hidden ? now : null, updated_at: now }, trx);
        await audit.record(trx, actor, { action: hidden ? 'product-request.hide' : 'product-request.unhide', entity: ENTITY, id, summary: `${hidden ? 'Hid' : 'Showed again'} “${after.title}”`, before: { hidden_at: before.hidden_at }, after: { hidden_at: after.hidden_at } });
        return after;
      });
    },

    /**
     * Merges a duplicate into another request: its votes move over (one per user), requests
     * merged into it follow, and its page then leads to the other. Both are audited.
     */
    async merge(sourceId: number, targetId: number, actor: Actor): Promise<{ source: ProductRequestRow; target: ProductRequestRow; moved: number }> {
      if (sourceId === targetId) throw new ValidationError('Please check the highlighted fields.', { into: 'Choose another request: one cannot be merged into itself.' });
      return db.transaction(async (trx) => {
        const rows = await requests.lockMany([sourceId, targetId], trx);
        const source = rows.find((r) => r.id === sourceId);
        const target = rows.find((r) => r.id === targetId);
        if (!source) throw new NotFoundError('There is no such request.');
        if (!target) throw new ValidationError('Please check the highlighted fields.', { into: `There is no request #${targetId}.` });
        if (source.merged_into_id) throw new ConflictError(`This request was already merged into #${source.merged_into_id}.`, 'REQUEST_MERGED');
        if (target.merged_into_id) throw new ValidationError('Please check the highlighted fields.', { into: `#${targetId} was itself merged into #${target.merged_into_id}: merge into that one.` });
        if (target.hidden_at) throw new ValidationError('Please check the highlighted fields.', { into: `#${targetId} is hidden: show it again first, or choose another.` });
        const now = clock.now();
        const { moved, total } = await requests.moveVotes(sourceId, targetId, trx);
        await requests.repointMerged(sourceId, targetId, trx);
        const after = await requests.update(sourceId, { merged_into_id: targetId, merged_at: now, vote_count: 0, updated_at: now }, trx);
        const grown = await requests.update(targetId, { vote_count: total, updated_at: now }, trx);
        await audit.record(trx, actor, { action: 'product-request.merge', entity: ENTITY, id: sourceId, summary: `Merged into #${targetId} “${target.title}” (${moved} of ${source.vote_count} votes carried over)`, before: { merged_into_id: null, vote_count: source.vote_count }, after: { merged_into_id: targetId, vote_count: 0 } });
        await audit.record(trx, actor, { action: 'product-request.merged-in', entity: ENTITY, id: targetId, summary: `Took in #${sourceId} “${source.title}” as a duplicate (${moved} new votes)`, before: { vote_count: target.vote_count }, after: { vote_count: total } });
        return { source: after, target: grown, moved };
      });
    },
  };
}

export type ProductRequestService = ReturnType<typeof createProductRequestService>;

import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export type RequestStatus = 'new' | 'planned' | 'in_progress' | 'done' | 'declined';
export const REQUEST_STATUSES: readonly RequestStatus[] = ['new', 'planned', 'in_progress', 'done', 'declined'];

export interface ProductRequestRow {
  id: number;
  user_id: number | null;
  title: string;
  details: string;
  category_id: number | null;
  max_price_paise: number | null;
  status: RequestStatus;
  vote_count: number;
  product_id: number | null;
  admin_reply: string | null;
  replied_at: Date | null;
  hidden_at: Date | null;
  merged_into_id: number | null;
  merged_at: Date | null;
  status_changed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A request as a list or its page shows it: the row with its requester's and category's names. */
export interface ProductRequestView extends ProductRequestRow {
  requester_name: string | null;
  requester_email: string | null;
  category_name: string | null;
}

/** The product a done request points at, as its page links it. */
export interface LinkedProduct {
  id: number;
  slug: string;
  title: string;
  price_paise: number;
  sale_price_paise: number;
  discount_percent: number;
  /** Visible on the shop (not hidden, not archived): only then do shoppers get the link. */
  on_shop: boolean;
}

export interface NewProductRequest {
  user_id: number;
  title: string;
  details: string;
  category_id: number | null;
  max_price_paise: number | null;
  vote_count: number;
  created_at: Date;
  updated_at: Date;
}

export type BoardSort = 'votes' | 'newest';
/** Where a keyset page starts: after this row in the sort's order. */
export interface BoardCursor {
  votes?: number;
  id: number;
}

export interface BoardQuery {
  sort: BoardSort;
  q?: string;
  after?: BoardCursor;
  limit: number;
}

export type AdminVisibility = 'shown' | 'hidden' | 'merged' | 'all';
export interface AdminRequestQuery extends BoardQuery {
  status?: RequestStatus;
  visibility: AdminVisibility;
}

/** Someone who hears about a request's outcome: its requester, a voter, or who asked for a duplicate. */
export interface RequestRecipient {
  user_id: number;
  email: string;
  name: string;
  asked: boolean;
}

export interface RequestVoter {
  user_id: number;
  email: string;
  name: string;
  created_at: Date;
}

const COLUMNS = [
  'r.id',
  'r.user_id',
  'r.title',
  'r.details',
  'r.category_id',
  'r.max_price_paise',
  'r.status',
  'r.vote_count',
  'r.product_id',
  'r.admin_reply',
  'r.replied_at',
  'r.hidden_at',
  'r.merged_into_id',
  'r.merged_at',
  'r.status_changed_at',
  'r.created_at',
  'r.updated_at',
];
const VIEW_COLUMNS = [...COLUMNS, 'u.name as requester_name', 'u.email as requester_email', 'c.name as category_name'];

/** "50%_off" typed into a search box means those characters, not LIKE wildcards. */
const likeAny = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createProductRequestModel(db: Db) {
  function viewQuery(trx: Handle) {
    return trx('product_requests as r').leftJoin('users as u', 'u.id', 'r.user_id').leftJoin('categories as c', 'c.id', 'r.category_id').select(VIEW_COLUMNS);
  }

  /** The sort and the keyset condition of a list; the (… DESC, id DESC) indexes serve both. */
  function sorted(q: Knex.QueryBuilder, sort: BoardSort, after: BoardCursor | undefined) {
    if (sort === 'votes') {
      if (after) q.whereRaw('(r.vote_count, r.id) < (?, ?)', [after.votes ?? 0, after.id]);
      q.orderBy([{ column: 'r.vote_count', order: 'desc' }, { column: 'r.id', order: 'desc' }]);
    } else {
      // The cursor row's own timestamp (microseconds), so no row is skipped or repeated.
      if (after) q.whereRaw('(r.created_at, r.id) < ((SELECT created_at FROM product_requests WHERE id = ?), ?)', [after.id, after.id]);
      q.orderBy([{ column: 'r.created_at', order: 'desc' }, { column: 'r.id', order: 'desc' }]);
    }
    return q;
  }

  return {
    async insert(row: NewProductRequest, trx: Handle = db): Promise<ProductRequestRow> {
      const [created] = await trx('product_requests').insert(row).returning('*');
      return created as ProductRequestRow;
    },

    async findById(id: number, trx: Handle = db): Promise<ProductRequestRow | undefined> {
      return (await trx('product_requests').where({ id }).first()) as ProductRequestRow | undefined;
    },

    async findView(id: number, trx: Handle = db): Promise<ProductRequestView | undefined> {
      return (await viewQuery(trx).where('r.id', id).first()) as ProductRequestView | undefined;
    },

    async lockById(id: number, trx: Knex.Transaction): Promise<ProductRequestRow | undefined> {
      return (await trx('product_requests').where({ id }).forUpdate().first()) as ProductRequestRow | undefined;
    },

    /** Locks several rows in id order, so two merges of the same pair cannot deadlock. */
    async lockMany(ids: number[], trx: Knex.Transaction): Promise<ProductRequestRow[]> {
      return (await trx('product_requests').whereIn('id', ids).orderBy('id').forUpdate()) as ProductRequestRow[];
    },

    async update(id: number, changes: Partial<Omit<ProductRequestRow, 'id'>>, trx: Handle = db): Promise<ProductRequestRow> {
      const [row] = await trx('product_requests').where({ id }).update(changes).returning('*');
      return row as ProductRequestRow;
    },

    /** One page of the public board: visible requests, newest or most voted first, optionally matching a title. */
    async board(q: BoardQuery, trx: Handle = db): Promise<ProductRequestView[]> {
      const rows = viewQuery(trx).whereNull('r.hidden_at').whereNull('r.merged_into_id');
      if (q.q) rows.whereRaw("r.title ILIKE ? ESCAPE '\\'", [likeAny(q.q)]);
      return (await sorted(rows, q.sort, q.after).limit(q.limit)) as ProductRequestView[];
    },

    /** One page of the admin list, hidden and merged requests included when asked for. */
    async adminList(q: AdminRequestQuery, trx: Handle = db): Promise<ProductRequestView[]> {
      const rows = viewQuery(trx);
      if (q.visibility === 'shown') rows.whereNull('r.hidden_at').whereNull('r.merged_into_id');
      else if (q.visibility === 'hidden') rows.whereNotNull('r.hidden_at');
      else if (q.visibility === 'merged') rows.whereNotNull('r.merged_into_id');
      if (q.status) rows.where('r.status', q.status);
      if (q.q) rows.whereRaw("r.title ILIKE ? ESCAPE '\\'", [likeAny(q.q)]);
      return (await sorted(rows, q.sort, q.after).limit(q.limit)) as ProductRequestView[];
    },

    /** Which of these requests the user has voted for (one primary-key lookup per id). */
    async votedAmong(userId: number, requestIds: number[], trx: Handle = db): Promise<Set<number>> {
      if (!requestIds.length) return new Set();
      const rows = (await trx('product_request_votes').where({ user_id: userId }).whereIn('request_id', requestIds).select('request_id')) as { request_id: number }[];
      return new Set(rows.map((r) => r.request_id));
    },

    async hasVote(requestId: number, userId: number, trx: Handle = db): Promise<boolean> {
      return Boolean(await trx('product_request_votes').where({ request_id: requestId, user_id: userId }).first('request_id'));
    },

    /** Adds a vote; false if it was already there. */
    async addVote(requestId: number, userId: number, at: Date, trx: Knex.Transaction): Promise<boolean> {
      const rows = await trx('product_request_votes').insert({ request_id: requestId, user_id: userId, created_at: at }).onConflict(['request_id', 'user_id']).ignore().returning('request_id');
      return rows.length > 0;
    },

    /** Removes a vote; false if there was none. */
    async removeVote(requestId: number, userId: number, trx: Knex.Transaction): Promise<boolean> {
      return (await trx('product_request_votes').where({ request_id: requestId, user_id: userId }).delete()) > 0;
    },

    async adjustVoteCount(requestId: number, delta: number, trx: Knex.Transaction): Promise<number> {
      const [row] = await trx('product_requests').where({ id: requestId }).update({ vote_count: trx.raw('vote_count + ?', [delta]) }).returning('vote_count');
      return (row as { vote_count: number }).vote_count;
    },

    /**
     * Moves every vote of one request to another; a user who voted for both keeps one vote.
     * Returns the target's exact count afterwards, counted from its rows.
     */
    async moveVotes(fromId: number, toId: number, trx: Knex.Transaction): Promise<{ moved: number; total: number }> {
      const moved = await trx.raw(
        `INSERT INTO product_request_votes (request_id, user_id, created_at)
         SELECT ?, user_id, created_at FROM product_request_votes WHERE request_id = ?
         ON CONFLICT (request_id, user_id) DO NOTHING`,
        [toId, fromId],
      );
      await trx('product_request_votes').where({ request_id: fromId }).delete();
      const [row] = (await trx('product_request_votes').where({ request_id: toId }).count({ n: '*' })) as { n: string }[];
      return { moved: (moved as { rowCount: number }).rowCount, total: Number(row?.n ?? 0) };
    },

    /** Requests merged into `fromId` earlier now point at `toId`, so a merge chain stays one step long. */
    async repointMerged(fromId: number, toId: number, trx: Knex.Transaction): Promise<number> {
      return trx('product_requests').where({ merged_into_id: fromId }).update({ merged_into_id: toId });
    },

    /**
     * Everyone to tell about a request's outcome, each once: its requester, its voters, and the
     * requesters of the requests merged into it. Disabled accounts are left out.
     */
    async recipients(requestId: number, trx: Handle = db): Promise<RequestRecipient[]> {
      const res = await trx.raw(
        `SELECT u.id AS user_id, u.email, u.name, bool_or(w.asked) AS asked
         FROM (
           SELECT user_id, true AS asked FROM product_requests WHERE (id = ? OR merged_into_id = ?) AND user_id IS NOT NULL
           UNION ALL
           SELECT user_id, false AS asked FROM product_request_votes WHERE request_id = ?
         ) w
         JOIN users u ON u.id = w.user_id AND u.disabled_at IS NULL
         GROUP BY u.id, u.email, u.name
         ORDER BY u.id`,
        [requestId, requestId, requestId],
      );
      return res.rows as RequestRecipient[];
    },

    /** Records that these users are told of this status; returns those not told before. */
    async claimNotifications(requestId: number, status: RequestStatus, userIds: number[], at: Date, trx: Knex.Transaction): Promise<number[]> {
      if (!userIds.length) return [];
      const rows = (await trx('product_request_notifications')
        .insert(userIds.map((user_id) => ({ request_id: requestId, user_id, status, created_at: at })))
        .onConflict(['request_id', 'user_id', 'status'])
        .ignore()
        .returning('user_id')) as { user_id: number }[];
      return rows.map((r) => r.user_id);
    },

    async setNotificationOutbox(requestId: number, status: RequestStatus, userId: number, outboxId: number, trx: Knex.Transaction): Promise<void> {
      await trx('product_request_notifications').where({ request_id: requestId, user_id: userId, status }).update({ outbox_id: outboxId });
    },

    /** The newest voters of a request, for its admin page. */
    async voters(requestId: number, limit: number, trx: Handle = db): Promise<RequestVoter[]> {
      return (await trx('product_request_votes as v')
        .join('users as u', 'u.id', 'v.user_id')
        .where('v.request_id', requestId)
        .orderBy([{ column: 'v.created_at', order: 'desc' }, { column: 'v.user_id', order: 'desc' }])
        .limit(limit)
        .select('v.user_id', 'u.email', 'u.name', 'v.created_at')) as RequestVoter[];
    },

    /** The requests merged into this one (their titles and requesters), for its admin page. */
    async mergedInto(requestId: number, limit: number, trx: Handle = db): Promise<ProductRequestView[]> {
      return (await viewQuery(trx).where('r.merged_into_id', requestId).orderBy('r.id', 'desc').limit(limit)) as ProductRequestView[];
    },

    /** A product named by its number or its address (slug), hidden ones too: the admin links it. */
    async findProductRef(ref: { id?: number; slug?: string }, trx: Handle = db): Promise<{ id: number; slug: string; title: string } | undefined> {
      const q = trx('products').select('id', 'slug', 'title');
      if (ref.id !== undefined) q.where({ id: ref.id });
      else q.where({ slug: ref.slug ?? '' });
      return (await q.first()) as { id: number; slug: string; title: string } | undefined;
    },

    async linkedProduct(productId: number, trx: Handle = db): Promise<LinkedProduct | undefined> {
      const row = (await trx('products')
        .where({ id: productId })
        .first('id', 'slug', 'title', 'price_paise', 'sale_price_paise', 'discount_percent', trx.raw('(is_visible AND archived_at IS NULL) AS on_shop'))) as LinkedProduct | undefined;
      return row;
    },

    async categoryExists(id: number, trx: Handle = db): Promise<boolean> {
      return Boolean(await trx('categories').where({ id }).first('id'));
    },

    async categories(trx: Handle = db): Promise<{ id: number; name: string }[]> {
      return (await trx('categories').select('id', 'name').orderBy([{ column: 'position' }, { column: 'name' }])) as { id: number; name: string }[];
    },
  };
}

export type ProductRequestModel = ReturnType<typeof createProductRequestModel>;

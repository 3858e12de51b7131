import type { Db } from '../db/knex.js';
import { isUniqueViolation } from '../lib/db-errors.js';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.js';
import type { PageCache } from '../lib/page-cache.js';
import type { CategoryModel, CategoryRow } from '../models/categories.js';
import type { Actor, AuditService } from './audit-service.js';
import type { CatalogService } from './catalog-service.js';

export interface CategoryInput {
  name: string;
  slug: string;
  description: string;
}

const audited = (c: Partial<CategoryRow>) => ({ name: c.name, slug: c.slug, description: c.description, position: c.position });

/**
 * Categories as the admin keeps them: add, rename, reorder, and delete only when empty (or
 * after moving their products to another category). Each change is audited in its transaction.
 */
export function createCategoryAdminService(deps: { db: Db; categories: CategoryModel; audit: AuditService; catalog: CatalogService; pageCache: PageCache }) {
  const { db, categories, audit } = deps;
  const changed = () => {
    deps.catalog.clearCaches();
    deps.pageCache.clear();
  };
  const slugTaken = (err: unknown) => (isUniqueViolation(err) ? new ValidationError('Please check the highlighted fields.', { slug: 'Another category already uses this address.' }) : err);

  async function locked(id: number, trx: Parameters<CategoryModel['lockById']>[1]) {
    const c = await categories.lockById(id, trx);
    if (!c) throw new NotFoundError('There is no such category.');
    return c;
  }

  return {
    list: () => categories.listWithAllCounts(),

    async get(id: number) {
      const category = await categories.findById(id);
      if (!category) throw new NotFoundError('There is no such category.');
      return { category, history: await audit.forEntity('category', id) };
    },

    async create(input: CategoryInput, actor: Actor): Promise<CategoryRow> {
      try {
        const created = await db.transaction(async (trx) => {
          const row = await categories.insert({ ...input, position: await categories.nextPosition(trx) }, trx);
          await audit.record(trx, actor, { action: 'category.create', entity: 'category', id: row.id, summary: `Added the category “${row.name}”`, after: audited(row) });
          return row;
        });
        changed();
        return created;
      } catch (err) {
        throw slugTaken(err);
      }
    },

    async update(id: number, input: CategoryInput, actor: Actor): Promise<CategoryRow> {
      try {
        const updated = await db.transaction(async (trx) => {
          const before = await locked(id, trx);
          const after = await categories.update(id, input, trx);
          await audit.record(trx, actor, { action: 'category.update', entity: 'category', id, summary: before.name === after.name ? `Edited the category “${after.name}”` : `Renamed “${before.name}” to “${after.name}”`, before: audited(before), after: audited(after) });
          return after;
        });
        changed();
        return updated;
      } catch (err) {
        throw slugTaken(err);
      }
    },

    /** Moves a category one place up or down the shop's order (swapping with its neighbour). */
    async move(id: number, direction: 'up' | 'down', actor: Actor): Promise<void> {
      await db.transaction(async (trx) => {
        await locked(id, trx);
        // Positions renumbered 0..n-1 first, so gaps and ties from older data cannot stall a move.
        const all = (await categories.listWithCounts(trx)).map((c) => c.id);
        const at = all.indexOf(id);
        const to = direction === 'up' ? at - 1 : at + 1;
        if (to < 0 || to >= all.length) return;
        [all[at], all[to]] = [all[to]!, all[at]!];
        for (const [position, cid] of all.entries()) await categories.update(cid, { position }, trx);
        await audit.record(trx, actor, { action: 'category.move', entity: 'category', id, summary: `Moved a category ${direction} (now ${to + 1} of ${all.length})`, before: { position: at }, after: { position: to } });
      });
      changed();
    },

    /**
     * Deletes an empty category. One with products is refused (409) unless `moveTo` names the
     * category to move them to first, all in one transaction.
     */
    async remove(id: number, actor: Actor, moveTo?: number): Promise<{ moved: number }> {
      const result = await db.transaction(async (trx) => {
        const before = await locked(id, trx);
        let moved = 0;
        if (await categories.hasProducts(id, trx)) {
          if (moveTo === undefined) throw new ConflictError(`“${before.name}” still holds products. Move them to another category first.`, 'CATEGORY_NOT_EMPTY');
          if (moveTo === id) throw new ValidationError('Choose another category to move the products to.', { moveTo: 'Choose another category.' });
          const target = await locked(moveTo, trx);
          moved = await categories.moveProducts(id, target.id, trx);
          await audit.record(trx, actor, { action: 'category.move-products', entity: 'category', id: target.id, summary: `Received ${moved} products from “${before.name}”`, before: {}, after: {} });
        }
        await categories.delete(id, trx);
        await audit.record(trx, actor, { action: 'category.delete', entity: 'category', id, summary: `Deleted the category “${before.name}”${moved ? ` after moving its ${moved} products` : ''}`, before: audited(before), after: { name: null, slug: null, description: null, position: null } });
        return { moved };
      });
      changed();
      return result;
    },
  };
}

export type CategoryAdminService = ReturnType<typeof createCategoryAdminService>;

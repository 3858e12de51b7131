import type { Db } from '../db/knex.js';
import { isUniqueViolation } from '../lib/db-errors.js';
import { NotFoundError, ValidationError } from '../lib/errors.js';
import type { PageCache } from '../lib/page-cache.js';
import type { CategoryModel } from '../models/categories.js';
import type { AdminProductFilter, AdminProductSort, LicenseType, ProductModel, ProductRow } from '../models/products.js';
import type { Actor, AuditService } from './audit-service.js';
import type { CatalogService } from './catalog-service.js';
import { imageUrl, type ImageService } from './image-service.js';
import type { FileStorage } from './storage.js';

/** What the product form gives, validated (controllers/admin/products.ts). Money in paise. */
export interface ProductInput {
  title: string;
  slug: string;
  summary: string;
  description: string;
  categoryId: number;
  pricePaise: number;
  discountPercent: number;
  rating: number;
  tags: string[];
  licenseType: LicenseType;
  visible: boolean;
  featured: boolean;
}

export interface ProductFiles {
  image?: { buffer: Buffer };
  file?: { key: string; size: number; originalName: string };
}

/** Lists stop counting here ("10,000+"): an exact count of every product costs a full scan. */
export const ADMIN_COUNT_CAP = 10_000;

/** A URL slug from a title: "Mukta Display (2nd ed.)" → "mukta-display-2nd-ed". */
export function slugify(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/, '');
}

/** The fields an audit entry compares, as the database holds them. */
const AUDITED = ['title', 'slug', 'summary', 'description', 'category_id', 'price_paise', 'discount_percent', 'rating', 'tags', 'license_type', 'is_visible', 'is_featured', 'image_url', 'file_name', 'file_size', 'archived_at'] as const;
const audited = (row: Partial<ProductRow>) => Object.fromEntries(AUDITED.filter((k) => k in row).map((k) => [k, row[k]]));

/**
 * The catalog as the admin edits it. Every change runs in one transaction with its audit entry,
 * then clears this process's catalog caches at once (other processes hear NOTIFY
 * catalog_changed within milliseconds). Stored objects (images, files) are written before the
 * transaction and deleted again if it fails; objects a change replaces are deleted after it
 * commits, so a buyer never loses a file to a change that rolled back.
 */
export function createProductAdminService(deps: {
  db: Db;
  products: ProductModel;
  categories: CategoryModel;
  audit: AuditService;
  images: ImageService;
  storage: FileStorage;
  catalog: CatalogService;
  pageCache: PageCache;
}) {
  const { db, products, audit, images } = deps;

  const catalogChanged = () => {
    deps.catalog.clearCaches();
    deps.pageCache.clear();
  };

  async function checkReferences(input: ProductInput, exceptId?: number) {
    const fields: Record<string, string> = {};
    if (!(await deps.categories.findById(input.categoryId))) fields.categoryId = 'Choose one of the categories.';
    if (await products.slugTaken(input.slug, exceptId)) fields.slug = 'Another product already uses this address. Change it a little.';
    if (Object.keys(fields).length) throw new ValidationError('Please check the highlighted fields.', fields);
  }

  const slugConflict = (err: unknown) => {
    if (isUniqueViolation(err)) return new ValidationError('Please check the highlighted fields.', { slug: 'Another product already uses this address. Change it a little.' });
    return err;
  };

  function columns(input: ProductInput) {
    return {
      title: input.title,
      slug: input.slug,
      summary: input.summary,
      description: input.description,
      category_id: input.categoryId,
      price_paise: input.pricePaise,
      discount_percent: input.discountPercent,
      rating: input.rating,
      tags: input.tags,
      license_type: input.licenseType,
      is_visible: input.visible,
      is_featured: input.featured,
    };
  }

  return {
    async list(q: AdminProductFilter & { sort: AdminProductSort; page: number; pageSize: number }) {
      const offset = (q.page - 1) * q.pageSize;
      const [rows, counted, categories] = await Promise.all([
        products.adminList(q, q.sort, q.pageSize, offset),
        products.adminCount(q, ADMIN_COUNT_CAP + 1),
        deps.categories.listWithCounts(),
      ]);
      const names = new Map(categories.map((c) => [c.id, c.name]));
      const total = Math.min(counted, ADMIN_COUNT_CAP);
      return {
        rows: rows.map((r) => ({ ...r, category_name: names.get(r.category_id) ?? '' })),
        total,
        totalCapped: counted > ADMIN_COUNT_CAP,
        page: q.page,
        pageCount: Math.max(1, Math.ceil(total / q.pageSize)),
        categories,
      };
    },

    async get(id: number) {
      const product = await products.findById(id);
      if (!product) throw new NotFoundError('There is no product with that number.');
      const [inOrders, history] = await Promise.all([products.inAnyOrder(id), audit.forEntity('product', id)]);
      return { product, inOrders, history };
    },

    async create(input: ProductInput, files: ProductFiles, actor: Actor): Promise<ProductRow> {
      await checkReferences(input);
      const image = files.image ? await images.store(files.image.buffer) : undefined;
      try {
        const created = await db.transaction(async (trx) => {
          const row = {
            ...columns(input),
            image_key: image?.imageKey ?? null,
            image_url: image ? imageUrl(image.imageKey, 800) : null,
            file_key: files.file?.key ?? null,
            file_name: files.file?.originalName.slice(0, 200) ?? null,
            file_size: files.file?.size ?? null,
          };
          const { id } = await products.insert(row, trx);
          await audit.record(trx, actor, { action: 'product.create', entity: 'product', id, summary: `Added “${input.title}”`, after: audited(row) });
          return (await products.findById(id, trx))!;
        });
        catalogChanged();
        return created;
      } catch (err) {
        if (image) await images.remove(image.imageKey);
        throw slugConflict(err);
      }
    },

    async update(id: number, input: ProductInput, files: ProductFiles, actor: Actor): Promise<ProductRow> {
      await checkReferences(input, id);
      const image = files.image ? await images.store(files.image.buffer) : undefined;
      let before: ProductRow;
      let after: ProductRow;
      try {
        ({ before, after } = await db.transaction(async (trx) => {
          const current = await products.lockById(id, trx);
          if (!current) throw new NotFoundError('There is no product with that number.');
          const changes = {
            ...columns(input),
            // An archived product stays off the shop until it is restored.
            is_visible: current.archived_at ? false : input.visible,
            ...(image ? { image_key: image.imageKey, image_url: imageUrl(image.imageKey, 800) } : {}),
            ...(files.file ? { file_key: files.file.key, file_name: files.file.originalName.slice(0, 200), file_size: files.file.size } : {}),
          };
          const updated = await products.update(id, changes, trx);
          await audit.record(trx, actor, { action: 'product.update', entity: 'product', id, summary: `Edited “${updated.title}”${files.file ? ' and replaced its file' : ''}`, before: audited(current), after: audited(updated) });
          return { before: current, after: updated };
        }));
      } catch (err) {
        if (image) await images.remove(image.imageKey);
        throw slugConflict(err);
      }
      catalogChanged();
      // Buyers download the new file from now on; the old objects can go.
      if (image && before.image_key) await images.remove(before.image_key);
      if (files.file && before.file_key && before.file_key !== after.file_key) await deps.storage.delete(before.file_key).catch(() => undefined);
      return after;
    },

    /** Shows or hides several products; archived ones are left as they are. Returns how many changed. */
    async setVisibility(ids: number[], visible: boolean, actor: Actor): Promise<number> {
      const changed = await db.transaction(async (trx) => {
        const rows = await products.setVisibility(ids, visible, trx);
        for (const r of rows) {
          await audit.record(trx, actor, { action: visible ? 'product.show' : 'product.hide', entity: 'product', id: r.id, summary: `${visible ? 'Put' : 'Took'} “${r.title}” ${visible ? 'on' : 'off'} the shop`, before: { is_visible: !visible }, after: { is_visible: visible } });
        }
        return rows.length;
      });
      if (changed) catalogChanged();
      return changed;
    },

    /**
     * Deletes a product nobody ordered, with its files. One that is in an order is archived
     * instead: off the shop for good, its row and file kept so its buyers still download it.
     */
    async remove(id: number, actor: Actor): Promise<'deleted' | 'archived'> {
      const outcome = await db.transaction(async (trx) => {
        const current = await products.lockById(id, trx);
        if (!current) throw new NotFoundError('There is no product with that number.');
        if (await products.inAnyOrder(id, trx)) {
          if (!current.archived_at) {
            const updated = await products.update(id, { archived_at: new Date(), is_visible: false, is_featured: false }, trx);
            await audit.record(trx, actor, { action: 'product.archive', entity: 'product', id, summary: `Archived “${current.title}” (it has buyers, so it was not deleted)`, before: audited(current), after: audited(updated) });
          }
          return { kind: 'archived' as const, current };
        }
        await products.delete(id, trx);
        await audit.record(trx, actor, { action: 'product.delete', entity: 'product', id, summary: `Deleted “${current.title}”`, before: audited(current), after: { archived_at: null } });
        return { kind: 'deleted' as const, current };
      });
      catalogChanged();
      if (outcome.kind === 'deleted') {
        if (outcome.current.image_key) await images.remove(outcome.current.image_key);
        if (outcome.current.file_key) await deps.storage.delete(outcome.current.file_key).catch(() => undefined);
      }
      return outcome.kind;
    },

    /** Brings an archived product back, hidden, for the admin to review and show. */
    async restore(id: number, actor: Actor): Promise<ProductRow> {
      const restored = await db.transaction(async (trx) => {
        const current = await products.lockById(id, trx);
        if (!current) throw new NotFoundError('There is no product with that number.');
        const updated = await products.update(id, { archived_at: null }, trx);
        await audit.record(trx, actor, { action: 'product.restore', entity: 'product', id, summary: `Restored “${current.title}” from the archive (hidden)`, before: audited(current), after: audited(updated) });
        return updated;
      });
      catalogChanged();
      return restored;
    },
  };
}

export type ProductAdminService = ReturnType<typeof createProductAdminService>;

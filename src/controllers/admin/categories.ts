import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { idField, lineText, pathId } from '../../lib/fields.js';
import { parseInput } from '../../lib/validate.js';
import type { CategoryAdminService } from '../../services/category-admin-service.js';
import { slugify } from '../../services/product-admin-service.js';
import { actorOf, done, renderAdmin } from './shared.js';

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const categoryForm = z.object({
  name: lineText('Name', 80).pipe(z.string().min(1, 'Give the category a name.')),
  slug: z.preprocess(blank, lineText('Address', 80).pipe(z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'Use lower-case letters, digits and hyphens.')).optional()),
  description: lineText('Description', 300).default(''),
  _csrf: z.string().optional(),
});
const moveForm = z.object({ direction: z.enum(['up', 'down'], { error: 'Move up or down.' }), _csrf: z.string().optional() });
const deleteForm = z.object({ moveTo: z.preprocess(blank, idField('Category').optional()), _csrf: z.string().optional() });

const toInput = (f: z.output<typeof categoryForm>) => ({ name: f.name, slug: f.slug ?? (slugify(f.name) || `category-${Date.now().toString(36)}`), description: f.description });

export function createCategoryAdminController(deps: { categories: CategoryAdminService }) {
  const { categories } = deps;
  const idOf = (req: Request) => {
    const id = pathId(req.params.id);
    if (id === undefined) throw new NotFoundError('There is no such category.');
    return id;
  };

  async function listPage(res: Response, extra: { values?: Record<string, string>; errors?: Record<string, string>; error?: string } = {}) {
    renderAdmin(res, 'categories/list', { title: 'Categories', crumbs: [{ label: 'Categories' }], categories: await categories.list(), values: extra.values ?? { name: '', slug: '', description: '' }, errors: extra.errors ?? {}, error: extra.error });
  }

  return {
    /** GET /admin/categories: the list in shop order, with the add form. */
    async list(_req: Request, res: Response) {
      await listPage(res);
    },

    /** POST /admin/categories */
    async create(req: Request, res: Response) {
      try {
        const form = parseInput(categoryForm, req.body, 'Please check the highlighted fields.');
        const created = await categories.create(toInput(form), actorOf(req));
        done(req, res, { redirect: '/admin/categories', message: `Added “${created.name}”.`, json: { category: created }, status: 201 });
      } catch (err) {
        if (!(err instanceof ValidationError) || req.originalUrl.startsWith('/api/')) throw err;
        res.status(400);
        await listPage(res, { values: req.body as Record<string, string>, errors: err.fields, error: err.message });
      }
    },

    /** GET /admin/categories/:id: rename and describe, with its history and delete. */
    async editForm(req: Request, res: Response) {
      const { category, history } = await categories.get(idOf(req));
      const all = await categories.list();
      renderAdmin(res, 'categories/edit', { title: `Edit “${category.name}”`, crumbs: [{ label: 'Categories', href: '/admin/categories' }, { label: category.name }], category, counts: all.find((c) => c.id === category.id), others: all.filter((c) => c.id !== category.id), audit: history, values: category, errors: {} });
    },

    /** POST /admin/categories/:id */
    async update(req: Request, res: Response) {
      const id = idOf(req);
      try {
        const form = parseInput(categoryForm, req.body, 'Please check the highlighted fields.');
        const updated = await categories.update(id, toInput(form), actorOf(req));
        done(req, res, { redirect: `/admin/categories/${id}`, message: `Saved “${updated.name}”.`, json: { category: updated } });
      } catch (err) {
        if (!(err instanceof ValidationError) || req.originalUrl.startsWith('/api/')) throw err;
        const { category, history } = await categories.get(id);
        const all = await categories.list();
        res.status(400);
        renderAdmin(res, 'categories/edit', { title: `Edit “${category.name}”`, crumbs: [{ label: 'Categories', href: '/admin/categories' }, { label: category.name }], category, counts: all.find((c) => c.id === id), others: all.filter((c) => c.id !== id), audit: history, values: req.body, errors: err.fields, error: err.message });
      }
    },

    /** POST /admin/categories/:id/move: one place up or down. */
    async move(req: Request, res: Response) {
      const form = parseInput(moveForm, req.body);
      await categories.move(idOf(req), form.direction, actorOf(req));
      done(req, res, { redirect: '/admin/categories', message: 'The order of the categories was changed.' });
    },

    /** POST /admin/categories/:id/delete (with moveTo: move its products there first). */
    async remove(req: Request, res: Response) {
      const id = idOf(req);
      const form = parseInput(deleteForm, req.body);
      const { category } = await categories.get(id);
      try {
        const { moved } = await categories.remove(id, actorOf(req), form.moveTo);
        done(req, res, { redirect: '/admin/categories', message: `Deleted “${category.name}”${moved ? ` after moving its ${moved} products` : ''}.`, json: { moved } });
      } catch (err) {
        if (err instanceof AppError && err.code === 'CATEGORY_NOT_EMPTY' && !req.originalUrl.startsWith('/api/')) {
          const all = await categories.list();
          res.status(409);
          return renderAdmin(res, 'categories/edit', { title: `Edit “${category.name}”`, crumbs: [{ label: 'Categories', href: '/admin/categories' }, { label: category.name }], category, counts: all.find((c) => c.id === id), others: all.filter((c) => c.id !== id), audit: (await categories.get(id)).history, values: category, errors: { moveTo: 'Choose where its products go.' }, error: err.message });
        }
        throw err;
      }
    },

    /** GET /api/admin/categories */
    async apiList(_req: Request, res: Response) {
      res.json({ items: await categories.list() });
    },
  };
}

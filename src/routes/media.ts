import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import type { Deps } from '../deps.js';
import { MEDIA_NAME } from '../services/image-service.js';

/**
 * Product images uploaded by admins, from storage (disk or the private bucket). Their names are
 * the server's own (a new name per upload), so browsers and CDNs may keep them for a year.
 */
export function mediaRoutes(deps: Deps): Router {
  const r = Router();
  r.get('/media/images/:name', async (req, res, next) => {
    const key = `images/${String(req.params.name)}`;
    if (!MEDIA_NAME.test(key)) return next();
    let body;
    try {
      body = await deps.storage.read(key);
    } catch {
      return next(); // not there (deleted with its product): the 404 page
    }
    res.setHeader('Content-Type', 'image/webp');
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    await pipeline(body, res).catch(() => undefined);
  });
  return r;
}

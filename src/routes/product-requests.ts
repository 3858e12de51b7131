import { Router } from 'express';
import { createProductRequestController } from '../controllers/product-requests.js';
import type { Deps } from '../deps.js';
import { requireUser } from '../middleware/auth.js';

/** Product requests: the public board and request pages; asking and voting need an account. */
export function productRequestRoutes(deps: Deps): Router {
  const c = createProductRequestController({ requests: deps.services.productRequests });
  const r = Router();
  r.get('/requests', c.board);
  r.get('/requests/new', requireUser, c.newForm);
  r.post('/requests', requireUser, c.create);
  r.get('/requests/:id', c.show);
  r.post('/requests/:id/vote', requireUser, c.vote);
  return r;
}

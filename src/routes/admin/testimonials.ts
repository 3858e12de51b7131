import { Router } from 'express';
import { createTestimonialAdminController } from '../../controllers/admin/testimonials.js';
import type { Deps } from '../../deps.js';
import { IMAGE_MAX_BYTES } from '../../services/image-service.js';
import { productUpload, withUploads } from './uploads.js';

export function testimonialAdminRoutes(deps: Deps): Router {
  const c = createTestimonialAdminController({ testimonials: deps.services.testimonials });
  // The product form's upload pipeline: the photo arrives as `image` (≤ 5 MB, in memory) and the
  // image service sniffs and re-encodes it; a stray `file` part is stored briefly and discarded.
  const upload = productUpload({ storage: deps.storage, maxFileBytes: IMAGE_MAX_BYTES, logger: deps.logger });
  const discardUnkept = (h: Parameters<typeof withUploads>[1]) => withUploads({ storage: deps.storage, logger: deps.logger }, h);
  const r = Router();
  r.get('/admin/testimonials', c.list);
  r.get('/admin/testimonials/new', c.newForm);
  r.post('/admin/testimonials', upload, discardUnkept(c.create));
  r.get('/admin/testimonials/:id', c.editForm);
  r.post('/admin/testimonials/:id', upload, discardUnkept(c.update));
  r.post('/admin/testimonials/:id/status', c.setStatus);
  r.post('/admin/testimonials/:id/delete', c.remove);

  r.get('/api/admin/testimonials', c.apiList);
  r.post('/api/admin/testimonials', c.apiCreate);
  r.get('/api/admin/testimonials/:id', c.apiGet);
  r.put('/api/admin/testimonials/:id', c.apiUpdate);
  r.post('/api/admin/testimonials/:id/status', c.setStatus);
  r.delete('/api/admin/testimonials/:id', c.remove);
  return r;
}

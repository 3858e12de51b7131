import { Router } from 'express';
import { createCustomerAdminController } from '../../controllers/admin/customers.js';
import type { Deps } from '../../deps.js';
import { CUSTOMER_ACTIONS } from '../../services/customer-admin-service.js';

export function customerAdminRoutes(deps: Deps): Router {
  const c = createCustomerAdminController({ customers: deps.services.customerAdmin });
  const r = Router();
  r.get('/admin/customers', c.list);
  r.get('/admin/customers/:id', c.detail);
  // Each action: a confirmation page, then the change (the JSON twin changes at once).
  for (const action of CUSTOMER_ACTIONS) {
    r.get(`/admin/customers/:id/${action}`, c.confirm(action));
    r.post(`/admin/customers/:id/${action}`, c.act(action));
    r.post(`/api/admin/customers/:id/${action}`, c.act(action));
  }
  r.get('/api/admin/customers', c.apiList);
  r.get('/api/admin/customers/:id', c.apiGet);
  return r;
}

import { Router } from 'express';
import type { Deps } from '../../deps.js';

export function customerAdminRoutes(_deps: Deps): Router {
  const r = Router();
  return r;
}

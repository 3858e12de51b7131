import { readdirSync } from 'node:fs';
import path from 'node:path';
import compression from 'compression';
import ejs from 'ejs';
import express, { type Express, type Request } from 'express';
import type session from 'express-session';
import type { Config } from './config.js';
import { createAccountController } from './controllers/account.js';
import { createAdminController } from './controllers/admin.js';
import { createAuthApiController } from './controllers/auth.js';
import { createAuthPagesController } from './controllers/auth-pages.js';
import { createCartController } from './controllers/cart.js';
import { createCheckoutController } from './controllers/checkout.js';
import { createOrdersController } from './controllers/orders.js';
import { createPaymentsController } from './controllers/payments.js';
import { createHealthController } from './controllers/health.js';
import { createSessionActions } from './controllers/session-actions.js';
import { createTwoFactorApiController } from './controllers/two-factor.js';
import { createProductsApiController } from './controllers/products.js';
import { createShopController } from './controllers/shop.js';
import type { Db } from './db/knex.js';
import { createAssetUrl } from './lib/assets.js';
import type { Logger } from './lib/logger.js';
import { formatINR } from './lib/money.js';
import { formatCount, priceHtml, starsHtml } from './lib/view-helpers.js';
import { publicDir, viewsDir } from './lib/paths.js';
import { createPassport, flashMessages, requireAdmin, sessionLifetime } from './middleware/auth.js';
import { csrfProtection } from './middleware/csrf.js';
import { errorHandler, notFound } from './middleware/errors.js';
import { requestLogger } from './middleware/request-logger.js';
import { securityHeaders } from './middleware/security.js';
import { sessionMiddleware } from './middleware/session.js';
import { adminRoutes } from './routes/admin.js';
import { authApiRoutes, authPageRoutes } from './routes/auth.js';
import { cartRoutes } from './routes/cart.js';
import { paymentRoutes, webhookRoutes } from './routes/payments.js';
import { orderRoutes } from './routes/orders.js';
import { emulatorCheckoutRoutes } from './razorpay-emulator/checkout-page.js';
import type { RazorpayEmulator } from './razorpay-emulator/emulator.js';
import { healthRoutes } from './routes/health.js';
import { productsApiRoutes } from './routes/products.js';
import { SHARED_CACHE_PATHS, shopRoutes } from './routes/shop.js';
import { pageRoutes } from './routes/pages.js';
import { createPagesController } from './controllers/pages.js';
import type { ContactService } from './services/contact-service.js';
import type { RateLimits } from './services/rate-limits.js';
import type { Clock } from './lib/clock.js';
import type { LoginEventModel } from './models/login-events.js';
import type { SessionModel } from './models/sessions.js';
import type { UserModel } from './models/users.js';
import type { AuthService } from './services/auth-service.js';
import type { CartService } from './services/cart-service.js';
import type { CheckoutService } from './services/checkout-service.js';
import type { DownloadService } from './services/download-service.js';
import type { RazorpayGateway } from './services/razorpay-gateway.js';
import type { EntitlementModel } from './models/entitlements.js';
import type { OrderModel } from './models/orders.js';
import type { WebhookService } from './services/webhook-service.js';
import type { CatalogService } from './services/catalog-service.js';
import type { TwoFactorService } from './services/two-factor-service.js';
import type { PageCache } from './lib/page-cache.js';
import { sharedPageCache } from './middleware/page-cache.js';

/** Everything the web app needs, built by deps.ts (or by a test). */
export interface AppDeps {
  config: Config;
  db: Db;
  logger: Logger;
  clock: Clock;
  sessionStore: session.Store;
  models: { users: UserModel; sessions: SessionModel; loginEvents: LoginEventModel; orders: OrderModel; entitlements: EntitlementModel };
  services: {
    catalog: CatalogService;
    auth: AuthService;
    twoFactor: TwoFactorService;
    cart: CartService;
    checkout: CheckoutService;
    webhooks: WebhookService;
    downloads: DownloadService;
    gateway: RazorpayGateway;
    contact: ContactService;
  };
  /** Rendered guest pages (catalog, product, home), served while catalog changes are heard. */
  pageCache: PageCache;
  /** Throttles shared by every web process (PostgreSQL-backed). */
  limits: RateLimits;
  /** The bundled Razorpay emulator, mounted at /__razorpay when running without keys (never in production). */
  razorpayEmulator?: RazorpayEmulator;
  /** Called for unexpected (500) errors; the alerts feature sends them to Discord/Slack. */
  reportError?: (err: unknown, req: Request) => void;
}

/** Builds the Express app. Does no I/O itself: every connection lives in deps. */
export function createApp(deps: AppDeps): Express {
  const { config, logger } = deps;
  const app = express();

  app.set('trust proxy', config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', viewsDir);
  // Views include partials by absolute path from views/ ('/partials/head'): EJS resolves those
  // without a file-existence check, which relative includes cost on every render.
  app.engine('ejs', (file, data, cb) =>
    ejs.renderFile(file, data as ejs.Data, { root: viewsDir, views: [viewsDir], cache: app.enabled('view cache') }, cb as never),
  );
  app.set('query parser', 'simple');
  app.disable('x-powered-by');
  if (config.isProduction) app.enable('view cache');

  app.locals.storeName = config.storeName;
  app.locals.formatINR = formatINR;
  app.locals.formatCount = formatCount;
  app.locals.stars = starsHtml;
  app.locals.price = priceHtml;
  app.locals.asset = createAssetUrl(publicDir);
  app.locals.year = new Date().getFullYear();

  app.use(requestLogger(logger));
  app.use(securityHeaders({ isProduction: config.isProduction }));
  // Before compression and the session: a guest's catalog page from memory costs neither.
  app.use(sharedPageCache(deps.pageCache, { paths: SHARED_CACHE_PATHS }));
  app.use(compression());
  // Each folder of public/ under its own prefix, so only asset URLs cost a file-system lookup.
  const staticOptions = {
    index: false,
    setHeaders(res: express.Response) {
      // Versioned URLs (?v=hash from asset()) never change; others may, so keep them briefly.
      const versioned = typeof res.req.query.v === 'string';
      res.setHeader('Cache-Control', versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=3600');
    },
  };
  for (const folder of readdirSync(publicDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    app.use(`/${folder.name}`, express.static(path.join(publicDir, folder.name), staticOptions));
  }
  app.use(healthRoutes(createHealthController({ db: deps.db })));

  const payments = createPaymentsController({ checkout: deps.services.checkout, webhooks: deps.services.webhooks });
  app.use(webhookRoutes(payments));
  if (deps.razorpayEmulator && !config.isProduction) {
    // The test-mode payment page first: the API router answers every other path itself.
    app.use('/__razorpay', emulatorCheckoutRoutes(deps.razorpayEmulator, { callbackPath: '/checkout/callback' }));
    app.use('/__razorpay', deps.razorpayEmulator.router);
  }
  app.use(express.json({ limit: '100kb' }));
  app.use(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 100 }));
  app.use(
    sessionMiddleware(deps.sessionStore, {
      secret: config.sessionSecret,
      idleMs: config.sessionIdleMs,
      secureCookie: config.isProduction,
    }),
  );
  // The payment callback is authenticated by Razorpay's signature and arrives cross-site.
  app.use(csrfProtection({ skip: (req) => req.path === '/checkout/callback' }));
  const passport = createPassport({ users: deps.models.users, auth: deps.services.auth });
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(sessionLifetime({ absoluteMs: config.sessionAbsoluteMs, clock: deps.clock }));
  app.use(flashMessages);
  app.use(async (req, res, next) => {
    res.locals.currentPath = req.path;
    res.locals.searchQuery = typeof req.query.q === 'string' ? req.query.q.slice(0, 100) : '';
    // The header's cart count for signed-in users (guests' count comes from their browser).
    // It comes with the user row from the session (findSessionUser); a user set during this
    // request (a sign-in) has none yet.
    const pageView = req.user && req.method === 'GET' && !req.path.startsWith('/api/');
    res.locals.cartCount = pageView ? ((req.user as { cart_count?: number }).cart_count ?? (await deps.services.cart.count(req.user!.id))) : 0;
    next();
  });

  const { auth, twoFactor } = deps.services;
  const actions = createSessionActions({ passport, auth, twoFactor, clock: deps.clock });
  const { sessions, loginEvents } = deps.models;
  app.use(authApiRoutes(createAuthApiController({ auth, actions, sessions }), createTwoFactorApiController({ twoFactor, actions })));
  app.use(authPageRoutes(createAuthPagesController({ auth, actions }), createAccountController({ auth, twoFactor, actions, sessions, loginEvents })));
  app.use(adminRoutes(createAdminController({ db: deps.db, clock: deps.clock }), requireAdmin({ require2fa: config.requireAdmin2fa })));
  app.use(paymentRoutes(payments));
  app.use(
    orderRoutes(
      createOrdersController({ orders: deps.models.orders, entitlements: deps.models.entitlements, downloads: deps.services.downloads, storeName: config.storeName }),
      createCheckoutController({ cart: deps.services.cart, checkout: deps.services.checkout, gateway: deps.services.gateway, orders: deps.models.orders, emulator: Boolean(deps.razorpayEmulator), storeName: config.storeName }),
    ),
  );
  app.use(cartRoutes(createCartController({ cart: deps.services.cart }), { events: deps.limits.cartEventsIp }));
  app.use(productsApiRoutes(createProductsApiController({ catalog: deps.services.catalog })));
  app.use(pageRoutes(createPagesController({ contact: deps.services.contact, supportEmail: config.supportEmail })));
  app.use(shopRoutes(createShopController({ catalog: deps.services.catalog, cart: deps.services.cart })));

  app.use(notFound);
  app.use(errorHandler({ logger, showStack: !config.isProduction, onUnexpected: deps.reportError }));
  return app;
}

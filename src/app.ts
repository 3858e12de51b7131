import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import compression from 'compression';
import ejs from 'ejs';
import express, { type Express } from 'express';
import type { Deps } from './deps.js';
import { createAssetUrl } from './lib/assets.js';
import { formatINR } from './lib/money.js';
import { publicDir, viewsDir } from './lib/paths.js';
import { formatCount, formatDate, formatDateTime, priceHtml, starsHtml, timeLeft } from './lib/view-helpers.js';
import { flashMessages, sessionLifetime } from './middleware/auth.js';
import { csrfProtection } from './middleware/csrf.js';
import { errorHandler, notFound } from './middleware/errors.js';
import { sharedPageCache } from './middleware/page-cache.js';
import { requestLogger } from './middleware/request-logger.js';
import { securityHeaders } from './middleware/security.js';
import { sessionMiddleware } from './middleware/session.js';
import { emulatorCheckoutRoutes } from './razorpay-emulator/checkout-page.js';
import { createAdminRouter } from './routes/admin/index.js';
import { isUploadRequest } from './routes/admin/uploads.js';
import { authApiRoutes, authPageRoutes } from './routes/auth.js';
import { cartRoutes } from './routes/cart.js';
import { healthRoutes } from './routes/health.js';
import { mediaRoutes } from './routes/media.js';
import { orderRoutes } from './routes/orders.js';
import { pageRoutes } from './routes/pages.js';
import { paymentRoutes, webhookRoutes } from './routes/payments.js';
import { productsApiRoutes } from './routes/products.js';
import { SHARED_CACHE_PATHS, shopRoutes } from './routes/shop.js';
import { NEWSLETTER_CSRF_EXEMPT, newsletterRoutes } from './routes/newsletter.js';
import { testimonialRoutes } from './routes/testimonials.js';
import { productRequestRoutes } from './routes/product-requests.js';
import { isProductViewBeacon, productViewRoutes } from './routes/product-views.js';
import { recommendationRoutes } from './routes/recommendations.js';
import { CART_REMINDER_CSRF_EXEMPT, cartReminderRoutes } from './routes/cart-reminders.js';

/** Builds the Express app. Does no I/O itself: every connection lives in deps. */
export function createApp(deps: Deps): Express {
  // chart.js for the admin charts comes from node_modules (no CDN). Its package exports only its
  // modules; the browser build sits beside them in dist/. Read once, when the app is built.
  const chartJsDir = path.dirname(createRequire(import.meta.url).resolve('chart.js'));
  const chartJsVersion = (JSON.parse(readFileSync(path.join(chartJsDir, '..', 'package.json'), 'utf8')) as { version: string }).version;
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
  app.locals.formatDateTime = formatDateTime;
  app.locals.formatDate = formatDate;
  app.locals.stars = starsHtml;
  app.locals.price = priceHtml;
  app.locals.timeLeft = timeLeft;
  app.locals.asset = createAssetUrl(publicDir);
  app.locals.chartJsUrl = `/vendor/chart.js/chart.umd.min.js?v=${chartJsVersion}`;
  app.locals.year = new Date().getFullYear();

  app.use(requestLogger(logger));
  app.use(securityHeaders({ isProduction: config.isProduction }));
  // Before compression and the session: a guest's catalog page from memory costs neither.
  // A kept page holds prices: it goes stale when an offer next starts or ends.
  app.use(sharedPageCache(deps.pageCache, { paths: SHARED_CACHE_PATHS, now: () => deps.clock.now().getTime(), staleAt: () => deps.services.deals.nextPriceChange()?.getTime() }));
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
  app.use('/vendor/chart.js', express.static(chartJsDir, staticOptions));
  // Each router builds its own controllers from deps: a request's path runs downward from here.
  app.use(healthRoutes(deps));
  app.use(mediaRoutes(deps));
  app.use(webhookRoutes(deps));
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
  // The payment callback is authenticated by Razorpay's signature and arrives cross-site. Admin
  // uploads (multipart) check the token themselves once the form is read (routes/admin/uploads.ts).
  app.use(csrfProtection({ skip: (req) => req.path === '/checkout/callback' || NEWSLETTER_CSRF_EXEMPT.has(req.path) || CART_REMINDER_CSRF_EXEMPT.has(req.path) || isProductViewBeacon(req.path), uploads: isUploadRequest }));
  app.use(deps.passport.initialize());
  app.use(deps.passport.session());
  app.use(sessionLifetime({ absoluteMs: config.sessionAbsoluteMs, clock: deps.clock }));
  app.use(flashMessages);
  app.use(async (req, res, next) => {
    res.locals.currentPath = req.path;
    res.locals.searchQuery = typeof req.query.q === 'string' ? req.query.q.slice(0, 100) : '';
    // The header's cart count for signed-in users (guests' count comes from their browser). It
    // comes with the user row from the session (findSessionUser); a user set during this
    // request (a sign-in) has none yet.
    const pageView = req.user && req.method === 'GET' && !req.path.startsWith('/api/');
    res.locals.cartCount = pageView ? ((req.user as { cart_count?: number }).cart_count ?? (await deps.services.cart.count(req.user!.id))) : 0;
    // The instant this page is priced at ("ends in 2 d 4 h"), and the banners of the offers running then.
    res.locals.now = deps.clock.now();
    res.locals.banners = req.method === 'GET' && !req.path.startsWith('/api/') && !req.path.startsWith('/admin') ? await deps.services.deals.banners() : [];
    next();
  });

  app.use(authApiRoutes(deps));
  app.use(authPageRoutes(deps));
  app.use(createAdminRouter(deps));
  app.use(paymentRoutes(deps));
  app.use(orderRoutes(deps));
  app.use(cartRoutes(deps));
  app.use(productsApiRoutes(deps));
  app.use(pageRoutes(deps));
  app.use(testimonialRoutes(deps));
  app.use(productRequestRoutes(deps));
  app.use(newsletterRoutes(deps));
  app.use(productViewRoutes(deps));
  app.use(recommendationRoutes(deps));
  app.use(cartReminderRoutes(deps));
  app.use(shopRoutes(deps));

  app.use(notFound);
  app.use(errorHandler({ logger, showStack: !config.isProduction, onUnexpected: deps.reportError }));
  return app;
}

import type session from 'express-session';
import type { Request } from 'express';
import { createPassport } from './middleware/auth.js';
import type { Config } from './config.js';
import { createDb, createPgPool, type Db } from './db/knex.js';
import { createNotificationListener } from './db/listener.js';
import { createPageCache } from './lib/page-cache.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import { createSessionStore } from './middleware/session.js';
import { createCartModel } from './models/cart.js';
import { createCategoryModel } from './models/categories.js';
import { createEmailOutboxModel } from './models/email-outbox.js';
import { createEntitlementModel } from './models/entitlements.js';
import { createLoginEventModel } from './models/login-events.js';
import { createOrderModel } from './models/orders.js';
import { createPaymentModel } from './models/payments.js';
import { createAlertModel } from './models/alerts.js';
import { createAlertDeliveryModel } from './models/alert-deliveries.js';
import { createAlertDeliveryService } from './services/alert-delivery-service.js';
import { alertForServerError } from './services/alert-reports.js';
import { createAuditLogModel } from './models/audit-log.js';
import { createOfferModel } from './models/offers.js';
import { createAnalyticsModel } from './models/analytics.js';
import { createAnalyticsService } from './services/analytics-service.js';
import { createAdminDigestService } from './services/admin-digest-service.js';
import { createDealService } from './services/deal-service.js';
import { createDealAdminService } from './services/deal-admin-service.js';
import { createAuditService } from './services/audit-service.js';
import { createImageService } from './services/image-service.js';
import { createProductAdminService } from './services/product-admin-service.js';
import { createCategoryAdminService } from './services/category-admin-service.js';
import { createOrderAdminService } from './services/order-admin-service.js';
import { createCustomerAdminService } from './services/customer-admin-service.js';
import { createContactMessageModel } from './models/contact-messages.js';
import { createContactService } from './services/contact-service.js';
import { createRefundModel } from './models/refunds.js';
import { createAlertService } from './services/alert-service.js';
import { createRefundService } from './services/refund-service.js';
import { createProductModel } from './models/products.js';
import { createRecoveryCodeModel } from './models/recovery-codes.js';
import { createSessionModel } from './models/sessions.js';
import { createUserTokenModel } from './models/user-tokens.js';
import { createUserModel } from './models/users.js';
import type { AccountDeps } from './services/account-context.js';
import { createAuthService } from './services/auth-service.js';
import { createCartService } from './services/cart-service.js';
import { createCatalogService } from './services/catalog-service.js';
import { createCheckoutService } from './services/checkout-service.js';
import { createRazorpayGateway } from './services/razorpay-gateway.js';
import { createRazorpayEmulator } from './razorpay-emulator/emulator.js';
import { createDownloadService } from './services/download-service.js';
import { createLocalStorage, createS3Storage, type FileStorage } from './services/storage.js';
import { createWebhookService } from './services/webhook-service.js';
import { createFolderTransport, createMailService, createSmtpTransport, type MailTransport } from './services/mail-service.js';
import { createRateLimits } from './services/rate-limits.js';
import { createTwoFactorService } from './services/two-factor-service.js';
import { createNewsletterSubscriberModel } from './models/newsletter-subscribers.js';
import { createNewsletterAdminService, createNewsletterService } from './services/newsletter-service.js';
import { createProductRequestModel } from './models/product-requests.js';
import { createProductRequestService } from './services/product-request-service.js';
import { createTestimonialModel } from './models/testimonials.js';
import { createTestimonialService } from './services/testimonial-service.js';
import { createProductViewModel } from './models/product-views.js';
import { createProductViewService } from './services/product-view-service.js';
import { createUserDeviceModel } from './models/user-devices.js';
import { createRecommendationModel } from './models/recommendations.js';
import { createRecommendationService } from './services/recommendation-service.js';
import { createBackupModel } from './models/backups.js';
import { createBackupService } from './services/backup-service.js';
import { createLocalBackupStorage, createS3BackupStorage } from './services/backup-storage.js';
import { createNewsletterIssueModel } from './models/newsletter-issues.js';
import { createNewsletterIssueService } from './services/newsletter-issue-service.js';
import { createCartReminderModel } from './models/cart-reminders.js';
import { createCartReminderService } from './services/cart-reminder-service.js';
import { createRetentionModel } from './models/retention.js';
import { createRetentionService } from './services/retention-service.js';

/**
 * Everything the app, the jobs and the CLI run on, built by createDeps: the only place that calls
 * every create*(). Tests call it too, with a test database URL and a movable clock, so they
 * exercise the same wiring the server runs. Routers take it whole and build their controllers.
 */
export type Deps = ReturnType<typeof createDeps>;

function createModels(db: Db, config: Config) {
  return {
    products: createProductModel(db),
    categories: createCategoryModel(db),
    users: createUserModel(db),
    userTokens: createUserTokenModel(db),
    recoveryCodes: createRecoveryCodeModel(db),
    loginEvents: createLoginEventModel(db),
    userDevices: createUserDeviceModel(db),
    sessions: createSessionModel(db),
    emailOutbox: createEmailOutboxModel(db),
    carts: createCartModel(db),
    orders: createOrderModel(db),
    payments: createPaymentModel(db),
    entitlements: createEntitlementModel(db),
    refunds: createRefundModel(db),
    alerts: createAlertModel(db),
    alertDeliveries: createAlertDeliveryModel(db),
    contactMessages: createContactMessageModel(db),
    auditLog: createAuditLogModel(db),
    newsletterSubscribers: createNewsletterSubscriberModel(db),
    newsletterIssues: createNewsletterIssueModel(db),
    offers: createOfferModel(db),
    analytics: createAnalyticsModel(db, { abandonHours: config.abandonedCartHours }),
    productRequests: createProductRequestModel(db),
    testimonials: createTestimonialModel(db),
    productViews: createProductViewModel(db),
    recommendations: createRecommendationModel(db),
    backups: createBackupModel(db),
    cartReminders: createCartReminderModel(db),
    retention: createRetentionModel(db),
  };
}

export function createDeps(
  config: Config,
  opts: { databaseUrl: string; logger: Logger; clock?: Clock; mailTransport?: MailTransport },
) {
  const db: Db = createDb({ url: opts.databaseUrl, poolMax: config.databasePoolMax, ssl: config.databaseSsl, logger: opts.logger });
  // Sessions and Agenda want a plain pg pool; a small separate one keeps them from starving queries.
  const pool = createPgPool({ url: opts.databaseUrl, poolMax: config.databasePoolMax, ssl: config.databaseSsl });
  pool.on('error', (err) => opts.logger.error({ err }, 'idle database client error'));

  const clock = opts.clock ?? systemClock;
  const models = createModels(db, config);
  const alerts = createAlertService({ alerts: models.alerts, clock, logger: opts.logger });
  const transport = opts.mailTransport ?? (config.smtpUrl ? createSmtpTransport(config.smtpUrl) : createFolderTransport(config.mailOutboxDir, opts.logger));
  // Newsletter issues go out over a few kept-open SMTP connections.
  const bulkTransport = opts.mailTransport ?? (config.smtpUrl ? createSmtpTransport(config.smtpUrl, { pool: config.newsletter.concurrency }) : transport);
  const mail = createMailService({
    db,
    outbox: models.emailOutbox,
    transport,
    bulkTransport,
    from: config.mailFrom,
    brand: { storeName: config.storeName, baseUrl: config.baseUrl },
    clock,
    logger: opts.logger,
  });
  const limits = createRateLimits(db);
  const account: AccountDeps = {
    db,
    users: models.users,
    tokens: models.userTokens,
    recoveryCodes: models.recoveryCodes,
    loginEvents: models.loginEvents,
    userDevices: models.userDevices,
    sessions: models.sessions,
    mail,
    limits,
    clock,
    settings: { baseUrl: config.baseUrl, storeName: config.storeName, dataKeys: config.dataKeys, requireAdmin2fa: config.requireAdmin2fa },
  };
  // Newsletter sign-ups (also the opt-in box at account sign-up).
  const newsletter = createNewsletterService({ db, subscribers: models.newsletterSubscribers, mail, limits: { ip: limits.newsletterIp, email: limits.newsletterEmail }, clock, settings: { baseUrl: config.baseUrl, storeName: config.storeName, dataKeys: config.dataKeys } });
  const auth = createAuthService(account, { newsletterOptIn: newsletter.optInAtSignup });
  // Offers price everything the shop shows and charges (services/pricing.ts).
  const deals = createDealService({ offers: models.offers, clock });
  const services = {
    deals,
    catalog: createCatalogService({ products: models.products, categories: models.categories, offers: deals.book }),
    auth,
    twoFactor: createTwoFactorService({ ...account, auth }),
    cart: createCartService({ db, carts: models.carts, products: models.products, orders: models.orders, deals, clock }),
  };
  const storage: FileStorage = config.s3 ? createS3Storage(config.s3) : createLocalStorage(config.storageDir);
  const downloads = createDownloadService({
    db,
    storage,
    clock,
    baseUrl: config.baseUrl,
    dataKeys: config.dataKeys,
    delivery: config.downloadDelivery,
    redirectSeconds: config.downloadRedirectSeconds,
  });
  const gateway = createRazorpayGateway(config.razorpay);
  // No Razorpay keys (development, tests without keys): the bundled emulator answers at
  // BASE_URL/__razorpay and posts its webhooks back to this store.
  const razorpayEmulator =
    config.razorpay.emulator && !config.isProduction
      ? createRazorpayEmulator({ ...config.razorpay, webhookUrl: `${config.baseUrl}/api/webhooks/razorpay` })
      : undefined;
  const checkout = createCheckoutService({
    db,
    orders: models.orders,
    payments: models.payments,
    entitlements: models.entitlements,
    carts: models.carts,
    users: models.users,
    cart: services.cart,
    deals,
    gateway,
    mail,
    clock,
    logger: opts.logger,
    settings: { baseUrl: config.baseUrl, storeName: config.storeName, downloadLimit: config.downloadLimit },
    downloadLink: downloads.linkFor,
    alerts,
  });
  const refunds = createRefundService({ db, refunds: models.refunds, payments: models.payments, orders: models.orders, entitlements: models.entitlements, alerts, clock });
  const webhooks = createWebhookService({ gateway, payments: models.payments, checkout, refunds, alerts, logger: opts.logger });
  const payments = { gateway, checkout, downloads, webhooks, refunds, alerts };

  const pageCache = createPageCache({ maxBytes: config.pageCacheMb * 1024 * 1024 });
  // The back office.
  const audit = createAuditService({ audit: models.auditLog, clock });
  const images = createImageService({ storage });
  const productAdmin = createProductAdminService({ db, products: models.products, categories: models.categories, audit, images, storage, catalog: services.catalog, pageCache });
  const categoryAdmin = createCategoryAdminService({ db, categories: models.categories, audit, catalog: services.catalog, pageCache });
  // The orders and customers modules (each service lists what it needs).
  const orderAdmin = createOrderAdminService({ db, models, gateway, refunds, mail, audit, logger: opts.logger, settings: { baseUrl: config.baseUrl, storeName: config.storeName }, downloadLink: downloads.linkFor });
  const analytics = createAnalyticsService({ analytics: models.analytics, clock, abandonHours: config.abandonedCartHours, liveTtlMs: config.analyticsLiveSeconds * 1000 });
  const adminDigest = createAdminDigestService({ db, analytics, mail, clock, logger: opts.logger, settings: { baseUrl: config.baseUrl, storeName: config.storeName, hourIst: config.adminDigestHourIst } });
  const dealAdmin = createDealAdminService({ db, offers: models.offers, deals, audit, pageCache, clock });
  const customerAdmin = createCustomerAdminService({ db, sessions: models.sessions, audit, clock });
  const newsletterAdmin = createNewsletterAdminService({ db, subscribers: models.newsletterSubscribers, audit, clock });
  // Alerts to Discord/Slack (the deliver-alerts job, /admin/alerts, npm run alert:test).
  const alertDelivery = createAlertDeliveryService({ db, alerts: models.alerts, deliveries: models.alertDeliveries, alertService: alerts, audit, clock, logger: opts.logger, settings: config.alerts, storeName: config.storeName, testLimiter: limits.alertTestUser });
  const admin = { adminDigest, alertDelivery, audit, images, productAdmin, categoryAdmin, orderAdmin, customerAdmin, dealAdmin, analytics, newsletterAdmin };
  const testimonials = createTestimonialService({ db, testimonials: models.testimonials, orders: models.orders, audit, images, pageCache, clock });
  const catalogChanges = createNotificationListener({ url: opts.databaseUrl, ssl: config.databaseSsl, channels: ['catalog_changed'] });
  const catalogChanged = () => {
    pageCache.clear();
    services.catalog.clearCaches();
    deals.clearCache();
  };
  catalogChanges.on('notification', catalogChanged);
  // Changes made while it was away were not heard: start from nothing.
  catalogChanges.on('connected', () => {
    catalogChanged();
    pageCache.enable();
  });
  catalogChanges.on('disconnected', (err?: Error) => {
    pageCache.disable();
    opts.logger.warn({ err }, 'catalog change notices interrupted; shared page cache off until they resume');
  });
  const productRequests = createProductRequestService({ db, requests: models.productRequests, audit, mail, limits: { create: limits.productRequestUser, vote: limits.productVoteUser }, clock, logger: opts.logger, baseUrl: config.baseUrl });
  // Product views (the product page's beacon), for the analytics funnel and recommendations.
  const productViews = createProductViewService({ productViews: models.productViews, clock });
  // Recommendations (the recompute job; the product, home and cart sections; the JSON API).
  const recommendations = createRecommendationService({ db, recs: models.recommendations, catalog: services.catalog, offers: deals.book, clock, logger: opts.logger, pageCache });
  // Abandoned-cart reminders (the send-cart-reminders job, /cart/return/…, /cart-reminders/unsubscribe).
  const cartReminders = createCartReminderService({ db, reminders: models.cartReminders, cart: services.cart, deals, mail, clock, logger: opts.logger, settings: { baseUrl: config.baseUrl, storeName: config.storeName, dataKeys: config.dataKeys, ...config.cartReminders } });
  // The nightly trim of log-like tables (the retention job).
  const retention = createRetentionService({ retention: models.retention, analytics: models.analytics, sessions: models.sessions, mail, clock, logger: opts.logger, settings: { ...config.retention, days: { ...config.retention.days, mail: config.mailRetentionDays } } });
  // Newsletter issues and offer campaigns (/admin/newsletter, the send-newsletter job).
  const newsletterIssues = createNewsletterIssueService({ db, issues: models.newsletterIssues, subscribers: models.newsletterSubscribers, offers: models.offers, categories: models.categories, newsletter, mail, audit, testLimiter: limits.newsletterTestUser, clock, logger: opts.logger, settings: { baseUrl: config.baseUrl, storeName: config.storeName, ...config.newsletter } });
  // Database backups (S3 under backups/ when configured, else BACKUP_DIR), drills and retention.
  const backups = createBackupService({ db, target: { url: opts.databaseUrl, ssl: config.databaseSsl }, backups: models.backups, storage: config.s3 ? createS3BackupStorage({ ...config.s3, sse: config.backups.sse }) : createLocalBackupStorage(config.backups.dir), alerts, audit, clock, logger: opts.logger, settings: { hourIst: config.backups.hourIst } });
  const contact = createContactService({ db, messages: models.contactMessages, mail, limiter: limits.contactIp, supportEmail: config.supportEmail, storeName: config.storeName });

  return {
    config,
    db,
    pool,
    logger: opts.logger,
    clock,
    models,
    services: { ...services, ...payments, newsletter, contact, ...admin, testimonials, productRequests, productViews, recommendations, retention, cartReminders, newsletterIssues, backups },
    mail,
    storage,
    razorpayEmulator,
    limits,
    sessionStore: createSessionStore(pool, { now: () => clock.now().getTime() }) as session.Store,
    /** Sign-in for the web app: its own Passport instance (no module singleton). */
    passport: createPassport({ users: models.users, auth }),
    /** Rendered guest pages (catalog, product, home), served while catalog changes are heard. */
    pageCache,
    /**
     * Hears `catalog_changed` from every process; a web process starts it (server.ts). While it
     * is connected the shared page cache serves, and each change clears that cache and the
     * catalog's own caches.
     */
    catalogChanges,
    /** Called for unexpected (500) errors; the alerts feature sends them to Discord/Slack. */
    reportError: ((err: unknown, req: Request) => alerts.raiseQuietly(alertForServerError(err, req))) as ((err: unknown, req: Request) => void) | undefined,
    async close() {
      transport.close();
      if (bulkTransport !== transport) bulkTransport.close();
      await catalogChanges.close();
      await Promise.allSettled([db.destroy(), pool.end()]);
    },
  };
}

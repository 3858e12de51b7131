import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers. The CSP allows only our own scripts and styles (no inline code), plus what
 * Razorpay Checkout needs: its script, its frames and the API it calls.
 */
export function securityHeaders(opts: { isProduction: boolean; extraImageSources?: string[] }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", 'https://checkout.razorpay.com'],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', ...(opts.extraImageSources ?? [])],
        fontSrc: ["'self'"],
        connectSrc: ["'self'", 'https://api.razorpay.com', 'https://lumberjack.razorpay.com'],
        frameSrc: ['https://api.razorpay.com', 'https://checkout.razorpay.com'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        objectSrc: ["'none'"],
        ...(opts.isProduction ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // HSTS only makes sense once the site is served over HTTPS, which production always is.
    strictTransportSecurity: opts.isProduction ? { maxAge: 15552000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  });
}

/** Pages with personal data (account, orders, admin) must not be kept by browsers or proxies. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

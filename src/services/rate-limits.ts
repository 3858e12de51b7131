import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Db } from '../db/knex.js';
import { TooManyRequestsError } from '../lib/errors.js';

/**
 * Throttles kept in PostgreSQL (table rate_limits) so every web process shares them.
 * Login follows rate-limiter-flexible's recipe: failures are counted per account AND IP (so an
 * attacker elsewhere cannot lock the real user out; a success clears the count) with 10 allowed
 * per 15 minutes, plus 100 failures a day per IP. Over a limit, the answer is 429 with
 * Retry-After until the window ends.
 */
export interface Limiter {
  /** Throws 429 if the key is already over its limit, without counting this call. */
  check(key: string): Promise<void>;
  /** Counts one hit; throws 429 when that goes over the limit. */
  hit(key: string): Promise<void>;
  reset(key: string): Promise<void>;
  /** Gives back one point counted by `hit` (a success that should not count against the limit). */
  refund(key: string): Promise<void>;
}

function makeLimiter(db: Db, keyPrefix: string, points: number, durationSec: number, message: string, blockSec?: number): Limiter {
  const rl = new RateLimiterPostgres({
    storeClient: db,
    storeType: 'knex',
    tableName: 'rate_limits',
    tableCreated: true,
    clearExpiredByTimeout: false, // the prune job removes expired rows
    keyPrefix,
    points,
    duration: durationSec,
    blockDuration: blockSec ?? 0,
  });
  const tooMany = (res: RateLimiterRes) => new TooManyRequestsError(message, Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
  return {
    async check(key) {
      const res = await rl.get(key);
      if (res && res.consumedPoints >= points) throw tooMany(res);
    },
    async hit(key) {
      try {
        await rl.consume(key);
      } catch (err) {
        if (err instanceof RateLimiterRes) throw tooMany(err);
        throw err;
      }
    },
    async reset(key) {
      await rl.delete(key);
    },
    async refund(key) {
      await rl.reward(key, 1);
    },
  };
}

const WAIT = 'Too many attempts. Please wait 15 minutes and try again.';

export function createRateLimits(db: Db) {
  return {
    loginAccountIp: makeLimiter(db, 'login_acct_ip', 10, 15 * 60, WAIT),
    loginIpDay: makeLimiter(db, 'login_ip_day', 100, 24 * 3600, 'Too many sign-in attempts from this network today. Please try again tomorrow or reset your password.'),
    /** Password checks of a signed-in user (2FA changes, recovery codes, password change): a stolen session cannot guess. */
    passwordCheckUser: makeLimiter(db, 'pwcheck_user', 10, 15 * 60, WAIT),
    resetIp: makeLimiter(db, 'reset_ip', 20, 3600, 'Too many password resets from this network. Please try again later.'),
    resetToken: makeLimiter(db, 'reset_token', 5, 3600, 'Too many tries with this link. Please ask for a new one.'),
    cartEventsIp: makeLimiter(db, 'cart_events_ip', 300, 600, 'Too many cart updates. Please slow down.'),
    twoFactorUser: makeLimiter(db, '2fa_user', 10, 15 * 60, WAIT),
    signupIp: makeLimiter(db, 'signup_ip', 20, 3600, 'Too many sign-ups from this network. Please try again later.'),
    forgotEmail: makeLimiter(db, 'forgot_email', 3, 3600, 'We already sent several reset emails. Please check your inbox or try again later.'),
    forgotIp: makeLimiter(db, 'forgot_ip', 20, 3600, WAIT),
    resendEmail: makeLimiter(db, 'resend_email', 3, 3600, 'We already sent several emails. Please check your inbox or try again later.'),
    resendIp: makeLimiter(db, 'resend_ip', 20, 3600, WAIT),
    /** Coupon codes tried (right or wrong) per account or network: codes cannot be guessed by brute force. */
    couponIp: makeLimiter(db, 'coupon_ip', 30, 15 * 60, 'Too many codes tried. Please wait 15 minutes and try again.'),
    contactIp: makeLimiter(db, 'contact_ip', 5, 3600, 'You have sent several messages in the last hour. We will answer those first; please try again later.'),
    /** Newsletter sign-ups: each sends a confirmation email, so per network and per address. */
    newsletterIp: makeLimiter(db, 'newsletter_ip', 10, 3600, 'Too many newsletter sign-ups from this network. Please try again later.'),
    newsletterEmail: makeLimiter(db, 'newsletter_email', 3, 24 * 3600, 'We already sent several confirmation emails to this address today. Please check your inbox (and spam folder) or try again tomorrow.'),
    /** "Send a test to me" of a newsletter issue, per admin. */
    newsletterTestUser: makeLimiter(db, 'newsletter_test_user', 5, 600, 'You sent several test emails in the last few minutes. Please wait a little, then try again.'),
    /** Product requests: new requests per account per hour, and votes per account per minute. */
    productRequestUser: makeLimiter(db, 'preq_user', 5, 3600, 'You have asked for several products in the last hour. Please wait a little before asking for more.'),
    productVoteUser: makeLimiter(db, 'preq_vote_user', 60, 60, 'Too many votes in a minute. Please slow down.'),
    /** Product-view beacons per network: each page load sends one, so more than 120 a minute is a script, not a shopper. */
    productViewsIp: makeLimiter(db, 'product_views_ip', 600, 60, 'Too many product views from this network. Please slow down.'),
    /** The admin's "Send test alert": each one posts to Discord and Slack. */
    alertTestUser: makeLimiter(db, 'alert_test_user', 5, 600, 'You sent several test alerts in the last 10 minutes. Please wait a few minutes before sending another.'),
  };
}

export type RateLimits = ReturnType<typeof createRateLimits>;

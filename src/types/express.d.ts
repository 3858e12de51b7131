import type { UserRow } from '../models/users.js';

declare global {
  namespace Express {
    // passport puts the row loaded by deserializeUser here.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends UserRow {}
  }
}

declare module 'express-session' {
  interface SessionData {
    csrfSecret?: string;
    /** Set at login: where and when, for "active sessions" and the absolute lifetime. */
    meta?: { ip: string; device: string; createdAt: string; authAt: number };
    /** Between the password step and the second factor. */
    pending2fa?: { userId: number; methods: ('totp' | 'email')[]; expiresAt: number; emailChallengeId?: number; next?: string };
    /** One message shown on the next page. */
    flash?: { type: 'success' | 'error' | 'info'; message: string };
    /** Recovery codes to show once, right after they are made. */
    recoveryCodes?: string[];
    /** A TOTP set-up in progress (QR shown on the account page). */
    totpSetup?: { secret: string; qrDataUrl: string };
  }
}

export {};

import type { Request, Response } from 'express';
import { UnauthorizedError } from '../lib/errors.js';
import { parseInput } from '../lib/validate.js';
import { issueCsrfToken } from '../middleware/csrf.js';
import type { TwoFactorService } from '../services/two-factor-service.js';
import * as s from './auth-schemas.js';
import type { SessionActions } from './session-actions.js';

/** JSON endpoints under /api/auth/2fa. Turning a method on or off needs the password. */
export function createTwoFactorApiController(deps: { twoFactor: TwoFactorService; actions: SessionActions }) {
  const { twoFactor, actions } = deps;
  const userId = (req: Request) => {
    if (!req.user) throw new UnauthorizedError();
    return req.user.id;
  };
  // Turning 2FA on or off changes what the session may do: give it a new id.
  const rotated = async (req: Request, res: Response, body: Record<string, unknown>) => {
    await actions.rotate(req);
    res.json({ ...body, csrfToken: issueCsrfToken(req, res) });
  };

  return {
    /** GET /api/auth/2fa */
    async status(req: Request, res: Response) {
      res.set('Cache-Control', 'no-store').json(await twoFactor.status(userId(req)));
    },
    /** POST /api/auth/2fa/totp/setup: a new secret and QR code (not active until confirmed). */
    async totpSetup(req: Request, res: Response) {
      res.set('Cache-Control', 'no-store').json(await twoFactor.startTotpSetup(userId(req)));
    },
    /** POST /api/auth/2fa/totp/enable {code, password}: returns recovery codes once. */
    async totpEnable(req: Request, res: Response) {
      const body = parseInput(s.totpEnableBody, req.body);
      await rotated(req, res, await twoFactor.enableTotp(userId(req), body.password, body.code));
    },
    /** POST /api/auth/2fa/totp/disable {password} */
    async totpDisable(req: Request, res: Response) {
      const body = parseInput(s.passwordBody, req.body);
      await twoFactor.disableTotp(userId(req), body.password);
      await rotated(req, res, { totp: false });
    },
    /** POST /api/auth/2fa/email/enable {password} */
    async emailEnable(req: Request, res: Response) {
      const body = parseInput(s.passwordBody, req.body);
      await rotated(req, res, await twoFactor.enableEmailOtp(userId(req), body.password));
    },
    /** POST /api/auth/2fa/email/disable {password} */
    async emailDisable(req: Request, res: Response) {
      const body = parseInput(s.passwordBody, req.body);
      await twoFactor.disableEmailOtp(userId(req), body.password);
      await rotated(req, res, { email: false });
    },
    /** POST /api/auth/2fa/recovery-codes {password}: replaces the recovery codes. */
    async recoveryCodes(req: Request, res: Response) {
      const body = parseInput(s.passwordBody, req.body);
      res.set('Cache-Control', 'no-store').json({ recoveryCodes: await twoFactor.regenerateRecoveryCodes(userId(req), body.password) });
    },
  };
}

import { z } from 'zod';
import { lineText } from '../lib/fields.js';
import { parseInput } from '../lib/validate.js';

/** Request bodies of the account endpoints. Messages are what a person sees next to the field. */

export const email = z
  .string({ error: 'Enter your email address.' })
  .trim()
  .max(254, 'That email address is too long.')
  .pipe(z.email({ error: 'Enter a valid email address, like name@example.com.' }));

// Length rules (8–128 code points, not common) are checked by lib/passwords.ts; this only caps
// the body so a megabyte "password" never reaches the hash.
export const password = z.string({ error: 'Enter a password.' }).min(1, 'Enter a password.').max(1024, 'Use at most 128 characters.');
export const name = lineText('Your name', 100).pipe(z.string().min(1, 'Enter your name.'));
export const token = z.string({ error: 'The link is missing its token.' }).min(10, 'This link is not valid.').max(200, 'This link is not valid.');
export const code = z.string({ error: 'Enter the code.' }).trim().min(6, 'Enter the 6-digit code or a recovery code.').max(20, 'That code is too long.');

/** Sign-up ignores extra fields such as `role`: a client can never choose its own privileges. */
/** `newsletter`: the opt-in box (unchecked by default); a form sends "1", JSON a boolean. */
export const newsletterOptIn = z.union([z.boolean(), z.enum(['1', 'on', 'true']).transform(() => true)], { error: 'Tick the box or leave it empty.' }).optional();
export const signupBody = z.object({ email, password, name, newsletter: newsletterOptIn });
export const loginBody = z.object({ email, password: z.string({ error: 'Enter your password.' }).min(1, 'Enter your password.').max(1024) }).strict();
export const emailBody = z.object({ email }).strict();
export const tokenBody = z.object({ token }).strict();
export const resetBody = z.object({ token, password }).strict();
export const codeBody = z.object({ code }).strict();
export const passwordBody = z.object({ password }).strict();
export const totpEnableBody = z.object({ code, password }).strict();
export const changePasswordBody = z.object({ currentPassword: password, newPassword: password }).strict();
export const profileBody = z.object({ name }).strict();

/** HTML forms also carry `_csrf` (and sometimes `next`); they are read without strictness. */
export const formOf = <S extends z.ZodObject>(schema: S) => schema.strip();

/** Parses a submitted form with a body schema (extra form fields ignored) or throws a 400 with field messages. */
export function parseForm<S extends z.ZodObject>(schema: S, body: unknown): z.output<S> {
  return parseInput(formOf(schema), body ?? {}, 'Please check the highlighted fields.') as z.output<S>;
}

/**
 * The one normal form of an email address, used by every path that reads one (sign-up, login,
 * reset, resend, throttle keys): trimmed, Unicode NFC, lower-case. The column is citext, so
 * lookups ignore case anyway; this keeps throttle keys and stored values consistent too.
 */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

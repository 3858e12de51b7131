/**
 * A `next` target from a query or form, accepted only as a local path ("/account"), never another
 * origin ("//evil.com", "/\\evil.com", "https://…"), so login cannot be used as an open redirect.
 */
export function safeNext(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || value.length > 512) return fallback;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback;
  // Control characters (tabs, newlines) let some browsers read "/\t/evil.com" as another origin.
  if ([...value].some((c) => c.charCodeAt(0) < 0x20)) return fallback;
  return value;
}

import { z } from 'zod';

/**
 * Field rules shared by every route, so hostile input stops at the schema with a field message
 * instead of reaching PostgreSQL and coming back as a 500: ids stay inside the `integer` column
 * range, and text never carries NUL (which PostgreSQL text cannot hold) or other control
 * characters (which only ever arrive from scripts and break pages, logs and emails).
 */

/** The largest value of a PostgreSQL `integer` (serial) column. */
export const MAX_DB_ID = 2_147_483_647;

/** A database id in a JSON body: a whole number from 1 to MAX_DB_ID. */
export function idNumber(label: string) {
  return z
    .number({ error: `${label} must be a number.` })
    .int(`${label} must be a whole number.`)
    .positive(`${label} must be positive.`)
    .max(MAX_DB_ID, `${label} is too large.`);
}

/** A database id that may arrive as text (HTML forms): digits only, then the same range. */
export function idField(label: string) {
  return z.union([z.number(), z.string().trim().regex(/^\d{1,10}$/, `${label} must be a whole number.`)], { error: `${label} must be a number.` }).transform(Number).pipe(idNumber(label));
}

/** A URL path id (`/orders/:id`): the number, or undefined for anything that cannot be a row (→ 404). */
export function pathId(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^[1-9]\d{0,9}$/.test(value)) return undefined;
  const n = Number(value);
  return n <= MAX_DB_ID ? n : undefined;
}

// C0 controls but tab, line feed and carriage return; DEL and the C1 range; lone surrogates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LINE_BREAK = /[\r\n\t]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True if the text holds nothing a person could have typed into a one-line field. */
export const isCleanLine = (s: string) => !CONTROL.test(s) && !LINE_BREAK.test(s) && !LONE_SURROGATE.test(s);
/** True if the text holds nothing a person could have typed into a multi-line field. */
export const isCleanText = (s: string) => !CONTROL.test(s) && !LONE_SURROGATE.test(s);

/** One line of text (a name, a title): trimmed, at most `max` characters, no control characters. */
export function lineText(label: string, max: number) {
  return z
    .string({ error: `${label} must be text.` })
    .trim()
    .max(max, `${label} can be at most ${max} characters.`)
    .refine(isCleanLine, `${label} contains characters that are not allowed.`);
}

/** Several lines of text (a description, a message): line breaks and tabs allowed. */
export function multilineText(label: string, max: number) {
  return z
    .string({ error: `${label} must be text.` })
    .trim()
    .max(max, `${label} can be at most ${max} characters.`)
    .refine(isCleanText, `${label} contains characters that are not allowed.`);
}

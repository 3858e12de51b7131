import type { z } from 'zod';
import { ValidationError, type FieldErrors } from './errors.js';

/** Field path → first message, the shape every 400 response carries. */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) fields[[...issue.path, k].join('.')] = 'This field is not allowed.';
      continue;
    }
    const key = issue.path.length ? issue.path.join('.') : '_';
    if (!(key in fields)) fields[key] = issue.message;
  }
  return fields;
}

/** Parses input with a schema or throws a ValidationError listing each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, message?: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(message, fieldErrors(result.error));
  return result.data;
}

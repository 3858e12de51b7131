/**
 * Typed errors thrown by services and controllers. The error middleware turns each into an HTML
 * page or `{error:{code,message,fields}}` JSON with the status it carries.
 */
export type FieldErrors = Record<string, string>;

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldErrors,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message = 'Some fields are not valid.', fields?: FieldErrors) {
    super(400, 'VALIDATION_ERROR', message, fields);
  }
}
export class UnauthorizedError extends AppError {
  constructor(message = 'Please sign in to continue.') {
    super(401, 'UNAUTHORIZED', message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'You do not have access to this.', code = 'FORBIDDEN') {
    super(403, code, message);
  }
}
export class NotFoundError extends AppError {
  constructor(message = 'We could not find that page.') {
    super(404, 'NOT_FOUND', message);
  }
}
export class ConflictError extends AppError {
  constructor(message: string, code = 'CONFLICT') {
    super(409, code, message);
  }
}
export class PayloadTooLargeError extends AppError {
  constructor(message = 'The request is too large.') {
    super(413, 'PAYLOAD_TOO_LARGE', message);
  }
}
export class TooManyRequestsError extends AppError {
  constructor(
    message = 'Too many attempts. Please wait and try again.',
    readonly retryAfterSeconds = 60,
  ) {
    super(429, 'TOO_MANY_REQUESTS', message);
  }
}
export class ServiceUnavailableError extends AppError {
  constructor(
    message = 'The service is temporarily unavailable.',
    readonly retryAfterSeconds = 30,
  ) {
    super(503, 'SERVICE_UNAVAILABLE', message);
  }
}

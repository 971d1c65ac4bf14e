import { SchemaError } from './schema';

/** The statuses the daemon answers with; 0 is a client's "no answer at all". */
export type ApiStatus = 0 | 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500 | 503 | 504 | 507;

/**
 * A failed API call: the HTTP status, a message for a person, and the field at fault. The
 * daemon throws it from its methods; the client (common/api/api-client.ts) rebuilds it from
 * the answer, so the UI and the CLI see the same error the daemon raised.
 */
export class ApiError extends Error {
  constructor(readonly status: ApiStatus, message: string, readonly field?: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Map any error from validation or a service method onto an ApiError. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof SchemaError) return new ApiError(400, err.message, err.path);
  return new ApiError(500, err instanceof Error ? err.message : String(err));
}

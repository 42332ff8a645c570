// What the config service refuses, each with the HTTP status an adapter should answer. The service
// itself knows nothing of HTTP; the status is a hint carried along so mapping stays in one table.

export abstract class ConfigError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Extra fields for the error body (current version, offending line...). */
  details(): Record<string, unknown> {
    return {};
  }
}

export class InvalidNameError extends ConfigError {
  override name = 'InvalidNameError';
  readonly status = 400;
  readonly code = 'invalid_name';
}

export class InvalidPropertiesError extends ConfigError {
  override name = 'InvalidPropertiesError';
  readonly status = 400;
  readonly code = 'invalid_properties';
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
  override details(): Record<string, unknown> {
    return { line: this.line };
  }
}

export class InvalidRequestError extends ConfigError {
  override name = 'InvalidRequestError';
  readonly status = 400;
  readonly code = 'invalid_request';
}

export class NotFoundError extends ConfigError {
  override name = 'NotFoundError';
  readonly status = 404;
  readonly code = 'not_found';
}

/** A compare-and-set lost: someone else changed (or created, or deleted) the node first. */
export class ConflictError extends ConfigError {
  override name = 'ConflictError';
  readonly status = 409;
  readonly code = 'conflict';
  constructor(
    message: string,
    /** The node's version now; null when it no longer exists. */
    readonly currentVersion: number | null,
    /** Who made the current version, when the audit history knows. */
    readonly modifiedBy: string | null,
  ) {
    super(message);
  }
  override details(): Record<string, unknown> {
    return { currentVersion: this.currentVersion, modifiedBy: this.modifiedBy };
  }
}

export class NotEmptyError extends ConfigError {
  override name = 'NotEmptyError';
  readonly status = 409;
  readonly code = 'not_empty';
}

export class TooLargeError extends ConfigError {
  override name = 'TooLargeError';
  readonly status = 413;
  readonly code = 'too_large';
  constructor(readonly size: number, readonly limit: number) {
    super(`the file is ${size} bytes; the ensemble accepts at most ${limit}`);
  }
  override details(): Record<string, unknown> {
    return { size: this.size, limit: this.limit };
  }
}

/** The ensemble could not be reached (or did not answer in time): worth retrying. */
export class UnavailableError extends ConfigError {
  override name = 'UnavailableError';
  readonly status = 503;
  readonly code = 'ensemble_unavailable';
  readonly retryAfterSeconds = 5;
}

/** The ensemble refused our identity (ACLs changed behind our back, wrong credentials). */
export class AccessDeniedError extends ConfigError {
  override name = 'AccessDeniedError';
  readonly status = 503;
  readonly code = 'ensemble_access_denied';
  readonly retryAfterSeconds = 30;
}

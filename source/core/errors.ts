// Typed errors of the provider contract, so services can retry what is retryable and the UI can
// say what happened in a sentence.

export type ErrorKind = 'NotFound' | 'Unsupported' | 'AuthFailed' | 'Throttled' | 'Transient' | 'Invalid' | 'Conflict';

export class StrataError extends Error {
  readonly kind: ErrorKind;
  /** The tool's or the provider's own message, kept for a detail view (never shown raw in a toast). */
  readonly detail?: string;
  /** The field a validation error belongs to, where there is one. */
  readonly field?: string;

  constructor(kind: ErrorKind, message: string, options: { detail?: string; field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = kind;
    this.kind = kind;
    this.detail = options.detail;
    this.field = options.field;
  }
}

/** Refused before anything was sent or written: every problem with its field (a launch, a job). */
export class RefusedWithProblems extends StrataError {
  readonly problems: { field: string; message: string }[];

  /** what: "The launch was not sent", "The job was not started". */
  constructor(what: string, problems: { field: string; message: string }[]) {
    super(
      'Invalid',
      problems.length === 1
        ? `${what}: ${problems[0]!.message}`
        : `${what}; ${problems.length} things need fixing: ${problems.map((p) => p.message).join(' ')}`,
      { field: problems[0]?.field },
    );
    this.problems = problems;
  }
}

export const notFound = (message: string, detail?: string) => new StrataError('NotFound', message, { detail });
export const unsupported = (message: string) => new StrataError('Unsupported', message);
export const authFailed = (message: string, detail?: string) => new StrataError('AuthFailed', message, { detail });
export const throttled = (message: string) => new StrataError('Throttled', message);
export const transient = (message: string, detail?: string) => new StrataError('Transient', message, { detail });
export const invalid = (message: string, field?: string) => new StrataError('Invalid', message, { field });
export const conflict = (message: string) => new StrataError('Conflict', message);

export function isStrataError(error: unknown): error is StrataError {
  return error instanceof StrataError;
}

export function isRetryable(error: unknown): boolean {
  return isStrataError(error) && (error.kind === 'Throttled' || error.kind === 'Transient');
}

/** One sentence for the user: what failed. Unknown errors keep their message but never a stack. */
export function describeError(error: unknown, doing?: string): string {
  const prefix = doing ? `${doing} failed: ` : '';
  if (isStrataError(error)) {
    switch (error.kind) {
      case 'Throttled':
        // No promise here: whoever retries says so when it does (the services' retry notices, the monitor's
        // "retrying in"); an error that reaches a sentence has been retried already, as far as the policy goes.
        return `${prefix}the provider is throttling requests. (${error.message})`;
      default:
        return `${prefix}${error.message}`;
    }
  }
  if (error instanceof Error) return `${prefix}${error.message}`;
  return `${prefix}${String(error)}`;
}

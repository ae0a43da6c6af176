/**
 * A failure that becomes an HTTP error answer. Every layer throws it, so the
 * status is decided where the failure is understood. Messages are sent to
 * clients: they must never quote a secret value or a token.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, message, "BAD_REQUEST");
}

export function refuseProblems(problems: string[]): void {
  if (problems.length > 0) throw new ApiError(422, problems.join("; "), "VALIDATION_FAILED");
}

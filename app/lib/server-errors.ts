// Plain-words messages for errors thrown by server/ when pages call it directly (server actions).

export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { status?: unknown }).status;
    if (status === 503) return `The ensemble is unavailable: ${error.message}`;
    return error.message;
  }
  return String(error);
}

import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** An error whose message is safe to show the client, with the HTTP status it maps to. */
export class InferenceError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'InferenceError'
  }
}

export const badRequest = (message: string) => new InferenceError(400, message)
export const notFound = (message: string) => new InferenceError(404, message)
export const unavailable = (message: string, retryAfterSeconds = 1) =>
  new InferenceError(503, message, { 'Retry-After': String(retryAfterSeconds) })

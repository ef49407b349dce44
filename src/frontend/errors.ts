// HTTP errors a handler raises on purpose: unknown names (404), forbidden actions (403), bad
// parameters (400). The server turns each into an error page; anything else becomes a 500
// page without details (they go to the log).
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly statusCode: 400 | 401 | 403 | 404 | 501 | 503,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new HttpError(404, what);
export const badRequest = (why: string) => new HttpError(400, why);
export const forbidden = (why: string) => new HttpError(403, why);

export const STATUS_TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  413: "Request too large",
  415: "Unsupported media type",
  500: "Internal server error",
  501: "Not implemented",
  503: "Service unavailable",
};

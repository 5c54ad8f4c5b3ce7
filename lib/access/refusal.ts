import { GraphQLError } from 'graphql';

/** The challenge of a 401: a Bearer token (or an API key) is what the gateway asks for. */
export const BEARER_CHALLENGE = 'Bearer realm="lien-thong"';

/**
 * A request refused as a whole, with its HTTP status: 401 `UNAUTHENTICATED` (who is calling is not
 * known well enough) or 403 `FORBIDDEN` (known, and not allowed).
 */
export function refusal(status: 401 | 403, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  // A Map is what Apollo Server takes for `extensions.http.headers` (its HeaderMap is one), and what
  // the subgraphs read without loading Apollo Server.
  const headers = new Map<string, string>();
  if (status === 401) headers.set('www-authenticate', BEARER_CHALLENGE);
  return new GraphQLError(message, {
    extensions: { code: status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', ...extra, http: { status, headers } },
  });
}

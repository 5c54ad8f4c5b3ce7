/**
 * Freshness of HTTP answers as RFC 9111 tells a shared cache to reckon it, for the two caches of
 * public answers in this system: a subgraph states how long its answer to a public operation stays
 * fresh from the freshness of the backend answers it used, and the gateway keeps public subgraph
 * answers that long.
 *
 * Both sit in front of calls that carry the caller's identity (a caller assertion, an officer's
 * request id), so an answer is stored only when it says a shared cache may: `public` or `s-maxage`
 * (RFC 9111 §3.5), never with `no-store`, `no-cache` or `private`.
 */

/** A header as node:http and undici give it: absent, one field line, or several. */
type HeaderValue = string | readonly string[] | undefined;

/** A directive's argument, a token or a quoted string (RFC 9110 §5.6.4), without its quotes. */
const unquoted = (value: string) => value.trim().replace(/^"(.*)"$/, '$1');

/** The directives of a `Cache-Control` field value, names in lower case; undefined when one repeats (RFC 9111 §4.2.1: then stale). */
function directivesOf(cacheControl: string): Map<string, string | true> | undefined {
  const directives = new Map<string, string | true>();
  for (const part of cacheControl.split(',')) {
    const equals = part.indexOf('=');
    const name = (equals < 0 ? part : part.slice(0, equals)).trim().toLowerCase();
    if (name === '') continue;
    if (directives.has(name)) return undefined;
    directives.set(name, equals < 0 ? true : unquoted(part.slice(equals + 1)));
  }
  return directives;
}

/** A delta-seconds value (RFC 9111 §1.2.2): digits only. */
function deltaSeconds(value: string | true | undefined): number | undefined {
  return typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : undefined;
}

/**
 * Seconds a shared cache may still serve an answer without asking again: its `s-maxage` or else its
 * `max-age`, less its `Age`; undefined when a shared cache must not store it or it is already stale.
 */
export function sharedFreshnessSeconds(cacheControl: HeaderValue, age: HeaderValue): number | undefined {
  if (cacheControl === undefined) return undefined;
  // Several field lines are one list (RFC 9110 §5.3); several Age lines are not delta-seconds.
  const directives = directivesOf(typeof cacheControl === 'string' ? cacheControl : cacheControl.join(','));
  if (!directives || directives.has('no-store') || directives.has('no-cache') || directives.has('private')) return undefined;
  const sharedMaxAge = deltaSeconds(directives.get('s-maxage'));
  if (sharedMaxAge === undefined && !directives.has('public')) return undefined;
  const lifetime = sharedMaxAge ?? deltaSeconds(directives.get('max-age'));
  if (lifetime === undefined) return undefined;
  // An Age that is not delta-seconds is ignored (RFC 9111 §5.1).
  const remaining = lifetime - ((typeof age === 'string' ? deltaSeconds(age) : undefined) ?? 0);
  return remaining > 0 ? remaining : undefined;
}

/**
 * How long an answer built from several backend answers stays fresh: as long as the least fresh of
 * them, and not at all once one of them was not cacheable or when none was used.
 */
export class AnswerFreshness {
  private seconds: number | undefined;
  private uncacheable = false;

  /** One backend answer used, with its {@link sharedFreshnessSeconds}. */
  observe(freshSeconds: number | undefined): void {
    if (freshSeconds === undefined) this.uncacheable = true;
    else this.seconds = this.seconds === undefined ? freshSeconds : Math.min(this.seconds, freshSeconds);
  }

  /** Seconds every answer used stays fresh; undefined when one was not cacheable or none was used. */
  get maxAgeSeconds(): number | undefined {
    return this.uncacheable ? undefined : this.seconds;
  }
}

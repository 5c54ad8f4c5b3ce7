import type { ApolloServerPlugin } from '@apollo/server';
import ApolloServerPluginResponseCache from '@apollo/server-plugin-response-cache';
import { judgedPublic, type GatewayContext } from './data-source.ts';
import type { PublicResponseOutcome } from '../lib/runtime/metrics.ts';
import { KeptAnswers } from './kept-answers.ts';

export interface PublicResponseOptions {
  /** Bytes the kept responses may take together, each counted as its key and its JSON in UTF-8. */
  bytes: number;
  /** False while some subgraph's circuit is not closed: then every answer is worked out, so that the open circuit shows in it. */
  circuitsClosed: () => boolean;
  onOutcome?: (outcome: PublicResponseOutcome) => void;
  /** The clock of the responses' freshness (tests). */
  now?: () => number;
}

/**
 * Whole answers to public queries, kept for as long as every subgraph answer in them may be kept,
 * and served to whoever asks the same query with the same variables, as Apollo Server's full
 * response cache does behind a gateway. The policy comes from the data sources
 * (data-source.ts, restrictCachePolicy): a subgraph answer without `Cache-Control: public` (or
 * `s-maxage`) and a freshness lifetime, any answer with an error, and the gateway's own subgraphs
 * (connections, access log) make the whole answer uncacheable. The subgraph answers are still kept on
 * their own (subgraph-transport.ts): this cache spares the query plan's execution and the merging
 * of the answers, which is most of what a public answer costs the gateway.
 *
 * Only an operation the access policy judged public is read from the cache or stored in it (one it
 * finds personal, or that it did not judge, never is), whatever the subgraphs said; and no answer is
 * while a subgraph's circuit is not closed (open or half-open).
 */
export function publicResponseCache(options: PublicResponseOptions): ApolloServerPlugin<GatewayContext> {
  const responses = new KeptAnswers<string>({ bytes: options.bytes, sizeOf: (value, key) => Buffer.byteLength(key) + Buffer.byteLength(value), now: options.now });
  const report = options.onOutcome ?? (() => undefined);
  const mayUse = async ({ contextValue }: { contextValue: GatewayContext }) => judgedPublic(contextValue) && options.circuitsClosed();
  return ApolloServerPluginResponseCache<GatewayContext>({
    cache: {
      async get(key) {
        const value = responses.get(key);
        report(value === undefined ? 'miss' : 'hit');
        return value;
      },
      async set(key, value, setOptions) {
        // The plugin passes the whole answer's max-age as the ttl.
        if (responses.keep(key, value, setOptions?.ttl)) report('stored');
      },
      async delete(key) {
        return responses.delete(key);
      },
    },
    shouldReadFromCache: mayUse,
    shouldWriteToCache: mayUse,
  });
}

import { Agent } from 'undici';
import { sharedFreshnessSeconds } from '../lib/runtime/http-caching.ts';
import type { SystemId } from '../lib/runtime/systems.ts';
import { CallDeadline, closeDispatcher, readLimited } from '../lib/runtime/transport.ts';
import { KeptAnswers } from './kept-answers.ts';

/**
 * Gateway → subgraph HTTP over undici's `request` API on a keep-alive Agent (one connection pool
 * per subgraph origin). A call is a GraphQL POST already serialised, and its answer the status,
 * content type and body as text: the data source (data-source.ts) reads the GraphQL response itself,
 * so no WHATWG or node-fetch Request, Response or Headers is built on the gateway's hottest path.
 *
 * Identical shareable calls in flight at once are sent once: a call marked `shareable` to the same
 * subgraph with the same body (query and variables) joins the one already sent and gets its answer,
 * as Hive Gateway and Apollo Router deduplicate. The data source marks only the calls of operations
 * the access policy judged public and made for no caller (data-source.ts); every other call is sent.
 */
export interface SubgraphTransportOptions {
  connectionsPerSubgraph?: number;
  /** How long to wait for a connection to a subgraph. */
  connectTimeoutMs: number;
  maxResponseBytes?: number;
  /** How many public answers to keep, and how many bytes of them at most (see createSubgraphTransport); unset or 0 entries: none. */
  publicAnswers?: { entries: number; bytes: number };
  /** Told of each answer served from the cache of public answers, and of each stored there. */
  onPublicAnswer?: (system: SystemId, outcome: 'hit' | 'stored') => void;
  /** The clock of the public answers' freshness (tests). */
  now?: () => number;
}

/** One GraphQL call to a subgraph. */
export interface SubgraphCall {
  /** The system whose subgraph it is. */
  system: SystemId;
  /** The subgraph's GraphQL endpoint. */
  url: URL;
  /** The GraphQL request as JSON (query, variables, operation name). */
  body: string;
  headers: Record<string, string>;
  /** From sending to the last byte of the answer. */
  timeoutMs: number;
  /** May join an identical shareable call in flight and take its answer (public data, no caller); unset: sent on its own. */
  shareable?: boolean;
}

/** What a subgraph answered, whatever it is: the data source judges it. */
export interface SubgraphAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
  /**
   * Seconds a shared cache may still keep this answer (a 200 whose `Cache-Control` allows it, less its
   * `Age`, less the time it has been kept here); undefined: not at all.
   */
  readonly freshSeconds?: number;
}

export interface SubgraphTransport {
  /** Rejects when no answer arrives (refused, reset, too large, past the deadline); any status is an answer. */
  send(call: SubgraphCall): Promise<SubgraphAnswer>;
  close(): Promise<void>;
}

export function createSubgraphTransport(options: SubgraphTransportOptions): SubgraphTransport {
  const maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  const agent = new Agent({
    connections: options.connectionsPerSubgraph ?? 32,
    keepAliveTimeout: 30_000,
    connectTimeout: options.connectTimeoutMs,
  });

  /**
   * Subgraph answers that say a shared cache may keep them (`Cache-Control: public` or `s-maxage`,
   * with a freshness lifetime; RFC 9111 §3.5), kept for that long and served for the same subgraph,
   * query and variables whoever asks, the way Apollo Router's subgraph response cache honours
   * subgraph `Cache-Control`. A subgraph marks only answers to operations that read no personal data
   * (lib/runtime/subgraph.ts, publicAnswerHeaders), so this holds reference data — province names,
   * agencies — never a citizen's. Bounded twice, as Apollo Server's own cache is: by `entries` answers
   * and by `bytes` (call key, answer body and content type, as UTF-8).
   */
  const bounds = options.publicAnswers;
  const publicAnswers =
    bounds && bounds.entries > 0
      ? new KeptAnswers<SubgraphAnswer>({
          entries: bounds.entries,
          bytes: bounds.bytes,
          sizeOf: (answer, key) => Buffer.byteLength(key) + Buffer.byteLength(answer.body) + (answer.contentType?.length ?? 0),
          now: options.now,
        })
      : undefined;
  /** The answer kept for the call, with the seconds it has left. */
  const keptAnswer = (callKey: string): SubgraphAnswer | undefined => {
    const kept = publicAnswers?.get(callKey);
    if (!publicAnswers || !kept) return undefined;
    const freshSeconds = publicAnswers.secondsLeft(callKey);
    return { ...kept, freshSeconds: freshSeconds > 0 ? freshSeconds : undefined };
  };

  const sendOnce = async ({ url, body, headers, timeoutMs }: SubgraphCall): Promise<SubgraphAnswer> => {
    const deadline = new CallDeadline(timeoutMs);
    try {
      const response = await agent.request({ origin: url.origin, path: url.pathname, method: 'POST', headers, body, signal: deadline.signal });
      const text = await readLimited(response.body, maxResponseBytes);
      const contentType = response.headers['content-type'];
      const freshSeconds = response.statusCode === 200 ? sharedFreshnessSeconds(response.headers['cache-control'], response.headers.age) : undefined;
      return { status: response.statusCode, contentType: typeof contentType === 'string' ? contentType : undefined, body: text, freshSeconds };
    } finally {
      deadline.end();
    }
  };

  /** Shareable calls in flight, by subgraph URL and body. */
  const inFlight = new Map<string, Promise<SubgraphAnswer>>();

  const send = async (call: SubgraphCall): Promise<SubgraphAnswer> => {
    /** The call's subgraph and body: what a kept answer and a call in flight are found by. */
    const callKey = `${call.url.href}\n${call.body}`;
    const kept = keptAnswer(callKey);
    if (kept) {
      options.onPublicAnswer?.(call.system, 'hit');
      return kept;
    }
    // Kept once per answer received, however many calls in flight share it.
    const sendAndKeep = async () => {
      const received = await sendOnce(call);
      if (publicAnswers?.keep(callKey, received, received.freshSeconds)) options.onPublicAnswer?.(call.system, 'stored');
      return received;
    };
    if (!call.shareable) return sendAndKeep();
    const shared = inFlight.get(callKey);
    // The call that joins keeps its own deadline, which may be shorter than the first's.
    if (shared) return withinDeadline(shared, call.timeoutMs);
    const sent = sendAndKeep().finally(() => inFlight.delete(callKey));
    inFlight.set(callKey, sent);
    return sent;
  };

  return { send, close: () => closeDispatcher(agent) };
}

/** `shared`, or the call's own deadline (the same `TimeoutError` as a call made alone), whichever comes first. */
function withinDeadline<T>(shared: Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = new CallDeadline(timeoutMs);
  const timeout = new Promise<never>((_, reject) => deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason as Error), { once: true }));
  return Promise.race([shared, timeout]).finally(() => deadline.end());
}

import { LRUCache } from 'lru-cache';
import { Agent } from 'undici';
import { CALLER_ASSERTION_HEADER } from '../lib/access/caller.ts';
import { sharedFreshnessSeconds } from '../lib/runtime/http-caching.ts';
import type { SystemId } from '../lib/runtime/systems.ts';
import { CallDeadline, closeDispatcher, readLimited } from '../lib/runtime/transport.ts';

/**
 * Gateway → subgraph HTTP over undici's `request` API on a keep-alive Agent (one connection pool
 * per subgraph origin). A call is a GraphQL POST already serialised, and its answer the status,
 * content type and body as text: the data source (data-source.ts) reads the GraphQL response itself,
 * so no WHATWG or node-fetch Request, Response or Headers is built on the gateway's hottest path.
 *
 * Identical public calls in flight at once are sent once: a call to the same subgraph with the same
 * body (query and variables) that carries no caller assertion joins the one already sent and gets
 * its answer, as Hive Gateway and Apollo Router deduplicate. A call with a caller assertion
 * (personal data, or any authenticated caller) is never shared: each is bound to its caller.
 */
export interface SubgraphTransportOptions {
  connectionsPerSubgraph?: number;
  /** How long to wait for a connection to a subgraph. */
  connectTimeoutMs: number;
  maxResponseBytes?: number;
  /** Send identical public calls in flight once (default true); off, every call is sent. */
  deduplicatePublicCalls?: boolean;
  /** How many public answers to keep, and how many bytes of them at most (see {@link PublicAnswerCache}); unset or 0 entries: none. */
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

/**
 * Subgraph answers that say a shared cache may keep them (`Cache-Control: public` or `s-maxage`,
 * with a freshness lifetime; RFC 9111 §3.5), kept for that long and served for the same subgraph,
 * query and variables whoever asks, the way Apollo Router's subgraph response cache honours
 * subgraph `Cache-Control`. A subgraph marks only answers to operations that read no personal data
 * (lib/runtime/subgraph.ts, publicAnswerHeaders), so this holds reference data — province names,
 * agencies — never a citizen's. Bounded twice, as Apollo Server's own cache is: by `entries` answers
 * and by `bytes` (call key, answer body and content type, as UTF-8); the least recently used goes first,
 * and an answer larger than the whole budget is not kept.
 */
class PublicAnswerCache {
  private readonly answers: LRUCache<string, SubgraphAnswer>;

  constructor(entries: number, bytes: number, now: () => number) {
    this.answers = new LRUCache<string, SubgraphAnswer>({
      max: entries,
      maxSize: bytes,
      sizeCalculation: (answer, key) => Buffer.byteLength(key) + Buffer.byteLength(answer.body) + (answer.contentType?.length ?? 0),
      perf: { now },
      // Read the clock on every look-up: the default reuses one reading for a millisecond.
      ttlResolution: 0,
    });
  }

  /** The answer kept for the key, if still fresh, with the seconds it has left. */
  get(key: string): SubgraphAnswer | undefined {
    const kept = this.answers.get(key);
    if (!kept) return undefined;
    // Whole seconds left, rounded down: a cache downstream never keeps it longer than this one may.
    const freshSeconds = Math.floor(this.answers.getRemainingTTL(key) / 1000);
    return { ...kept, freshSeconds: freshSeconds > 0 ? freshSeconds : undefined };
  }

  /** Keeps the answer if it may be kept; says whether it was. */
  keep(key: string, answer: SubgraphAnswer): boolean {
    if (answer.freshSeconds === undefined) return false;
    // lru-cache counts an entry stale once its age exceeds the ttl; RFC 9111 from the lifetime on (§4.2).
    this.answers.set(key, answer, { ttl: answer.freshSeconds * 1000 - 1 });
    return this.answers.has(key);
  }
}

export function createSubgraphTransport(options: SubgraphTransportOptions): SubgraphTransport {
  const maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  const agent = new Agent({
    connections: options.connectionsPerSubgraph ?? 32,
    keepAliveTimeout: 30_000,
    connectTimeout: options.connectTimeoutMs,
  });

  const bounds = options.publicAnswers;
  const publicAnswers = bounds && bounds.entries > 0 ? new PublicAnswerCache(bounds.entries, bounds.bytes, options.now ?? Date.now) : undefined;

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

  const deduplicate = options.deduplicatePublicCalls ?? true;
  /** Public calls in flight, by subgraph URL and body. */
  const inFlight = new Map<string, Promise<SubgraphAnswer>>();

  const send = async (call: SubgraphCall): Promise<SubgraphAnswer> => {
    /** The call's subgraph and body: what a kept answer and a call in flight are found by. */
    const callKey = `${call.url.href}\n${call.body}`;
    const kept = publicAnswers?.get(callKey);
    if (kept) {
      options.onPublicAnswer?.(call.system, 'hit');
      return kept;
    }
    // Kept once per answer received, however many calls in flight share it.
    const sendAndKeep = async () => {
      const received = await sendOnce(call);
      if (publicAnswers?.keep(callKey, received)) options.onPublicAnswer?.(call.system, 'stored');
      return received;
    };
    if (!deduplicate || call.headers[CALLER_ASSERTION_HEADER] !== undefined) return sendAndKeep();
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

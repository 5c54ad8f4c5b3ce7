import type { Fetcher, FetcherHeaders, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { LRUCache } from 'lru-cache';
import { Agent } from 'undici';
import { CALLER_ASSERTION_HEADER } from '../lib/access/caller.ts';
import { sharedFreshnessSeconds } from '../lib/runtime/http-caching.ts';
import { DEADLINE_HEADER } from '../lib/runtime/subgraph.ts';
import { CallDeadline, closeDispatcher, readLimited } from '../lib/runtime/transport.ts';

/**
 * Gateway → subgraph HTTP over undici's `request` API on a keep-alive Agent (one connection pool
 * per subgraph origin), adapted to the fetcher interface RemoteGraphQLDataSource expects.
 * `request` rather than a WHATWG `fetch`: it skips the Request, Response
 * and web-stream objects that `fetch` builds for every call, on the gateway's hottest path.
 *
 * Identical public calls in flight at once are sent once: a call to the same subgraph with the same
 * body (query and variables) that carries no caller assertion joins the one already sent and gets a
 * copy of its answer, as Hive Gateway and Apollo Router deduplicate. A call with a caller assertion
 * (personal data, or any authenticated caller) is never shared: each is bound to its caller.
 */
export interface SubgraphFetcherOptions {
  /**
   * Deadline for one subgraph call, from sending to the last byte, when the call does not carry
   * its own in `x-deadline-ms` (the data source sets it from the subgraph's and the request's deadlines).
   */
  timeoutMs: number;
  connectionsPerSubgraph?: number;
  maxResponseBytes?: number;
  /** Send identical public calls in flight once (default true); off, every call is sent. */
  deduplicatePublicCalls?: boolean;
  /** How many public answers to keep, and how many bytes of them at most (see {@link PublicAnswerCache}); unset or 0 entries: none. */
  publicAnswers?: { entries: number; bytes: number };
  /** Told of each answer served from the cache of public answers, and of each stored there. */
  onPublicAnswer?: (url: string, outcome: 'hit' | 'stored') => void;
  /** The clock of the public answers' freshness (tests). */
  now?: () => number;
}

export interface SubgraphFetcher {
  fetcher: Fetcher;
  close(): Promise<void>;
}

class BufferedResponse implements FetcherResponse {
  readonly bodyUsed = false;
  readonly redirected = false;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly headers: FetcherHeaders,
    private readonly body: string,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get statusText(): string {
    return this.ok ? 'OK' : `HTTP ${this.status}`;
  }

  async text(): Promise<string> {
    return this.body;
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.body);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = Buffer.from(this.body);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  clone(): FetcherResponse {
    return new BufferedResponse(this.url, this.status, this.headers, this.body);
  }
}

interface Answer {
  status: number;
  headers: [string, string][];
  body: string;
  /** How long a shared cache may keep it (sharedFreshnessSeconds); undefined: not at all, or no cache to keep it. */
  freshSeconds?: number;
}

/**
 * Subgraph answers that say a shared cache may keep them (`Cache-Control: public` or `s-maxage`,
 * with a freshness lifetime; RFC 9111 §3.5), kept for that long and served for the same subgraph,
 * query and variables whoever asks, the way Apollo Router's subgraph response cache honours
 * subgraph `Cache-Control`. A subgraph marks only answers to operations that read no personal data
 * (lib/runtime/subgraph.ts, publicAnswerCaching), so this holds reference data — province names,
 * agencies — never a citizen's. Bounded twice, as Apollo Server's own cache is: by `entries` answers
 * and by `bytes` (call key, answer body and headers, as UTF-8); the least recently used goes first,
 * and an answer larger than the whole budget is not kept.
 */
class PublicAnswerCache {
  private readonly answers: LRUCache<string, Answer>;

  constructor(entries: number, bytes: number, now: () => number) {
    this.answers = new LRUCache<string, Answer>({
      max: entries,
      maxSize: bytes,
      sizeCalculation: (answer, key) =>
        Buffer.byteLength(key) + Buffer.byteLength(answer.body) + answer.headers.reduce((sum, [name, value]) => sum + name.length + Buffer.byteLength(value), 0),
      perf: { now },
      // Read the clock on every look-up: the default reuses one reading for a millisecond.
      ttlResolution: 0,
    });
  }

  get(key: string): Answer | undefined {
    return this.answers.get(key);
  }

  /** Keeps the answer if it may be kept; says whether it was. */
  keep(key: string, answer: Answer): boolean {
    if (answer.freshSeconds === undefined) return false;
    // lru-cache counts an entry stale once its age exceeds the ttl; RFC 9111 from the lifetime on (§4.2).
    this.answers.set(key, answer, { ttl: answer.freshSeconds * 1000 - 1 });
    return this.answers.has(key);
  }
}

export function createSubgraphFetcher(options: SubgraphFetcherOptions): SubgraphFetcher {
  const maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  const agent = new Agent({
    connections: options.connectionsPerSubgraph ?? 32,
    keepAliveTimeout: 30_000,
    connectTimeout: options.timeoutMs,
  });

  const bounds = options.publicAnswers;
  const publicAnswers = bounds && bounds.entries > 0 ? new PublicAnswerCache(bounds.entries, bounds.bytes, options.now ?? Date.now) : undefined;

  const send = async (url: string, init: FetcherRequestInit, timeoutMs: number): Promise<Answer> => {
    const { origin, pathname } = new URL(url);
    const deadline = new CallDeadline(timeoutMs);
    try {
      const response = await agent.request({
        origin,
        path: pathname,
        method: (init.method ?? 'GET') as 'GET' | 'POST',
        headers: init.headers,
        body: init.body,
        signal: deadline.signal,
      });
      const body = await readLimited(response.body, maxResponseBytes);
      const headers: [string, string][] = [];
      for (const [name, value] of Object.entries(response.headers)) {
        if (typeof value === 'string') headers.push([name, value]);
        else if (Array.isArray(value)) for (const v of value) headers.push([name, v]);
      }
      const freshSeconds = publicAnswers && response.statusCode === 200 ? sharedFreshnessSeconds(response.headers['cache-control'], response.headers.age) : undefined;
      return { status: response.statusCode, headers, body, freshSeconds };
    } finally {
      deadline.end();
    }
  };

  const deduplicate = options.deduplicatePublicCalls ?? true;
  /** Public calls in flight, by subgraph URL and body. */
  const inFlight = new Map<string, Promise<Answer>>();

  const fetcher = async (url: string, init: FetcherRequestInit = {}): Promise<FetcherResponse> => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    /** The call's subgraph and body: what a kept answer and a call in flight are found by. */
    const callKey = init.method === 'POST' && typeof init.body === 'string' ? `${url}\n${init.body}` : undefined;
    const kept = callKey === undefined ? undefined : publicAnswers?.get(callKey);
    if (kept) {
      options.onPublicAnswer?.(url, 'hit');
      return new BufferedResponse(url, kept.status, new Headers(kept.headers), kept.body);
    }
    const deadline = Number(headers[DEADLINE_HEADER]);
    const timeoutMs = Number.isInteger(deadline) && deadline > 0 ? deadline : options.timeoutMs;
    // Kept once per answer received, however many calls in flight share it.
    const sendAndKeep = async () => {
      const received = await send(url, init, timeoutMs);
      if (callKey !== undefined && publicAnswers?.keep(callKey, received)) options.onPublicAnswer?.(url, 'stored');
      return received;
    };
    let answer: Answer;
    if (deduplicate && callKey !== undefined && headers[CALLER_ASSERTION_HEADER] === undefined) {
      let shared = inFlight.get(callKey);
      if (shared) {
        // The call that joins keeps its own deadline, which may be shorter than the first's.
        answer = await withinDeadline(shared, timeoutMs);
      } else {
        shared = sendAndKeep().finally(() => inFlight.delete(callKey));
        inFlight.set(callKey, shared);
        answer = await shared;
      }
    } else {
      answer = await sendAndKeep();
    }
    return new BufferedResponse(url, answer.status, new Headers(answer.headers), answer.body);
  };

  return { fetcher: fetcher as Fetcher, close: () => closeDispatcher(agent) };
}

/** `shared`, or the call's own deadline (the same `TimeoutError` as a call made alone), whichever comes first. */
function withinDeadline<T>(shared: Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = new CallDeadline(timeoutMs);
  const timeout = new Promise<never>((_, reject) => deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason as Error), { once: true }));
  return Promise.race([shared, timeout]).finally(() => deadline.end());
}

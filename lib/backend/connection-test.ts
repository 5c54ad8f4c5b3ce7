import { randomUUID } from 'node:crypto';
import { buildConnector, Client } from 'undici';
import { z, type ZodType } from 'zod';
import { describeIssues } from './contract-issues.ts';
import { SystemErrorCode } from '../runtime/errors.ts';
import { SYSTEM_IDS, type SystemId } from '../runtime/systems.ts';
import { mediaTypeOf } from '../runtime/media-type.ts';
import { CallDeadline, classifyTransportError, closeDispatcher, MAX_BACKEND_ANSWER_BYTES, readLimited, roundMs } from '../runtime/transport.ts';
import { healthResponse } from './wire.ts';

/**
 * The integrators' connection test: one real round trip per contract check to a backend, on a
 * fresh connection of its own (not the adapter's pool: no keep-alive connection reused, no retry, no
 * circuit breaker), timed (connect, first byte, total) and checked against the adapter's documented
 * contract. The report says what is wrong in words an integrator acts on, and never carries the
 * backend's address or anything of its answer: it reaches GraphQL clients.
 */

export const TEST_VERDICTS = ['PASSED', 'UNREACHABLE', 'TIMED_OUT', 'HTTP_ERROR', 'CONTRACT_BROKEN'] as const;
export type TestVerdict = (typeof TEST_VERDICTS)[number];

/** The answers of the checks run before this one in the same test, for a rule that spans two lists. */
export interface EarlierAnswers {
  answerOf<U>(check: ContractCheck<U>): U | undefined;
}

/** One read of a backend and what its answer must be; data, run by `testBackendConnection`. */
export interface ContractCheck<T = unknown> {
  /** What it calls, e.g. "GET /v1/health". */
  name: string;
  /** What the contract says the answer is, in words. */
  expectation: string;
  method: 'GET' | 'POST';
  /** Path below the backend's base URL. */
  path: string;
  /** JSON request body, for POST. */
  body?: unknown;
  /** The adapter's own schema of the answer (its wire.ts). */
  schema: ZodType<T>;
  /** A rule of the contract the schema cannot express; returns the problem, in words that carry nothing of the answer. */
  verify?(answer: T, earlier: EarlierAnswers): string | undefined;
}

/** A check of `method path`, named so. */
export function contractCheck<T>(check: Omit<ContractCheck<T>, 'name'>): ContractCheck<T> {
  return { name: `${check.method} ${check.path}`, ...check };
}

/** `GET /v1/health`: every backend contract has it, and every test starts with it. */
export const healthCheck = contractCheck({
  method: 'GET',
  path: '/v1/health',
  expectation: 'HTTP 200 application/json {"status": "ok"} while the system is up',
  schema: healthResponse,
});

/**
 * The rule of every batch endpoint: each key asked for is answered exactly once, in the records or in
 * `notFound` (where the endpoint has one), and nothing else is answered.
 */
function batchAnswerProblem(asked: readonly string[], found: readonly string[], notFound?: readonly string[]): string | undefined {
  const wanted = new Set(asked);
  const answered = [...found, ...(notFound ?? [])];
  if (answered.some((key) => !wanted.has(key))) return 'answer names a key that was not asked for';
  if (new Set(answered).size !== answered.length) return 'answer names a key asked for more than once';
  if (notFound !== undefined && answered.length < wanted.size) {
    return 'answer neither returns the key asked for nor lists it in notFound';
  }
  return undefined;
}

/**
 * A read of a batch endpoint with one sample key, which the answer may or may not hold: it must name
 * it once (in its records or `notFound`, where the endpoint has one) and nothing else. `answered`
 * gives the keys of the records found.
 */
export function batchGetCheck<T>(check: {
  path: string;
  /** The request's field of keys, e.g. `personalIds`. */
  keys: string;
  sampleKey: string;
  expectation: string;
  schema: ZodType<T>;
  answered: (answer: T) => string[];
}): ContractCheck<T> {
  return contractCheck({
    method: 'POST',
    path: check.path,
    body: { [check.keys]: [check.sampleKey] },
    expectation: check.expectation,
    schema: check.schema,
    verify: (answer) => {
      // Present exactly where the endpoint's schema has it (zod drops fields a schema does not name).
      const { notFound } = answer as { notFound?: string[] };
      return batchAnswerProblem([check.sampleKey], check.answered(answer), notFound);
    },
  });
}

const ms = z.number().min(0);
const problem = z.string().min(1).max(1000).nullable();

export const checkResultSchema = z.object({
  name: z.string().min(1),
  expectation: z.string().min(1),
  verdict: z.enum(TEST_VERDICTS),
  httpStatus: z.number().int().min(100).max(999).nullable(),
  firstByteMs: ms.nullable(),
  totalMs: ms,
  problem,
});
export type CheckResult = z.infer<typeof checkResultSchema>;

/** The report as it travels (subgraph `POST /connection-test` → gateway); validated where it enters. */
export const connectionTestReportSchema = z
  .object({
    system: z.enum(SYSTEM_IDS),
    verdict: z.enum(TEST_VERDICTS),
    problem,
    testedAt: z.iso.datetime(),
    connectMs: ms.nullable(),
    firstByteMs: ms.nullable(),
    totalMs: ms,
    checks: z.array(checkResultSchema).min(1),
  })
  .refine((r) => r.verdict === (r.checks.find((c) => c.verdict !== 'PASSED')?.verdict ?? 'PASSED'), "verdict is the first failing check's, or PASSED")
  .refine((r) => (r.verdict === 'PASSED') === (r.problem === null), 'a problem is given exactly when the test failed');
export type ConnectionTestReport = z.infer<typeof connectionTestReportSchema>;

export interface ConnectionTestOptions {
  system: SystemId;
  /** The backend's base URL (origin and path prefix), as the subgraph is configured. */
  baseUrl: string;
  /** Run in order; the test stops at the first that fails. */
  checks: readonly ContractCheck[];
  /** Deadline of each check, from sending its request to the last byte of its answer. */
  timeoutMs: number;
  /** When the whole test must be over (ms since epoch), e.g. the caller's own deadline; no check runs past it. */
  deadlineAt?: number;
  now?: () => Date;
}

export async function testBackendConnection(options: ConnectionTestOptions): Promise<ConnectionTestReport> {
  const testedAt = (options.now?.() ?? new Date()).toISOString();
  const started = performance.now();
  const [first, ...rest] = options.checks;
  if (!first) throw new Error(`no contract checks for ${options.system}`);
  const report = (checks: CheckResult[], connectMs: number | null): ConnectionTestReport => {
    const failed = checks.find((c) => c.verdict !== 'PASSED');
    return {
      system: options.system,
      verdict: failed?.verdict ?? 'PASSED',
      problem: failed?.problem ?? null,
      testedAt,
      connectMs: connectMs === null ? null : roundMs(connectMs),
      firstByteMs: checks[0]?.firstByteMs ?? null,
      totalMs: roundMs(performance.now() - started),
      checks,
    };
  };

  const url = parseBaseUrl(options.baseUrl);
  if (!url) {
    const problem = 'the backend URL is not an http or https URL';
    return report([{ ...described(first), verdict: 'UNREACHABLE', httpStatus: null, firstByteMs: null, totalMs: 0, problem }], null);
  }

  const connection = new TimedConnection(url.origin, options.timeoutMs);
  const prefix = url.pathname.replace(/\/+$/, '');
  const answers = new Map<ContractCheck, unknown>();
  const earlier: EarlierAnswers = { answerOf: <U>(check: ContractCheck<U>) => answers.get(check as ContractCheck) as U | undefined };
  const results: CheckResult[] = [];
  try {
    for (const check of [first, ...rest]) {
      const left = (options.deadlineAt ?? Infinity) - Date.now();
      if (left <= 0) {
        const problem = "the test ran out of its caller's time before this check";
        results.push({ ...described(check), verdict: 'TIMED_OUT', httpStatus: null, firstByteMs: null, totalMs: 0, problem });
        break;
      }
      const { result, answer } = await runCheck(connection, prefix, check, Math.min(options.timeoutMs, left), earlier);
      results.push(result);
      if (result.verdict !== 'PASSED') break;
      answers.set(check, answer);
    }
    return report(results, connection.firstConnectMs);
  } finally {
    await closeDispatcher(connection.client);
  }
}

function parseBaseUrl(baseUrl: string): URL | undefined {
  try {
    const url = new URL(baseUrl);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** A client of its own for one test, whose connector times each socket it opens (TCP, and TLS for https). */
class TimedConnection {
  readonly client: Client;
  /** How long the first connection took to open; null while none has. */
  firstConnectMs: number | null = null;
  /** A connection is being opened now (a failure now is a failure to connect). */
  connecting = false;

  constructor(origin: string, timeoutMs: number) {
    const connector = buildConnector({ timeout: timeoutMs });
    this.client = new Client(origin, {
      pipelining: 1,
      connect: (connectOptions, callback) => {
        const began = performance.now();
        this.connecting = true;
        connector(connectOptions, (...args: Parameters<buildConnector.Callback>) => {
          this.connecting = false;
          if (args[0] === null) this.firstConnectMs ??= performance.now() - began;
          callback(...args);
        });
      },
    });
  }
}

type Outcome = Pick<CheckResult, 'verdict' | 'problem'>;

async function runCheck(
  connection: TimedConnection,
  prefix: string,
  check: ContractCheck,
  timeoutMs: number,
  earlier: EarlierAnswers,
): Promise<{ result: CheckResult; answer?: unknown }> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-request-id': `connection-test-${randomUUID()}` };
  const body = check.body === undefined ? undefined : JSON.stringify(check.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const began = performance.now();
  let httpStatus: number | null = null;
  let firstByteMs: number | null = null;
  let contentType: string | undefined;
  let text: string;
  const result = ({ verdict, problem }: Outcome): CheckResult => ({
    ...described(check),
    verdict,
    httpStatus,
    firstByteMs: firstByteMs === null ? null : roundMs(firstByteMs),
    totalMs: roundMs(performance.now() - began),
    problem,
  });
  const deadline = new CallDeadline(timeoutMs);
  try {
    const response = await connection.client.request({
      method: check.method,
      path: `${prefix}${check.path}`,
      headers,
      body,
      signal: deadline.signal,
    });
    firstByteMs = performance.now() - began;
    httpStatus = response.statusCode;
    const type = response.headers['content-type'];
    contentType = Array.isArray(type) ? type[0] : type;
    text = await readLimited(response.body, MAX_BACKEND_ANSWER_BYTES);
  } catch (error) {
    // An HTTP error is what the integrator needs to hear, whatever happened to its body.
    if (httpStatus !== null && httpStatus !== 200) return { result: result(httpError(httpStatus)) };
    const stage = httpStatus !== null ? 'answer' : connection.connecting ? 'connect' : 'request';
    return { result: result(transportFailure(error, stage, timeoutMs)) };
  } finally {
    deadline.end();
  }
  if (httpStatus !== 200) return { result: result(httpError(httpStatus)) };
  const outcome = judgeAnswer(check, contentType, text, earlier);
  return { result: result(outcome.outcome), answer: outcome.answer };
}

const described = (check: ContractCheck) => ({ name: check.name, expectation: check.expectation });

const HTTP_HINTS: Record<number, string> = {
  400: '; the backend refuses the request the contract defines',
  401: '; the backend asks for credentials',
  403: '; the backend refuses access',
  404: '; check the path of the backend URL',
  429: '; the backend is limiting the rate of calls',
};

function httpError(status: number): Outcome {
  return { verdict: 'HTTP_ERROR', problem: `HTTP ${status} (the contract says 200 application/json${HTTP_HINTS[status] ?? ''})` };
}

/** A failed call, named with the stable transport reasons: by where it stopped, never with the error's message. */
function transportFailure(error: unknown, stage: 'connect' | 'request' | 'answer', timeoutMs: number): Outcome {
  const failure = classifyTransportError(error);
  if (failure.code === SystemErrorCode.TIMEOUT) {
    const what = { connect: 'no connection', request: 'no answer', answer: 'answer not complete' }[stage];
    return { verdict: 'TIMED_OUT', problem: `${what} within ${timeoutMs} ms` };
  }
  if (failure.code === SystemErrorCode.BAD_RESPONSE) {
    return { verdict: 'CONTRACT_BROKEN', problem: `answer larger than ${MAX_BACKEND_ANSWER_BYTES / 1024 / 1024} MiB` };
  }
  const lost = failure.reason === 'connection reset' || failure.reason === 'connection closed by the system';
  const when = stage === 'answer' ? ' in the middle of the answer' : ' before an answer';
  return { verdict: 'UNREACHABLE', problem: lost ? `${failure.reason}${when}` : failure.reason };
}

function judgeAnswer(check: ContractCheck, contentType: string | undefined, text: string, earlier: EarlierAnswers): { outcome: Outcome; answer?: unknown } {
  const broken = (problem: string) => ({ outcome: { verdict: 'CONTRACT_BROKEN' as const, problem } });
  const mediaType = mediaTypeOf(contentType);
  if (mediaType !== 'application/json' && !mediaType?.endsWith('+json')) {
    const shown = mediaType && /^[\w.+-]{1,64}\/[\w.+-]{1,64}$/.test(mediaType) ? mediaType : mediaType ? 'another type' : 'none';
    return broken(`answer's content type is ${shown} (the contract says application/json)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return broken('answer is not JSON');
  }
  const parsed = check.schema.safeParse(json);
  if (!parsed.success) return broken(describeIssues(parsed.error.issues, json));
  const problem = check.verify?.(parsed.data, earlier);
  if (problem !== undefined) return broken(problem);
  return { outcome: { verdict: 'PASSED', problem: null }, answer: parsed.data };
}

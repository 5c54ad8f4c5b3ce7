import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What every log line caused by one HTTP request carries (lib/runtime/logger.ts adds it through pino's
 * `mixin`): the request id, which travels gateway → subgraph → backend as `x-request-id`, and any
 * fields added while the request runs (the tracing code adds `traceId` and `spanId`).
 */
export interface RequestContext {
  readonly requestId: string;
  /** Fields added with `addRequestContextFields`, logged with every line of the request. */
  readonly fields: Record<string, string>;
}

/** Fields computed afresh for each log line, e.g. the active span's ids. */
export type LogFieldsProvider = () => Record<string, string> | undefined;

const storage = new AsyncLocalStorage<RequestContext>();
const providers: LogFieldsProvider[] = [];

/** Runs `handle` (and everything it starts, callbacks and promises included) inside one request's context. */
export function runWithRequestContext<T>(requestId: string, handle: () => T): T {
  return storage.run({ requestId, fields: {} }, handle);
}

/**
 * Runs `work` outside any request's context: for work a request merely starts but that serves many
 * (a batch of access-log writes), so that its lines are not credited to whichever request came first.
 */
export function runOutsideRequestContext<T>(work: () => T): T {
  return storage.exit(work);
}

/** The context of the request being handled, or undefined outside one (startup, timers, probes). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Adds fields (e.g. `traceId`) to every later log line of the current request; a no-op outside one. */
export function addRequestContextFields(fields: Record<string, string>): void {
  const context = storage.getStore();
  if (context) Object.assign(context.fields, fields);
}

/**
 * Registers fields computed for each log line (a provider returning undefined adds nothing). Used
 * for values that change within a request, like the active span id; returns a function that
 * unregisters it.
 */
export function registerLogFields(provider: LogFieldsProvider): () => void {
  providers.push(provider);
  return () => {
    const index = providers.indexOf(provider);
    if (index >= 0) providers.splice(index, 1);
  };
}

/**
 * What lib/runtime/logger.ts merges into each line, as a fresh object (pino's merge writes into it). A field
 * the log call names itself wins.
 */
export function requestLogFields(): Record<string, string> {
  const context = storage.getStore();
  if (!context && providers.length === 0) return {};
  const fields: Record<string, string> = context ? { requestId: context.requestId, ...context.fields } : {};
  for (const provider of providers) Object.assign(fields, provider());
  return fields;
}

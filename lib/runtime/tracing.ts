/**
 * OpenTelemetry tracing of one process: off unless `OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (then nothing of the SDK is even loaded, and nothing
 * leaves the machine). On, it traces incoming HTTP requests (continuing a W3C `traceparent`) and
 * outgoing undici calls (gateway → subgraph, subgraph → backend, sending `traceparent`), collects the
 * spans @apollo/gateway makes through @opentelemetry/api, and exports them over OTLP/HTTP, in
 * protobuf or JSON. The standard variables apply: OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL, _HEADERS,
 * _TIMEOUT, _COMPRESSION, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG),
 * OTEL_BSP_*, OTEL_SDK_DISABLED.
 */
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from './logger.ts';
import { registerLogFields } from './request-context.ts';
import { parseSettings, TRACING_SETTINGS, type Environment, type Settings } from './settings.ts';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TracingSettings {
  /** Where spans are sent, as the exporter will compute it from the same variables. */
  tracesUrl: string;
  protocol: OtlpProtocol;
  serviceName: string;
}

/** Requests that probes and scrapers make every few seconds: not traced, so that traces show real traffic. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

export type TracingVariables = Settings<typeof TRACING_SETTINGS>;

/**
 * Whether and how this process traces, from the standard OpenTelemetry variables (parsed by their
 * settings, which refuse a protocol this project does not export with, gRPC); undefined when off.
 */
export function tracingSettings(serviceName: string, variables: TracingVariables): TracingSettings | undefined {
  const { disabled, tracesEndpoint, endpoint } = variables;
  if (disabled || (tracesEndpoint === undefined && endpoint === undefined)) return undefined;
  // As the OTLP exporter does: the signal's own endpoint as it is, the general one with /v1/traces appended.
  const tracesUrl = tracesEndpoint ?? `${endpoint!.replace(/\/+$/, '')}/v1/traces`;
  return { tracesUrl, protocol: variables.tracesProtocol, serviceName: variables.serviceName?.trim() || serviceName };
}

export function tracingSettingsFromEnv(serviceName: string, env: Environment): TracingSettings | undefined {
  return tracingSettings(serviceName, parseSettings(TRACING_SETTINGS, env));
}

let shutdown: (() => Promise<void>) | undefined;

/**
 * Starts tracing for this process when the environment asks for it; a no-op otherwise. Call it first
 * thing in a process's start-up, before any server listens or any call is made. The SDK is loaded
 * only here, synchronously, so that off it costs nothing.
 */
export interface TracingOptions {
  /**
   * Trace only incoming requests that are part of a trace already, i.e. carry `traceparent` (a mock
   * backend: the subgraph's health pings, made outside any request, would each be a trace of their own).
   */
  incomingRequiresParent?: boolean;
}

export function startTracing(serviceName: string, logger: Logger, variables: TracingVariables, options: TracingOptions = {}): TracingSettings | undefined {
  const settings = tracingSettings(serviceName, variables);
  if (!settings || shutdown) return settings;
  const require = createRequire(import.meta.url);
  const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { detectResources, envDetector, hostDetector, resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { OTLPTraceExporter } =
    settings.protocol === 'http/json'
      ? (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http'))
      : (require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto'));

  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win over the process's own name.
  const resource = resourceFromAttributes({ 'service.name': serviceName }).merge(detectResources({ detectors: [hostDetector, envDetector] }));
  // The exporter reads the endpoint, headers, timeout and compression from the environment itself.
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  // W3C trace context and baggage, and AsyncLocalStorage to carry the active span.
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => {
          const path = (request.url ?? '/').split('?')[0] ?? '/';
          if (options.incomingRequiresParent && request.headers.traceparent === undefined) return true;
          return UNTRACED_PATHS.has(path) || path.startsWith('/_mock/');
        },
        // A GraphQL GET carries its document and variables in the query string: personal data stays out of spans.
        redactedQueryParamsServer: ['query', 'variables', 'extensions'],
        // Outgoing node:http calls made outside a traced request (none in the services) are not traced.
        requireParentforOutgoingSpans: true,
      }),
      // Through undici's diagnostics channels: covers the gateway's fetcher and the backend clients,
      // whenever undici was loaded. A call outside a traced request (a connection probe) is not traced.
      new UndiciInstrumentation({ requireParentforSpans: true }),
    ],
  });
  // The http instrumentation patches `http.Server.prototype` when `http` is required: ESM imports of
  // node:http do not go through require, so require it once here; every server, however its module
  // imported node:http, shares that prototype.
  require('node:http');
  registerLogFields(activeSpanLogFields);
  shutdown = () => provider.shutdown();
  logger.info({ tracesUrl: redactedUrl(settings.tracesUrl), protocol: settings.protocol, serviceName: settings.serviceName }, 'tracing on');
  return settings;
}

/** Whether this process traces (startTracing found an endpoint). */
export function tracingActive(): boolean {
  return shutdown !== undefined;
}

/**
 * Spans of a subgraph's own GraphQL work, under the HTTP server span of its request: one per
 * operation, named after the OpenTelemetry GraphQL conventions (`query Name`, with
 * `graphql.operation.type` and `graphql.operation.name`), with `graphql.parse`, `graphql.validate`
 * (when the subgraph sees the document for the first time) and `graphql.execute` inside it. The
 * document and variables are not recorded: a literal argument may be a personal id.
 */
export interface GraphQLOperationSpan {
  /** Starts a step under the operation; the function returned ends it, failed or not. */
  step(name: 'graphql.parse' | 'graphql.validate' | 'graphql.execute'): (failed: boolean) => void;
  /** The operation is known: the span takes its type and name. */
  resolved(type: string, name: string | null | undefined): void;
  /** The answer is made; `errorCodes`, the `extensions.code` of each error it carries. */
  end(errorCodes: readonly string[]): void;
}

/** The span of one GraphQL operation (see {@link GraphQLOperationSpan}); only while tracing is active, so off it costs nothing. */
export function graphqlOperationSpan(): GraphQLOperationSpan | undefined {
  if (!tracingActive()) return undefined;
  const tracer = trace.getTracer('lien-thong-graphql');
  const operation = tracer.startSpan('graphql.request');
  const parent = trace.setSpan(context.active(), operation);
  return {
    step(name) {
      const span = tracer.startSpan(name, {}, parent);
      return (failed) => {
        if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      };
    },
    resolved(type, name) {
      operation.setAttribute('graphql.operation.type', type);
      if (name) operation.setAttribute('graphql.operation.name', name);
      operation.updateName(name ? `${type} ${name}` : type);
    },
    end(errorCodes) {
      if (errorCodes.length > 0) operation.setStatus({ code: SpanStatusCode.ERROR, message: [...new Set(errorCodes)].join(',') });
      operation.end();
    },
  };
}

/** `traceId` and `spanId` of the span active where a line is logged. */
function activeSpanLogFields(): Record<string, string> | undefined {
  const context = trace.getActiveSpan()?.spanContext();
  return context ? { traceId: context.traceId, spanId: context.spanId } : undefined;
}

/**
 * Sends the spans still waiting in the batch, within `timeoutMs`; for a process that stops. A no-op
 * when tracing is off.
 */
export async function stopTracing(timeoutMs = 2000): Promise<void> {
  if (!shutdown) return;
  let timer: NodeJS.Timeout | undefined;
  const stopping = shutdown().catch(() => undefined);
  shutdown = undefined;
  await Promise.race([stopping, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}

function redactedUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return raw;
  }
}

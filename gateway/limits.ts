import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  parse,
  visit,
  type ASTVisitor,
  type DocumentNode,
  type OperationDefinitionNode,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import { findShapeProblem, type DocumentShapeLimits } from './document-shape.ts';
import { firstOperation, fragmentDefinitions, fragmentsUsedBy } from './documents.ts';

/**
 * What the gateway refuses before planning a query: documents too deep, too wide, too costly or
 * too long, and list arguments too large. Every limit comes from the environment.
 */
export interface QueryLimits extends DocumentShapeLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  maxTokens: number;
  maxDirectives: number;
  /** Largest list accepted in any argument or variable. */
  maxListItems: number;
  /** Most list items all the arguments of one query may carry together (aliases repeat a field). */
  maxListItemsPerRequest: number;
}

/** The ApolloServer options that protect the gateway; spread them into its constructor. */
export interface QueryProtection<TContext extends BaseContext> {
  introspection: boolean;
  hideSchemaDetailsFromClientErrors: boolean;
  csrfPrevention: true;
  allowBatchedHttpRequests: false;
  parseOptions: ParseOptions;
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin<TContext>[];
}

/**
 * Query limits and production hardening as ApolloServer options. `plugins` are the server's other
 * plugins, returned with the ones protection needs (an options object has one plugin list).
 *
 * What a client gets:
 * - too many tokens: GRAPHQL_PARSE_FAILED, HTTP 400 (graphql-js stops parsing at the limit);
 * - too many fields, selections in one selection set, or repeats of one field at one place:
 *   GRAPHQL_VALIDATION_FAILED, HTTP 400, naming the limit, before graphql-js validates it;
 *   the same text again is refused from Apollo's document store, without being parsed;
 * - too deep, too many aliases or directives, too costly: GRAPHQL_VALIDATION_FAILED, HTTP 400,
 *   one error per document naming the first limit exceeded, its value and the limit;
 * - a list longer than `maxListItems`, literal or in variables, or more than `maxListItemsPerRequest`
 *   items in all the query's arguments together: BAD_USER_INPUT, HTTP 400.
 * Introspection (`__schema`) counts towards neither depth nor cost, so tools keep working.
 */
export function queryProtection<TContext extends BaseContext>(limits: QueryLimits, production: boolean, plugins: ApolloServerPlugin<TContext>[] = []): QueryProtection<TContext> {
  return {
    introspection: !production,
    // Drops the "Did you mean …?" suggestions that would let a client map a hidden schema.
    hideSchemaDetailsFromClientErrors: production,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: documentLimitRules(limits),
    plugins: [
      documentShapeLimit<TContext>(limits),
      tokenLimitMessage<TContext>(limits.maxTokens),
      operationCheck<TContext>(),
      listItemsLimit<TContext>(limits.maxListItems, limits.maxListItemsPerRequest),
      ...(production ? [hideSuggestions<TContext>()] : []),
      ...plugins,
    ],
  };
}

/** graphql-armor's rules, reporting at most one limit per document in the gateway's words. */
export function documentLimitRules(limits: Pick<QueryLimits, 'maxDepth' | 'maxAliases' | 'maxCost' | 'maxDirectives'>): ValidationRule[] {
  // By default armor throws "Syntax Error: …" out of graphql-js's validate, which reaches the client
  // as an internal error. Instead each rejection is reported on the validation context, and only
  // the first one per document, since a query too deep is nearly always too costly as well.
  const reported = new WeakSet<ValidationContext>();
  const report =
    (describe: (found: string, limit: string) => string) =>
    (context: ValidationContext | null, error: GraphQLError): void => {
      if (!context || reported.has(context)) return;
      reported.add(context);
      const numbers = /limit of ([\d.e+]+) exceeded, found ([\d.e+]+)\./.exec(error.message);
      const message = numbers ? describe(formatNumber(numbers[2]!), formatNumber(numbers[1]!)) : error.message.replace(/^Syntax Error: /, '');
      context.reportError(new GraphQLError(message));
    };
  const common = { exposeLimits: true, propagateOnRejection: false } as const;
  return [
    maxDepthRule({ ...common, n: limits.maxDepth, ignoreIntrospection: true, onReject: [report((found, limit) => `Query depth ${found} exceeds the limit of ${limit}.`)] }),
    maxAliasesRule({ ...common, n: limits.maxAliases, onReject: [report((found, limit) => `Query has ${found} aliases, exceeding the limit of ${limit}.`)] }),
    maxDirectivesRule({ ...common, n: limits.maxDirectives, onReject: [report((found, limit) => `Query has ${found} directives, exceeding the limit of ${limit}.`)] }),
    costLimitRule({ ...common, maxCost: limits.maxCost, ignoreIntrospection: true, onReject: [report((found, limit) => `Query cost ${found} exceeds the limit of ${limit}.`)] }),
  ];
}

function formatNumber(text: string): string {
  const value = Number(text);
  return Number.isFinite(value) ? String(Math.ceil(value)) : text;
}

/** What a refused document is replaced with: one field, and the refusal, which no text can carry. */
interface RefusedDocument extends DocumentNode {
  readonly shapeRefusal: string;
}

/** The refusal a document stands for, when it is the stand-in of a refused one. */
export function refusalOf(document: DocumentNode | undefined): string | undefined {
  const refusal = (document as Partial<RefusedDocument> | undefined)?.shapeRefusal;
  return typeof refusal === 'string' ? refusal : undefined;
}

/**
 * Refuses a document whose shape exceeds a limit (gateway/document-shape.ts) after parsing and
 * before graphql-js validates it: validation is quadratic in the fields selected under one name at
 * one place (OverlappingFieldsCanBeMerged), and graphql-armor's rules run inside that same
 * validation, so neither can stop it.
 *
 * Apollo Server has no hook that ends a request between parsing and validation: an error thrown
 * from `didResolveSource`, `parsingDidStart` or `validationDidStart` is an unexpected error, a 500.
 * So `validationDidStart` replaces the parsed document with a one-field stand-in carrying the
 * refusal; Apollo validates that in microseconds, keeps it in its document store under the SHA-256
 * of the refused text, and `didResolveOperation` refuses it with a 400 GRAPHQL_VALIDATION_FAILED.
 * The same text again is found in the document store before parsing: neither parsed nor measured
 * again. (The default store is an in-memory LRU bounded by size; a store that serialises keeps the
 * `shapeRefusal` property too.) A text differing by one space is parsed and measured afresh: the
 * measure is linear, the cache only spares the parse.
 */
function documentShapeLimit<TContext extends BaseContext>(limits: DocumentShapeLimits): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async validationDidStart(requestContext) {
          const problem = findShapeProblem(requestContext.document, limits);
          if (!problem) return;
          const standIn: RefusedDocument = { ...parse('{ __typename }', { noLocation: true }), shapeRefusal: problem.message };
          (requestContext as { document: DocumentNode }).document = standIn;
        },
        async didResolveOperation({ document }) {
          const refusal = refusalOf(document);
          if (refusal !== undefined) throw new GraphQLError(refusal, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
        },
      };
    },
  };
}

/** Rewrites graphql-js's "Syntax Error: Document contains more than N tokens" into a limit error. */
function tokenLimitMessage<TContext extends BaseContext>(maxTokens: number): ApolloServerPlugin<TContext> {
  // graphql 16.15 spells it "more that"; accept both spellings.
  const graphqlJsMessage = new RegExp(`^Syntax Error: Document contains more tha[nt] ${maxTokens} tokens\\. Parsing aborted\\.$`);
  return {
    async requestDidStart() {
      return {
        async parsingDidStart() {
          return async (error) => {
            // Apollo builds the client's error from this one after this hook returns.
            if (error && graphqlJsMessage.test(error.message)) {
              error.message = `Query exceeds the limit of ${maxTokens} tokens (parsing stopped at token ${maxTokens + 1}).`;
            }
          };
        },
      };
    },
  };
}

/**
 * Apollo's `hideSchemaDetailsFromClientErrors` strips "Did you mean …?" from validation errors
 * only; a misspelt enum value in variables is reported at execution, with the suggestion.
 */
function hideSuggestions<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) error.message = error.message.replace(/ ?Did you mean(.+?)\?$/, '');
        },
      };
    },
  };
}

/**
 * Refuses, as a client error, a request whose operation cannot be run: an unknown or missing
 * operation name, or an operation type the graph does not have (no mutations yet). The gateway's
 * query planner would otherwise throw, and the client would see an internal error.
 */
function operationCheck<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request, document, schema }) {
          if (!operation) {
            const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length;
            const message = request.operationName
              ? `Unknown operation named "${request.operationName}".`
              : operations > 1
                ? 'Must provide operation name if query contains multiple operations.'
                : 'The document contains no operation to run.';
            throw new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } });
          }
          if (!schema.getRootType(operation.operation)) {
            throw new GraphQLError(`This graph has no ${operation.operation} operations.`, {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

export interface ListTooLong {
  message: string;
  /** The argument the list is given to, when known. */
  argument?: string;
}

/**
 * What the text of the operation run says about its lists: the first literal list longer than
 * `maxItems` (arguments, variable defaults, fragments it spreads), and the argument each variable
 * feeds. It depends on the document alone, so the plugin reads it once per parsed document.
 */
interface OperationLists {
  literalTooLong: ListTooLong | undefined;
  argumentOfVariable: Map<string, string>;
}

function operationLists(document: DocumentNode, operation: OperationDefinitionNode, maxItems: number): OperationLists {
  const argumentOfVariable = new Map<string, string>();
  let found: ListTooLong | undefined;
  let argument: string | undefined;
  let variableDefinition: string | undefined;
  const visitor: ASTVisitor = {
    Argument: {
      enter: (node) => {
        argument = node.name.value;
      },
      leave: () => {
        argument = undefined;
      },
    },
    VariableDefinition: {
      enter: (node) => {
        variableDefinition = node.variable.name.value;
      },
      leave: () => {
        variableDefinition = undefined;
      },
    },
    Variable: (node) => {
      if (argument !== undefined && !argumentOfVariable.has(node.name.value)) argumentOfVariable.set(node.name.value, argument);
    },
    ListValue: (node) => {
      if (found || node.values.length <= maxItems) return;
      const holder = argument !== undefined ? `Argument ${argument}` : `The default value of $${variableDefinition ?? '?'}`;
      found = { message: `${holder} has ${node.values.length} items, exceeding the limit of ${maxItems} per list.`, ...(argument !== undefined ? { argument } : {}) };
    },
  };
  // Only what running this operation reads: another operation of the same document is not run.
  for (const node of [operation, ...fragmentsUsedBy(operation, fragmentDefinitions(document))]) visit(node, visitor);
  return { literalTooLong: found, argumentOfVariable };
}

/** The first list longer than `maxItems` in the literals of the operation run or in the request's variables. */
export function findListTooLong(
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  maxItems: number,
  operation: OperationDefinitionNode | undefined = firstOperation(document),
): ListTooLong | undefined {
  return operation && listTooLongIn(operationLists(document, operation, maxItems), variables, maxItems);
}

/**
 * The operation's own literal over the limit, else the first list longer than `maxItems` in the
 * request's variables, named with the argument the variable feeds. Walks variables without
 * recursion: they are arbitrary client JSON.
 */
function listTooLongIn({ literalTooLong, argumentOfVariable }: OperationLists, variables: Record<string, unknown> | undefined, maxItems: number): ListTooLong | undefined {
  if (literalTooLong || !variables) return literalTooLong;
  const pending: { path: string; value: unknown; variable: string }[] = Object.entries(variables).map(([name, value]) => ({ path: `$${name}`, value, variable: name }));
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { path, value, variable } = next;
    if (Array.isArray(value)) {
      if (value.length > maxItems) {
        const fed = argumentOfVariable.get(variable);
        return { message: `Variable ${path} has ${value.length} items, exceeding the limit of ${maxItems} per list.`, ...(fed !== undefined ? { argument: fed } : {}) };
      }
      value.forEach((item, index) => pending.push({ path: `${path}[${index}]`, value: item, variable }));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) pending.push({ path: `${path}.${key}`, value: item, variable });
    }
  }
  return undefined;
}

/**
 * All the list items the field arguments of the operation being run carry, counted at every place
 * an argument is written, through the fragments it spreads (30 aliases of `citizens` with the same
 * 100-ID variable are 3,000 lookups), when that total is over `maxItems`. A variable the request
 * leaves out counts with its default.
 */
export function findTooManyListItems(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  maxItems: number,
): ListTooLong | undefined {
  const fragments = fragmentDefinitions(document);
  const defaults = new Map<string, ValueNode>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) defaults.set(definition.variable.name.value, definition.defaultValue);
  }
  const itemsOf = (value: ValueNode): number => {
    if (value.kind === Kind.LIST) return value.values.length;
    if (value.kind !== Kind.VARIABLE) return 0;
    const name = value.name.value;
    if (variables && Object.hasOwn(variables, name)) {
      const given = variables[name];
      return Array.isArray(given) ? given.length : 0;
    }
    const fallback = defaults.get(name);
    return fallback?.kind === Kind.LIST ? fallback.values.length : 0;
  };
  // A fragment is counted once and its total reused at every spread, so fragments that spread one
  // another many times cannot make this walk itself expensive.
  const fragmentTotals = new Map<string, number>();
  const count = (selectionSet: SelectionSetNode, inProgress: Set<string>): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        for (const argument of selection.arguments ?? []) total += itemsOf(argument.value);
        if (selection.selectionSet) total += count(selection.selectionSet, inProgress);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        total += count(selection.selectionSet, inProgress);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || inProgress.has(name)) continue;
        if (!fragmentTotals.has(name)) {
          inProgress.add(name);
          fragmentTotals.set(name, count(fragment.selectionSet, inProgress));
          inProgress.delete(name);
        }
        total += fragmentTotals.get(name)!;
      }
    }
    return total;
  };
  const total = count(operation.selectionSet, new Set());
  if (total <= maxItems) return undefined;
  return { message: `The arguments of this query carry ${total} list items in all, exceeding the limit of ${maxItems} per request.` };
}

/** Refuses an oversized list once the operation is known, before the gateway plans or calls anything. */
function listItemsLimit<TContext extends BaseContext>(maxItems: number, maxItemsPerRequest: number): ApolloServerPlugin<TContext> {
  // Apollo Server hands the same parsed document to every request with the same text.
  const listsOf = new WeakMap<OperationDefinitionNode, OperationLists>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, operation }) {
          if (!operation) return;
          let lists = listsOf.get(operation);
          if (!lists) listsOf.set(operation, (lists = operationLists(document, operation, maxItems)));
          const tooLong = listTooLongIn(lists, request.variables, maxItems) ?? findTooManyListItems(document, operation, request.variables, maxItemsPerRequest);
          if (!tooLong) return;
          throw new GraphQLError(tooLong.message, {
            extensions: {
              code: 'BAD_USER_INPUT',
              ...(tooLong.argument !== undefined ? { argument: tooLong.argument } : {}),
              http: { status: 400 },
            },
          });
        },
      };
    },
  };
}

import { createHash } from 'node:crypto';
import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  getArgumentValues,
  getDirectiveValues,
  getVariableValues,
  getNamedType,
  isAbstractType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  parse,
  TypeInfo,
  BREAK,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { AccessOutcome, AccessRecord } from '../lib/access-log/types.ts';
import type { PurposefulOfficer } from '../lib/access/caller.ts';
import { fieldDecider, selectedOperation, type AccessPolicy, type FieldDecision } from '../lib/access/policy.ts';

/**
 * Field-level access control and the access records of one operation, at the gateway.
 *
 * Before execution the operation is rewritten: fields the policy denies are taken out (so no
 * subgraph is asked for them), and every selection on a citizen gets that citizen's personal ID
 * under a reserved alias, so that the access record can name whose data was returned even when
 * the client did not ask for `personalId`. Households and land parcels get the personal IDs of
 * their members and right holders the same way: a parcel looked up by its ID is its holders' data.
 *
 * After execution the answer is walked along the client's own operation: denied fields come back
 * null with a FORBIDDEN error at their path, reserved aliases are removed, and every citizen whose
 * data is in the answer gets one access record listing the fields returned.
 */

/** Reserved alias prefix; a client document using it is refused. */
export const RESERVED_ALIAS_PREFIX = '_lt_';
const SUBJECT_ID = `${RESERVED_ALIAS_PREFIX}id`;
const SUBJECTS = `${RESERVED_ALIAS_PREFIX}subjects`;
const CITIZEN = 'Citizen';

/** Types whose own selection carries the people the data is about, with the selection that names them. */
const SUBJECT_SELECTIONS: Record<string, string> = {
  [CITIZEN]: `{ ${SUBJECT_ID}: personalId }`,
  Household: `{ ${SUBJECTS}: members { citizen { ${SUBJECT_ID}: personalId } } }`,
  LandParcel: `{ ${SUBJECTS}: rightHolders { citizen { ${SUBJECT_ID}: personalId } } }`,
};
const injectedSelections = new Map(
  Object.entries(SUBJECT_SELECTIONS).map(([type, selection]) => {
    const document = parse(`query ${selection}`);
    const operation = document.definitions[0];
    if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new Error('subject selection must be a query');
    return [type, operation.selectionSet.selections];
  }),
);

/** Documents already looked through; Apollo Server hands the same parsed document to every request with the same text. */
const reservedAliasOf = new WeakMap<DocumentNode, string | undefined>();

/** The first alias in the document that starts with the gateway's reserved prefix, if any. */
export function reservedAliasIn(document: DocumentNode): string | undefined {
  if (reservedAliasOf.has(document)) return reservedAliasOf.get(document);
  let found: string | undefined;
  visit(document, {
    Field(field) {
      if (field.alias?.value.startsWith(RESERVED_ALIAS_PREFIX)) {
        found = field.alias.value;
        return BREAK;
      }
      return undefined;
    },
  });
  reservedAliasOf.set(document, found);
  return found;
}

export interface PreparedOperation {
  /** The document to execute: denied fields out, subject selections in. */
  document: DocumentNode;
  /** A query-plan cache key that differs wherever the rewrite differs. */
  queryHash: string;
  /** Every field the caller was refused, once each. */
  denied: string[];
}

const TYPENAME: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

// The rewrite depends only on the document and the caller's agency and purpose: made once for each.
const prepared = new WeakMap<AccessPolicy, WeakMap<DocumentNode, Map<string, { document: DocumentNode; denied: string[] }>>>();

export function prepareOperation(schema: GraphQLSchema, document: DocumentNode, queryHash: string, policy: AccessPolicy, caller: PurposefulOfficer): PreparedOperation {
  let byDocument = prepared.get(policy);
  if (!byDocument) prepared.set(policy, (byDocument = new WeakMap()));
  let byCaller = byDocument.get(document);
  if (!byCaller) byDocument.set(document, (byCaller = new Map()));
  const key = `${caller.agency}\n${caller.purpose}`;
  let rewrite = byCaller.get(key);
  if (!rewrite) byCaller.set(key, (rewrite = rewriteOperation(schema, document, policy, caller)));
  const fingerprint = createHash('sha256')
    .update(`${queryHash}\n${policy.version}\n${rewrite.denied.join(',')}`)
    .digest('hex');
  return { document: rewrite.document, queryHash: fingerprint, denied: rewrite.denied };
}

function rewriteOperation(schema: GraphQLSchema, document: DocumentNode, policy: AccessPolicy, caller: PurposefulOfficer) {
  const decide = fieldDecider(policy, caller);
  const denied = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  const rewritten = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(field) {
          const parent = typeInfo.getParentType();
          if (!parent) return undefined;
          const name = `${parent.name}.${field.name.value}`;
          if (decide(name).allowed) return undefined;
          denied.add(name);
          return null;
        },
      },
      SelectionSet: {
        leave(selectionSet) {
          const type = typeInfo.getParentType();
          const injected = type ? injectedSelections.get(type.name) : undefined;
          const selections: readonly SelectionNode[] = [...selectionSet.selections, ...(injected ?? [])];
          return { ...selectionSet, selections: selections.length > 0 ? selections : [TYPENAME] };
        },
      },
    }),
  );
  return { document: rewritten, denied: [...denied].sort() };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Subject {
  fields: Set<string>;
  denied: Set<string>;
}

/** Data returned under a root field that is not a citizen (a household, a parcel, a registration): its people share it. */
interface SharedData extends Subject {
  people: Set<string>;
  /** The root field was answered (not failed): what it said, even null, is disclosed. */
  answered: boolean;
}

/** A field's path in the answer, built only when an error needs it: each step points at the one before. */
interface ResponsePath {
  prev: ResponsePath | undefined;
  key: string | number;
}

function pathToArray(path: ResponsePath): (string | number)[] {
  const keys: (string | number)[] = [];
  for (let step: ResponsePath | undefined = path; step; step = step.prev) keys.push(step.key);
  return keys.reverse();
}

/** One response key of a selection on one type, as the answer is rebuilt. */
type FieldPlan = { key: string; nodes: FieldNode[]; name: string } & ({ typename: true } | { typename: false; type: GraphQLOutputType; decision: FieldDecision });

export interface FinishedResponse {
  data: JsonObject | null;
  errors: GraphQLFormattedError[];
  records: AccessRecord[];
}

export interface ResponseFacts {
  schema: GraphQLSchema;
  /** The client's own document, before `prepareOperation`. */
  document: DocumentNode;
  operationName: string | null | undefined;
  variables: Record<string, unknown>;
  policy: AccessPolicy;
  caller: PurposefulOfficer;
  requestId: string;
  at: Date;
}

export function finishResponse(facts: ResponseFacts, data: JsonObject | null | undefined, errors: readonly GraphQLFormattedError[]): FinishedResponse {
  const operation = selectedOperation(facts.document, facts.operationName);
  // Errors of the injected selections would point at fields the client never asked for.
  const clientErrors = errors.filter((error) => !error.path?.some((key) => typeof key === 'string' && key.startsWith(RESERVED_ALIAS_PREFIX)));
  if (!operation || !data) return { data: data ?? null, errors: clientErrors, records: [] };
  const rootType = facts.schema.getRootType(operation.operation);
  if (!rootType) return { data, errors: clientErrors, records: [] };

  const decide = fieldDecider(facts.policy, facts.caller);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of facts.document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const citizens = new Map<string, Subject>();
  const shared: SharedData[] = [];
  const denialErrors: GraphQLFormattedError[] = [];

  /** A denied field: null in the answer, an error at its path, a denial on its subject's record. */
  const forbid = (decision: Extract<FieldDecision, { allowed: false }>, path: ResponsePath, subject: Subject | undefined): null => {
    subject?.denied.add(decision.field);
    denialErrors.push({
      message: decision.message,
      path: pathToArray(path),
      extensions: { code: 'FORBIDDEN', field: decision.field, category: decision.category, rules: decision.rules },
    });
    return null;
  };

  const citizen = (personalId: string) => {
    let subject = citizens.get(personalId);
    if (!subject) citizens.set(personalId, (subject = { fields: new Set(), denied: new Set() }));
    return subject;
  };

  // The variables as execution saw them: defaults applied, values coerced (an ID sent as a number is a string).
  const coercion = getVariableValues(facts.schema, operation.variableDefinitions ?? [], facts.variables);
  const variables = coercion.coerced ?? facts.variables;

  const included = (node: SelectionNode) => {
    if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
  };

  const appliesTo = (typeCondition: string | undefined, type: GraphQLObjectType) => {
    if (!typeCondition || typeCondition === type.name) return true;
    const condition = facts.schema.getType(typeCondition);
    return condition !== undefined && isAbstractType(condition) && facts.schema.isSubType(condition, type);
  };

  /** The fields of a selection set for an object of `type`, by response key, in document order. */
  const collectFields = (selectionSet: SelectionSetNode, type: GraphQLObjectType, into = new Map<string, FieldNode[]>(), seen = new Set<string>()) => {
    for (const selection of selectionSet.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        into.set(key, [...(into.get(key) ?? []), selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (appliesTo(selection.typeCondition?.name.value, type)) collectFields(selection.selectionSet, type, into, seen);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value) || !appliesTo(fragment.typeCondition.name.value, type)) continue;
        seen.add(fragment.name.value);
        collectFields(fragment.selectionSet, type, into, seen);
      }
    }
    return into;
  };

  const subjectIdsIn = (value: Json | undefined, into: Set<string>) => {
    if (Array.isArray(value)) for (const item of value) subjectIdsIn(item, into);
    else if (value && typeof value === 'object') {
      const id = value[SUBJECT_ID];
      if (typeof id === 'string') into.add(id);
      for (const [key, inner] of Object.entries(value)) if (key !== SUBJECT_ID) subjectIdsIn(inner, into);
    }
  };

  // What a selection asks of one type, worked out once per answer: each item of a list has the same
  // selection (the same `nodes` array is passed down for every item), and a list of fifty citizens
  // would otherwise collect, look up and decide the same fields fifty times.
  const plans = new Map<readonly FieldNode[], Map<GraphQLObjectType, FieldPlan[]>>();
  const planOf = (fieldNodes: readonly FieldNode[], type: GraphQLObjectType): FieldPlan[] => {
    let byType = plans.get(fieldNodes);
    if (!byType) plans.set(fieldNodes, (byType = new Map()));
    let plan = byType.get(type);
    if (plan) return plan;
    const fields = new Map<string, FieldNode[]>();
    for (const node of fieldNodes) if (node.selectionSet) collectFields(node.selectionSet, type, fields);
    plan = [];
    for (const [key, nodes] of fields) {
      const name = nodes[0]!.name.value;
      if (name === '__typename') {
        plan.push({ key, nodes, name, typename: true });
        continue;
      }
      const definition = type.getFields()[name];
      if (definition) plan.push({ key, nodes, name, typename: false, type: definition.type, decision: decide(`${type.name}.${name}`) });
    }
    byType.set(type, plan);
    return plan;
  };

  /**
   * Rebuilds `value` (an object of `type`) in the client's field order: denied fields null with an
   * error, reserved aliases gone; every returned field is written to the subject it belongs to.
   */
  const rebuild = (value: JsonObject, type: GraphQLObjectType, fieldNodes: readonly FieldNode[], path: ResponsePath, subject: Subject | undefined, prefix: string): JsonObject => {
    const out: JsonObject = {};
    for (const field of planOf(fieldNodes, type)) {
      const { key } = field;
      if (field.typename) {
        if (key in value) out[key] = value[key] ?? null;
        continue;
      }
      if (!field.decision.allowed) {
        out[key] = forbid(field.decision, { prev: path, key }, subject);
        continue;
      }
      if (!(key in value)) continue;
      const fieldPath = prefix ? `${prefix}.${field.name}` : field.name;
      const fieldValue = value[key] ?? null;
      if (fieldValue !== null) subject?.fields.add(fieldPath);
      out[key] = rebuildValue(fieldValue, field.type, field.nodes, { prev: path, key }, subject, fieldPath);
    }
    return out;
  };

  const rebuildValue = (value: Json, type: GraphQLOutputType, nodes: readonly FieldNode[], path: ResponsePath, subject: Subject | undefined, prefix: string): Json => {
    if (value === null) return null;
    const inner = isNonNullType(type) ? type.ofType : type;
    if (isListType(inner)) {
      return Array.isArray(value) ? value.map((item, index) => rebuildValue(item, inner.ofType, nodes, { prev: path, key: index }, subject, prefix)) : value;
    }
    if (!isObjectType(inner) || typeof value !== 'object' || Array.isArray(value)) return value;
    if (inner.name === CITIZEN) {
      const personalId = value[SUBJECT_ID];
      // Each citizen is their own subject; the enclosing subject keeps only the reference (`father`).
      if (typeof personalId === 'string') return rebuild(value, inner, nodes, path, citizen(personalId), '');
    }
    if (subject && 'people' in subject) subjectIdsIn(value[SUBJECTS], (subject as SharedData).people);
    return rebuild(value, inner, nodes, path, subject, prefix);
  };

  const rootFields = collectFields(operation.selectionSet, rootType);
  const out: JsonObject = {};
  for (const [key, nodes] of rootFields) {
    const first = nodes[0];
    if (!first) continue;
    const name = first.name.value;
    const definition = rootType.getFields()[name];
    if (name === '__typename' || !definition) {
      if (key in data) out[key] = data[key] ?? null;
      continue;
    }
    const coordinate = `${rootType.name}.${name}`;
    const decision = decide(coordinate);
    const namedType = getNamedType(definition.type);
    const personal = facts.policy.personalTypes.has(namedType.name);
    // A root field that is not a citizen lookup (household, parcel, registration, verification) is shared by its people.
    const sharedData: SharedData | undefined = personal && namedType.name !== CITIZEN ? { fields: new Set(), denied: new Set(), people: new Set(), answered: false } : undefined;
    if (sharedData) {
      const personalId = getArgumentValues(definition, first, variables).personalId;
      if (typeof personalId === 'string') sharedData.people.add(personalId);
      shared.push(sharedData);
    }
    if (!decision.allowed) {
      out[key] = forbid(decision, { prev: undefined, key }, sharedData);
      continue;
    }
    if (!(key in data)) continue;
    const value = data[key] ?? null;
    if (value !== null) sharedData?.fields.add(name);
    // Answered, even as null ("no birth registration"), unless its system failed.
    if (sharedData) sharedData.answered = !clientErrors.some((error) => error.path?.length === 1 && error.path[0] === key);
    out[key] = rebuildValue(value, definition.type, nodes, { prev: undefined, key }, sharedData, name);
  }

  for (const data of shared) {
    if (!data.answered && data.denied.size === 0) continue;
    for (const personalId of data.people) {
      const subject = citizen(personalId);
      for (const field of data.fields) subject.fields.add(field);
      for (const field of data.denied) subject.denied.add(field);
    }
  }
  const at = facts.at.toISOString();
  const records: AccessRecord[] = [];
  // Every citizen in the answer is recorded, even with no field but `__typename`: that they exist is disclosed.
  for (const [personalId, subject] of citizens) {
    records.push({
      at,
      requestId: facts.requestId,
      agency: facts.caller.agency,
      officer: facts.caller.officer,
      purpose: facts.caller.purpose,
      caseNumber: facts.caller.caseNumber,
      personalId,
      fields: [...subject.fields].sort(),
      deniedFields: [...subject.denied].sort(),
      outcome: outcomeOf(subject),
    });
  }
  return { data: out, errors: [...clientErrors, ...denialErrors], records };
}

function outcomeOf(subject: Subject): AccessOutcome {
  if (subject.denied.size === 0) return 'RETURNED';
  const disclosed = [...subject.fields].some((field) => field !== 'personalId');
  return disclosed ? 'PARTIALLY_DENIED' : 'DENIED';
}

import { readFileSync } from 'node:fs';
import {
  buildSchema,
  getNamedType,
  GraphQLSchema,
  valueFromASTUntyped,
  isNonNullType,
  isObjectType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type OperationDefinitionNode,
} from 'graphql';
import { z } from 'zod';
import { todayInVietnam } from '../domain/administrative-units.ts';
import { addDays } from '../domain/partial-date.ts';
import { isoDateSchema } from '../backend/wire.ts';
import { commonJsGraphql } from '../runtime/commonjs-graphql.ts';
import type { PurposefulOfficer } from './caller.ts';

/**
 * The access policy (policy/access-policy.json): which personal fields an agency may read for
 * which purpose. Fields are named by schema coordinate (`Citizen.landParcels`); a field in no
 * category is not controlled by itself (it is reached only through a controlled one, or it is a
 * lookup by ID). The gateway strips what is denied; every subgraph checks the same policy again.
 */
export { DEFAULT_ACCESS_POLICY_FILE } from '../runtime/settings.ts';

const day = isoDateSchema;
const legalBasisSchema = z.object({ from: day.nullable(), to: day.nullable(), basis: z.string().min(1), acts: z.array(z.string().min(1)).min(1) });
const legalActSchema = z.object({
  number: z.string().min(1),
  title: z.string().min(1),
  issuer: z.string().min(1),
  adoptedOn: day.nullable(),
  effectiveFrom: day.nullable(),
  effectiveTo: day.nullable(),
  summary: z.string().min(1),
  sourceUrl: z.string().url(),
});

const coordinate = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/, 'a schema coordinate such as Citizen.fullName');
const policyFile = z
  .object({
    version: z.string().min(1),
    personalTypes: z.array(z.string().min(1)).min(1),
    categories: z.record(z.string().min(1), z.object({ description: z.string(), fields: z.array(coordinate).min(1) })),
    purposes: z.record(z.string().regex(/^[A-Za-z0-9.\-_]{1,40}$/), z.object({ name: z.string().min(1) })),
    rules: z.array(
      z.object({
        id: z.string().regex(/^[a-z0-9-]+$/),
        description: z.string(),
        agencies: z.array(z.string().min(1)).min(1),
        purposes: z.array(z.string().min(1)).min(1),
        categories: z.array(z.string().min(1)).min(1),
        legalBases: z.array(legalBasisSchema).min(1),
      }),
    ),
    legalActs: z.record(z.string().min(1), legalActSchema),
  })
  .passthrough();

export interface PolicyRule {
  id: string;
  description: string;
  /** Agency codes, or `*` for any agency. */
  agencies: string[];
  /** Purpose codes, or `*` for any purpose of the policy. */
  purposes: string[];
  categories: string[];
  /**
   * The rule's legal basis over time, oldest first: each from `from` to `to` (inclusive, null where
   * open), without gap or overlap, the last one open-ended.
   */
  legalBases: readonly LegalBasis[];
}

export interface LegalBasis {
  from: string | null;
  to: string | null;
  /** The basis as a denial names it: the sector law and the personal-data law of the time. */
  basis: string;
  /** Ids of `legalActs` the basis rests on. */
  acts: string[];
}

/** The basis of `rule` in force on `date` (`YYYY-MM-DD`); a parsed policy has one for every date. */
export function legalBasisOn(rule: Pick<PolicyRule, 'legalBases'>, date: string): LegalBasis | undefined {
  return rule.legalBases.find((b) => (b.from === null || b.from <= date) && (b.to === null || date <= b.to));
}

/** What is wrong with a rule's dated bases: a gap, an overlap, or an end to the last one. */
function legalBasesProblem(bases: readonly LegalBasis[]): string | undefined {
  if (bases[0]?.from !== null) return 'the first legal basis must start with from: null';
  if (bases.at(-1)?.to !== null) return 'the last legal basis must be open (to: null)';
  for (let i = 1; i < bases.length; i += 1) {
    const [before, after] = [bases[i - 1]!, bases[i]!];
    const next = before.to === null ? undefined : addDays(before.to, 1);
    if (after.from !== next) return `legal basis ${i} must start the day after the one before ends`;
  }
  return undefined;
}

export interface AccessPolicy {
  version: string;
  personalTypes: ReadonlySet<string>;
  /** Controlled field (schema coordinate) → its category. */
  controlled: ReadonlyMap<string, string>;
  purposes: ReadonlyMap<string, { name: string }>;
  rules: readonly PolicyRule[];
  /** The acts the rules' legal bases rest on, by id. */
  legalActs: ReadonlyMap<string, z.infer<typeof legalActSchema>>;
}

export function parseAccessPolicy(json: unknown, source: string): AccessPolicy {
  const parsed = policyFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`access policy ${source}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const file = parsed.data;
  const controlled = new Map<string, string>();
  for (const [category, { fields }] of Object.entries(file.categories)) {
    for (const field of fields) {
      const other = controlled.get(field);
      if (other) throw new Error(`access policy ${source}: ${field} is in two categories, ${other} and ${category}`);
      controlled.set(field, category);
    }
  }
  for (const rule of file.rules) {
    for (const category of rule.categories) {
      if (!(category in file.categories)) throw new Error(`access policy ${source}: rule ${rule.id} grants unknown category ${category}`);
    }
    for (const purpose of rule.purposes) {
      if (purpose !== '*' && !(purpose in file.purposes)) throw new Error(`access policy ${source}: rule ${rule.id} names unknown purpose ${purpose}`);
    }
    const problem = legalBasesProblem(rule.legalBases);
    if (problem) throw new Error(`access policy ${source}: rule ${rule.id}: ${problem}`);
    const act = rule.legalBases.flatMap((b) => b.acts).find((id) => !(id in file.legalActs));
    if (act) throw new Error(`access policy ${source}: rule ${rule.id} cites unknown legal act ${act}`);
  }
  const ids = file.rules.map((rule) => rule.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate) throw new Error(`access policy ${source}: rule id ${duplicate} is used twice`);
  return {
    version: file.version,
    personalTypes: new Set(file.personalTypes),
    controlled,
    purposes: new Map(Object.entries(file.purposes)),
    rules: file.rules,
    legalActs: new Map(Object.entries(file.legalActs)),
  };
}

export function loadAccessPolicy(file: string): AccessPolicy {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`access policy ${file} cannot be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return parseAccessPolicy(json, file);
}

/**
 * What is wrong with the policy for this schema: a coordinate or type that does not exist (a
 * typo would leave a field uncontrolled), or a controlled field that is non-null (its denial
 * could not be answered as null without wiping out its parent).
 */
export function policyProblems(policy: AccessPolicy, schema: GraphQLSchema): string[] {
  const problems: string[] = [];
  for (const typeName of policy.personalTypes) {
    if (!isObjectType(schema.getType(typeName))) problems.push(`personal type ${typeName} is not an object type of the schema`);
  }
  for (const field of policy.controlled.keys()) {
    const [typeName = '', fieldName = ''] = field.split('.');
    const type = schema.getType(typeName);
    const definition = isObjectType(type) ? type.getFields()[fieldName] : undefined;
    if (!definition) problems.push(`controlled field ${field} is not in the schema`);
    else if (isNonNullType(definition.type)) problems.push(`controlled field ${field} is non-null: a denial must be able to answer null`);
  }
  return problems;
}

const localSchemas = new WeakMap<object, GraphQLSchema>();

/**
 * The schema as this module's graphql sees it. Apollo's gateway and subgraph libraries are
 * CommonJS and build their schemas with the CommonJS copy of graphql, whose type classes fail this
 * copy's `instanceof` checks; such a schema is rebuilt here once, from its printed SDL.
 */
export function localSchema(schema: object): GraphQLSchema {
  if (schema instanceof GraphQLSchema) return schema;
  let local = localSchemas.get(schema);
  if (!local) {
    if (!(schema instanceof commonJsGraphql.GraphQLSchema)) throw new TypeError('not a GraphQL schema');
    local = buildSchema(commonJsGraphql.printSchema(schema));
    localSchemas.set(schema, local);
  }
  return local;
}

export type FieldDecision = { allowed: true } | { allowed: false; field: string; category: string; rules: string[]; message: string };

/** The rules that apply to this agency and purpose. */
export function applicableRules(policy: AccessPolicy, caller: PurposefulOfficer): PolicyRule[] {
  return policy.rules.filter(
    (rule) => (rule.agencies.includes('*') || rule.agencies.includes(caller.agency)) && (rule.purposes.includes('*') || rule.purposes.includes(caller.purpose)),
  );
}

/**
 * Decides fields for one caller; decisions are computed once per field. The denial message names
 * the field, its category, and the rules that did apply with their legal basis in force on `date`
 * (today in Viet Nam by default), or that none did.
 */
export function fieldDecider(policy: AccessPolicy, caller: PurposefulOfficer, date: string = todayInVietnam()): (field: string) => FieldDecision {
  const rules = applicableRules(policy, caller);
  const granted = new Set(rules.flatMap((rule) => rule.categories));
  const decisions = new Map<string, FieldDecision>();
  const who = `agency ${caller.agency} with purpose ${caller.purpose}`;
  return (field) => {
    const category = policy.controlled.get(field);
    if (category === undefined || granted.has(category)) return { allowed: true };
    let decision = decisions.get(field);
    if (!decision) {
      const why =
        rules.length === 0
          ? `no rule of access policy ${policy.version} grants ${who} any personal data`
          : rules.map((rule) => `rule ${rule.id} (${legalBasisOn(rule, date)!.basis}) grants ${rule.categories.join(', ')}`).join('; ');
      decision = {
        allowed: false,
        field,
        category,
        rules: rules.map((rule) => rule.id),
        message: `Access to ${field} (${category}) is denied for ${who}: ${why}.`,
      };
      decisions.set(field, decision);
    }
    return decision;
  };
}

export interface OperationAssessment {
  /** The operation reads personal data (a field of, or returning, a personal type). */
  personal: boolean;
  /** Denied fields, once each, in document order; empty without a purposeful caller. */
  denied: Extract<FieldDecision, { allowed: false }>[];
  /** Every field selected, as a schema coordinate (`Query.accessLog`, `Citizen.fullName`). */
  fields: ReadonlySet<string>;
}

export function selectedOperation(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName) return operations.find((operation) => operation.name?.value === operationName);
  return operations.length === 1 ? operations[0] : undefined;
}

function representsPersonalType(policy: AccessPolicy, field: FieldNode, variables: Record<string, unknown>): boolean {
  const argument = field.arguments?.find((candidate) => candidate.name.value === 'representations');
  const representations: unknown = argument ? valueFromASTUntyped(argument.value, variables) : undefined;
  if (!Array.isArray(representations)) return true;
  return representations.some((representation: unknown) => {
    const typename = (representation as { __typename?: unknown } | null)?.__typename;
    return typeof typename !== 'string' || policy.personalTypes.has(typename);
  });
}

/** What an operation selects, whoever asks: computed once per parsed document. */
interface OperationAnalysis {
  /** Selects a field of, or returning, a personal type. */
  selectsPersonalType: boolean;
  /** Every field selected, as a schema coordinate, once each, in document order. */
  fields: Set<string>;
  /** `_entities` selections, whose representations decide whether they are personal. */
  entityLookups: FieldNode[];
}

// Apollo Server keeps one parsed document per query text, so the same document object comes back
// for every request with that text: the walk is done once per policy, document and operation.
const analyses = new WeakMap<AccessPolicy, WeakMap<DocumentNode, Map<string, OperationAnalysis>>>();

function analyseOperation(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, policy: AccessPolicy): OperationAnalysis {
  let byDocument = analyses.get(policy);
  if (!byDocument) analyses.set(policy, (byDocument = new WeakMap()));
  let byOperation = byDocument.get(document);
  if (!byOperation) byDocument.set(document, (byOperation = new Map()));
  const key = operation.name?.value ?? '';
  const known = byOperation.get(key);
  if (known) return known;

  const analysis: OperationAnalysis = { selectsPersonalType: false, fields: new Set(), entityLookups: [] };
  const typeInfo = new TypeInfo(schema);
  const visitor = visitWithTypeInfo(typeInfo, {
    Field(field) {
      const parent = typeInfo.getParentType();
      const type = typeInfo.getType();
      if (!parent) return;
      if (policy.personalTypes.has(parent.name) || (type && policy.personalTypes.has(getNamedType(type).name))) {
        analysis.selectsPersonalType = true;
      }
      if (field.name.value === '_entities') analysis.entityLookups.push(field);
      analysis.fields.add(`${parent.name}.${field.name.value}`);
    },
  });
  visit(operation, visitor);
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) visit(definition, visitor);
  }
  byOperation.set(key, analysis);
  return analysis;
}

/**
 * Walks the operation and the document's fragments against the schema: whether it reads personal
 * data, and which of its fields the caller may not read. (A fragment used only by another operation
 * of the same document is counted too: an over-approximation that can only refuse more.)
 */
export function assessOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  policy: AccessPolicy,
  caller: PurposefulOfficer | undefined,
  variables: Record<string, unknown> = {},
): OperationAssessment {
  const operation = selectedOperation(document, operationName);
  if (!operation) return { personal: false, denied: [], fields: new Set() };
  const analysis = analyseOperation(schema, document, operation, policy);
  // A subgraph's entity lookup is personal when it names a personal type, whatever it selects:
  // even `{ _entities(…) { __typename } }` tells whether a person exists.
  const personal = analysis.selectsPersonalType || analysis.entityLookups.some((field) => representsPersonalType(policy, field, variables));
  const denied: OperationAssessment['denied'] = [];
  if (caller) {
    const decide = fieldDecider(policy, caller);
    for (const field of analysis.fields) {
      const decision = decide(field);
      if (!decision.allowed) denied.push(decision);
    }
  }
  return { personal, denied, fields: analysis.fields };
}

/**
 * Documents built to make graphql-js validation expensive, a denial of service at a cost of one request
 * each: each within the token limit
 * (MAX_QUERY_TOKENS, 2000), each refused by a shape limit (gateway/document-shape.ts) before
 * validation. Shared by the tests (test/refusals.test.ts, gateway/document-shape.test.ts) and `npm run bench:refusals`.
 */

const times = (n: number, text: (i: number) => string, separator = ' '): string => Array.from({ length: n }, (_, i) => text(i)).join(separator);

/** `father { … } father { … }` nested `depth` deep: 2^depth copies of fullName at one place. */
function ancestorTree(depth: number): string {
  return depth === 0 ? 'fullName' : `father { ${ancestorTree(depth - 1)} } father { ${ancestorTree(depth - 1)} }`;
}

export interface AbusiveDocument {
  query: string;
  /** The shape limit that refuses it at the default limits. */
  refusedBy: 'maxSelections' | 'maxFields' | 'maxFieldRepeats';
  /** What it is, in a few words. */
  description: string;
  /** The operation to run, when the document has several. */
  operationName?: string;
}

export const ABUSIVE_DOCUMENTS = {
  /** 8.6 KB, about 1 s of validation before this limit: one request's worth of a denial of service. */
  'repeated-450': {
    query: `{ ${times(450, () => 'provinces { name }')} }`,
    refusedBy: 'maxSelections',
    description: '450 × provinces { name }',
  },
  'aliased-300': {
    query: `{ ${times(300, () => 'p: provinces { name }')} }`,
    refusedBy: 'maxSelections',
    description: '300 × the same alias p: provinces { name }',
  },
  'inline-fragments': {
    query: `{ ${times(5, () => `... on Query { ${times(90, () => 'provinces { name }')} }`)} }`,
    refusedBy: 'maxFields',
    description: '5 inline fragments × 90 provinces { name }',
  },
  'inline-fragments-120': {
    query: `{ ${times(2, () => `... on Query { ${times(60, () => 'provinces { name }')} }`)} }`,
    refusedBy: 'maxFieldRepeats',
    description: '2 inline fragments × 60 provinces { name }: 120 at one place',
  },
  'fragment-chain': {
    query: `{ ...F0 } ${times(150, (i) => `fragment F${i} on Query { provinces { name }${i < 149 ? ` ...F${i + 1}` : ''} }`)}`,
    refusedBy: 'maxFieldRepeats',
    description: '150 fragments, each provinces { name } and a spread of the next',
  },
  'fragment-spreads': {
    query: `{ ${times(99, () => '...F')} } fragment F on Query { ${times(5, () => 'provinces { name }')} }`,
    refusedBy: 'maxFields',
    description: '99 spreads of one fragment of 5 × provinces { name }',
  },
  'fragment-bomb': {
    query: `{ ...F0 } ${times(40, (i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`)} fragment F40 on Query { provinces { name } }`,
    refusedBy: 'maxFields',
    description: '40 fragments each spreading the next twice: 2^41 fields',
  },
  'nested-tree': {
    query: `{ citizen(personalId: "001085012345") { ${ancestorTree(7)} } }`,
    refusedBy: 'maxFieldRepeats',
    description: 'father { … } father { … } 7 deep: 128 × fullName at one place',
  },
  'nested-tree-8': {
    query: `{ citizen(personalId: "001085012345") { ${ancestorTree(8)} } }`,
    refusedBy: 'maxFields',
    description: 'father { … } father { … } 8 deep: 767 fields',
  },
  'unused-fragment': {
    query: `{ __typename } fragment Unused on Query { ${times(2, () => `... on Query { ${times(60, () => 'provinces { name }')} }`)} }`,
    refusedBy: 'maxFieldRepeats',
    description: 'a fragment no operation spreads, with 120 × provinces { name }',
  },
  'many-operations': {
    query: times(4, (i) => `query Q${i} { ${times(99, () => 'provinces { name }')} }`),
    refusedBy: 'maxFields',
    description: '4 operations × 99 provinces { name }',
    operationName: 'Q0',
  },
  typename: {
    query: `{ ${times(19, () => `... on Query { ${times(99, () => '__typename')} }`)} }`,
    refusedBy: 'maxFields',
    description: '19 inline fragments × 99 __typename',
  },
} satisfies Record<string, AbusiveDocument>;

export type AbusiveDocumentName = keyof typeof ABUSIVE_DOCUMENTS;

import { readFileSync } from 'node:fs';
import { Kind, parse, print, type DefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';

/**
 * Federation has each subgraph declare the value types it shares (`@shareable`: Source, PartialDate)
 * and the enums they use. They are copies by necessity, so this keeps them one definition: a type or
 * enum of the same name is the same, descriptions included, in every subgraph that declares it.
 */
const root = new URL('../', import.meta.url);
const config = JSON.parse(readFileSync(new URL('schema/subgraphs.json', root), 'utf8')) as { subgraphs: { name: string; schema: string }[] };

type Named = DefinitionNode & { name: { value: string }; directives?: readonly { name: { value: string } }[] };
const shared = (d: DefinitionNode): d is Named =>
  d.kind === Kind.ENUM_TYPE_DEFINITION || (d.kind === Kind.OBJECT_TYPE_DEFINITION && (d.directives ?? []).some((x) => x.name.value === 'shareable'));

const declared = new Map<string, { subgraph: string; text: string }[]>();
for (const { name, schema } of config.subgraphs) {
  for (const definition of parse(readFileSync(new URL(schema, root), 'utf8')).definitions) {
    if (!shared(definition)) continue;
    const copies = declared.get(definition.name.value) ?? [];
    copies.push({ subgraph: name, text: print(definition) });
    declared.set(definition.name.value, copies);
  }
}
const repeated = [...declared].filter(([, copies]) => copies.length > 1);

describe('types declared by several subgraphs', () => {
  it('include the publications and partial dates the figures share', () => {
    expect(
      Object.fromEntries(repeated.filter(([name]) => ['Source', 'PartialDate', 'DatePrecision'].includes(name)).map(([name, copies]) => [name, copies.map((c) => c.subgraph)])),
    ).toEqual({
      Source: ['civil-status', 'land', 'public-services'],
      PartialDate: ['population', 'civil-status', 'land', 'public-services'],
      DatePrecision: ['population', 'civil-status', 'land', 'public-services'],
    });
  });

  it.each(repeated.map(([name, copies]) => [name, copies] as const))('declare %s alike everywhere', (_name, copies) => {
    for (const copy of copies.slice(1)) expect(copy.text, `${copy.subgraph} against ${copies[0]!.subgraph}`).toBe(copies[0]!.text);
  });
});

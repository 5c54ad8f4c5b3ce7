import { readFileSync } from 'node:fs';
import { Kind, parse, print, type DefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SYSTEM_IDS } from '../lib/runtime/systems.ts';
import { composeSupergraph, SUPERGRAPH_FILE, subgraphEntries } from './compose.ts';

describe('committed supergraph', () => {
  it('is what `npm run compose` produces from the subgraph SDLs today', () => {
    expect(readFileSync(SUPERGRAPH_FILE, 'utf8'), 'schema/supergraph.graphql is stale: run `npm run compose`').toBe(composeSupergraph());
  });

  it("joins every system's subgraph at its default address, and the connection board and access log views served by the gateway", () => {
    const supergraph = readFileSync(SUPERGRAPH_FILE, 'utf8');
    for (const entry of subgraphEntries()) expect(supergraph).toContain(`url: "${entry.routingUrl}"`);
    expect(SYSTEM_IDS.slice(0, 4)).toEqual(['population', 'civil-status', 'land', 'public-services']);
    expect(subgraphEntries().map((e) => e.name)).toEqual([...SYSTEM_IDS, 'connections', 'access-log']);
  });
});

describe('value types the subgraphs share', () => {
  // Federation makes each subgraph declare the value types it uses (PartialDate, Source, …), so they
  // are written more than once; composition accepts copies that differ. They must not.
  it('are declared identically, descriptions included, wherever they are declared', () => {
    const declarations = new Map<string, Map<string, string>>();
    for (const entry of subgraphEntries()) {
      for (const definition of parse(readFileSync(new URL(`../${entry.schema}`, import.meta.url), 'utf8')).definitions) {
        if (!isValueType(definition)) continue;
        const bySubgraph = declarations.get(definition.name.value) ?? new Map<string, string>();
        bySubgraph.set(entry.name, print(definition));
        declarations.set(definition.name.value, bySubgraph);
      }
    }
    const shared = [...declarations].filter(([, bySubgraph]) => bySubgraph.size > 1);
    expect(shared.length).toBeGreaterThan(0);
    for (const [name, bySubgraph] of shared) {
      expect(new Set(bySubgraph.values()).size, `${name} differs between ${[...bySubgraph.keys()].join(', ')}`).toBe(1);
    }
  });
});

/** An object or enum type without `@key`: entities may differ, each subgraph adding its own fields. */
function isValueType(definition: DefinitionNode): definition is DefinitionNode & { name: { value: string } } {
  if (definition.kind === Kind.ENUM_TYPE_DEFINITION) return true;
  if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION || definition.name.value === 'Query') return false;
  return !definition.directives?.some((directive) => directive.name.value === 'key');
}

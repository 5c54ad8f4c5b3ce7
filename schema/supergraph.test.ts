import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeSupergraph, SUPERGRAPH_FILE, subgraphEntries } from './compose.ts';

describe('committed supergraph', () => {
  it('is what `npm run compose` produces from the subgraph SDLs today', () => {
    expect(readFileSync(SUPERGRAPH_FILE, 'utf8'), 'schema/supergraph.graphql is stale: run `npm run compose`').toBe(composeSupergraph());
  });

  it('joins the four subgraphs at their default addresses', () => {
    const supergraph = readFileSync(SUPERGRAPH_FILE, 'utf8');
    for (const entry of subgraphEntries()) expect(supergraph).toContain(`url: "${entry.routingUrl}"`);
    expect(subgraphEntries().map((e) => e.name)).toEqual(['population', 'civil-status', 'land', 'public-services']);
  });
});

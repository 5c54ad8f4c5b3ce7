import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

/**
 * Composes the subgraph SDLs into the supergraph the gateway serves, with Apollo's own
 * composition library (Rover's compose plugin downloads a binary at run time; this does not).
 */
const root = new URL('../', import.meta.url);
export const SUPERGRAPH_FILE = new URL('schema/supergraph.graphql', root);

interface SubgraphEntry {
  name: string;
  schema: string;
  routingUrl: string;
}

export function subgraphEntries(): SubgraphEntry[] {
  const config = JSON.parse(readFileSync(new URL('schema/subgraphs.json', root), 'utf8')) as { subgraphs: SubgraphEntry[] };
  return config.subgraphs;
}

export function composeSupergraph(): string {
  const services = subgraphEntries().map((entry) => ({
    name: entry.name,
    url: entry.routingUrl,
    typeDefs: parse(readFileSync(new URL(entry.schema, root), 'utf8')),
  }));
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  }
  return `${result.supergraphSdl.trimEnd()}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const supergraph = composeSupergraph();
  writeFileSync(SUPERGRAPH_FILE, supergraph);
  console.log(`Wrote ${fileURLToPath(SUPERGRAPH_FILE)} (${supergraph.length} bytes, ${subgraphEntries().length} subgraphs).`);
}

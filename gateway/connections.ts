import { LocalGraphQLDataSource } from '@apollo/gateway';
import { badInput } from '../lib/domain/graph-input.ts';
import { buildSubgraphSchemaFromFile } from '../lib/runtime/subgraph.ts';
import type { AgencyEntry } from '../lib/domain/agencies.ts';
import { SYSTEM_IDS, SYSTEMS, systemOwnerOn, systemOwners, type SystemId } from '../lib/runtime/systems.ts';
import type { ConnectionBoard, ConnectionView } from './connection-board.ts';
import type { ConnectionTester } from './connection-tester.ts';
import { System, type Resolvers } from './generated/connections.ts';

/**
 * The connection board as a subgraph served inside the gateway (a LocalGraphQLDataSource): it is
 * composed into the supergraph like the others, so `connections` can be asked for beside, and
 * joined with, the other subgraphs' data (`owner { agency { populationDbConnection } }`).
 */
export const CONNECTIONS_SUBGRAPH = 'connections';
export const CONNECTIONS_SCHEMA_FILE = new URL('./connections.graphql', import.meta.url);

/** Each system's value of the SDL's `System` enum is its environment prefix (`CIVIL_STATUS`): a system added to lib/runtime/systems.ts needs no entry here. */
const toEnum = (id: SystemId) => SYSTEMS[id].envPrefix as System;
const SDL_SYSTEMS = new Set<string>(Object.values(System));
for (const id of SYSTEM_IDS) if (!SDL_SYSTEMS.has(toEnum(id))) throw new Error(`system ${id}: the System enum of connections.graphql has no value ${toEnum(id)}`);
const BY_ENUM = new Map<System, SystemId>(SYSTEM_IDS.map((id) => [toEnum(id), id]));
const fromEnum = (value: System): SystemId => {
  const id = BY_ENUM.get(value);
  // GraphQL has already checked the enum; this guards the mapping itself.
  if (!id) throw new Error(`no system for enum value ${value}`);
  return id;
};

const MAX_HISTORY = 500;

const ownerOf = ({ id, code, name, validFrom, validTo }: AgencyEntry) => ({ id, code, name, validFrom, validTo });

function connectionOf(view: ConnectionView) {
  const system = SYSTEMS[view.system];
  return {
    ...view,
    system: toEnum(view.system),
    systemId: view.system,
    name: system.name,
    owner: ((owner) => owner && ownerOf(owner))(systemOwnerOn(view.system)),
    owners: systemOwners(view.system).map(ownerOf),
  };
}

/** An owner as `SystemOwner`'s resolvers receive it (the generated resolver types' mapper). */
export type SystemOwnerModel = ReturnType<typeof ownerOf>;
/** A system's connection as `SystemConnection`'s resolvers receive it (the generated resolver types' mapper). */
export type SystemConnectionModel = ReturnType<typeof connectionOf>;

export function connectionsResolvers(board: ConnectionBoard, tester: ConnectionTester): Resolvers {
  return {
    Query: {
      connections: () => board.views().map(connectionOf),
      connection: (_, args) => connectionOf(board.view(fromEnum(args.system))),
    },
    Mutation: {
      testConnection: async (_, args) => {
        const report = await tester.test(fromEnum(args.system));
        return { ...report, system: args.system, ok: report.verdict === 'PASSED' };
      },
    },
    SystemOwner: {
      agency: (owner) => ({ __typename: 'Agency' as const, id: owner.id }),
    },
    SystemConnection: {
      history: (connection, args) => {
        if (!Number.isInteger(args.limit) || args.limit < 1 || args.limit > MAX_HISTORY) {
          throw badInput('limit', `expected a whole number from 1 to ${MAX_HISTORY}`);
        }
        return connection.history.slice(0, args.limit);
      },
    },
  };
}

export function connectionsDataSource(board: ConnectionBoard, tester: ConnectionTester): LocalGraphQLDataSource {
  return new LocalGraphQLDataSource(buildSubgraphSchemaFromFile(CONNECTIONS_SCHEMA_FILE, connectionsResolvers(board, tester)));
}

import { readFileSync } from 'node:fs';
import type { FaultMode } from '../../lib/devkit/mock-server.ts';
import type { SystemId } from '../../lib/runtime/systems.ts';
import { README_PATH } from '../../lib/devkit/in-process-system.ts';

/**
 * The README's executable examples: each `<!-- example: NAME [system=fault] [as=caller] -->` marker
 * is followed by a graphql block, optionally a variables block, and the answer block.
 */
export interface ReadmeExample {
  name: string;
  /** Faults to switch on in the named systems' mocks while the example runs. */
  faults: [SystemId, FaultMode][];
  /** The caller the README sends it as; undefined for the development officer on a land transfer. */
  as: string | undefined;
  query: string;
  variables: Record<string, unknown>;
  answer: unknown;
}

export function readReadmeExamples(readme = readFileSync(README_PATH, 'utf8')): ReadmeExample[] {
  const examples: ReadmeExample[] = [];
  for (const match of readme.matchAll(/<!-- example: ([\w-]+)((?: [\w-]+=[\w-]+)*) -->\n([\s\S]*?)(?=\n<!-- example:|\n#{2,3} )/g)) {
    const blocks = [...match[3]!.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((b) => ({ lang: b[1]!, body: b[2]! }));
    const query = blocks.find((b) => b.lang === 'graphql');
    const json = blocks.filter((b) => b.lang === 'json');
    if (!query || json.length === 0) throw new Error(`README example ${match[1]} lacks a graphql or json block`);
    const attributes = match[2]!.trim()
      ? match[2]!
          .trim()
          .split(' ')
          .map((f) => f.split('=') as [string, string])
      : [];
    examples.push({
      name: match[1]!,
      faults: attributes.filter(([key]) => key !== 'as') as [SystemId, FaultMode][],
      as: attributes.find(([key]) => key === 'as')?.[1],
      query: query.body,
      variables: json.length > 1 ? (JSON.parse(json[0]!.body) as Record<string, unknown>) : {},
      answer: JSON.parse(json.at(-1)!.body),
    });
  }
  return examples;
}

/** Who sends a README example, with the purpose and case the README shows them sending (null: none). */
export interface ReadmeCaller {
  identity: 'officer' | 'insuranceOfficer' | 'citizen' | 'auditor';
  purpose: string | null;
  caseNumber: string | null;
}

const README_CALLERS: Record<string, ReadmeCaller> = {
  // No `as=`: the development officer (can-bo-01 at BNNMT) for a land transfer.
  default: { identity: 'officer', purpose: 'land-transfer', caseNumber: 'HS-2026-0001' },
  'officer-identity': { identity: 'officer', purpose: 'identity-verification', caseNumber: 'XT-2026-0007' },
  'insurance-officer': { identity: 'insuranceOfficer', purpose: 'health-insurance-card', caseNumber: 'BH-2026-0042' },
  citizen: { identity: 'citizen', purpose: null, caseNumber: null },
  auditor: { identity: 'auditor', purpose: null, caseNumber: null },
};

export function readmeCallerOf(example: Pick<ReadmeExample, 'name' | 'as'>): ReadmeCaller {
  const caller = README_CALLERS[example.as ?? 'default'];
  if (!caller) throw new Error(`README example ${example.name} names an unknown caller: ${example.as}`);
  return caller;
}

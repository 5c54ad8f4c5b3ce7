/**
 * Every environment variable the processes read, derived from the declarations (lib/runtime/settings.ts)
 * and the processes' schemas (lib/runtime/process-settings.ts): the README's configuration table
 * (`npm run docs:settings` prints it), and what docker-compose.yml and deploy/ are checked against.
 */
import { PROCESSES } from './process-settings.ts';
import { DECLARED_SETTINGS, settingsReadBy, shownDefault, type Setting } from './settings.ts';
import { SYSTEM_IDS } from './systems.ts';

export interface EnvironmentVariable {
  name: string;
  readBy: string;
  default: string;
  description: string;
}

/** "every service", "every subgraph", "every mock backend" for the whole group, else the processes one by one. */
function readersText(readers: readonly string[]): string {
  const groups = [
    { name: 'every subgraph', members: SYSTEM_IDS.map((id) => `${id} subgraph`) },
    { name: 'every mock backend', members: SYSTEM_IDS.map((id) => `${id} mock backend`) },
  ];
  let names = [...readers];
  for (const group of groups) {
    if (group.members.every((member) => names.includes(member))) {
      const at = names.indexOf(group.members[0]!);
      names = names.filter((name) => !group.members.includes(name));
      names.splice(at, 0, group.name);
    }
  }
  if (['gateway', 'every subgraph', 'every mock backend'].every((name) => names.includes(name))) {
    names = ['every service', ...names.filter((name) => !['gateway', 'every subgraph', 'every mock backend'].includes(name))];
  }
  return names.join(', ');
}

function environmentVariables(): EnvironmentVariable[] {
  const readers = new Map<Setting<unknown>, string[]>();
  for (const { name, settings } of PROCESSES) {
    for (const declared of settingsReadBy(settings)) readers.set(declared, [...(readers.get(declared) ?? []), name]);
  }
  return DECLARED_SETTINGS.filter((declared) => readers.has(declared)).map((declared) => ({
    name: declared.name,
    readBy: readersText(readers.get(declared)!) + (declared.readThrough ? ` (${declared.readThrough})` : ''),
    default: shownDefault(declared),
    description: declared.description,
  }));
}

export const ENVIRONMENT_VARIABLES: readonly EnvironmentVariable[] = environmentVariables();

/** The README's configuration table, one row per variable. */
export function configurationTable(): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const code = (text: string) => (text.includes('`') ? text : `\`${text}\``);
  return [
    '| variable | read by | default | meaning |',
    '|---|---|---|---|',
    ...ENVIRONMENT_VARIABLES.map((v) => `| \`${v.name}\` | ${cell(v.readBy)} | ${cell(code(v.default))} | ${cell(v.description)} |`),
  ].join('\n');
}

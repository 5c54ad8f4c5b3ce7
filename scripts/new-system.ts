/**
 * `npm run new-system -- <name>`: scaffolds a new sector system, a subgraph over a new ministry
 * backend, of the same shape as the four: its folder under subgraphs/ from the templates in
 * scripts/new-system/templates/, and its entry in every registry the four are in. Then it composes
 * the supergraph, runs the codegen and rewrites the README's settings table, as a developer would.
 * `--dry-run` prints what it would create and change, and writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { parseAllDocuments } from 'yaml';
import { errorText } from '../lib/runtime/cli.ts';
import { SERVICE_HEAP_OPTIONS } from '../lib/runtime/service-layout.ts';
import { SYSTEM_IDS, SYSTEMS, type SystemDescriptor } from '../lib/runtime/systems.ts';
import { DEFAULT_HAPROXY_STATS_PORT } from '../lib/runtime/settings.ts';
import { EXAMPLE_PURPOSE } from '../lib/access/caller.ts';
import { DEV_OFFICER_AGENCY } from '../lib/devkit/dev-credentials.ts';
import { cloneSystemEntries, type SystemTokens } from './new-system/yaml-clone.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TEMPLATES = fileURLToPath(new URL('./new-system/templates/', import.meta.url));
/** The system whose entries the deployment files' new entries are copied from: a subgraph of personal data, like a new one. */
const MODEL_SYSTEM = 'civil-status';
/** Where the TypeScript registries take a new entry. */
const ENTRY_MARKER = '// `npm run new-system` adds a new system';
/** Names that are services or subgraphs already, though not backend systems. */
const RESERVED_NAMES = ['gateway', 'connections', 'access-log', 'mock', 'postgres', 'credentials', 'prometheus', 'status'];
const MAX_NAME_LENGTH = 40;
/** The deployment and monitoring files that name each system, where the new one's entries are copied from the model's. */
export const DEPLOYMENT_FILES = [
  'docker-compose.yml',
  'deploy/compose/secrets.yml',
  'deploy/kubernetes/base/subgraphs.yaml',
  'deploy/kubernetes/base/gateway.yaml',
  'deploy/kubernetes/base/backends.yaml',
  'deploy/kubernetes/development/mocks.yaml',
  'deploy/kubernetes/development/backends.yaml',
  'monitoring/prometheus/prometheus.yml',
];

/** Why the generator stopped; `NAME_REFUSED` exits 2, the others 1. */
export type NewSystemErrorCode = 'NAME_REFUSED' | 'REGISTRY_NOT_AS_EXPECTED' | 'STEP_FAILED';

export class NewSystemError extends Error {
  constructor(
    readonly code: NewSystemErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'NewSystemError';
  }
}

/** The spellings of a system's name in code, settings and prose. */
export interface SystemNames {
  /** `driving-licences`: the system id, folder and service name. */
  kebab: string;
  /** `drivingLicences`: variables and GraphQL fields. */
  camel: string;
  /** `DrivingLicences`: types. */
  pascal: string;
  /** `DRIVING_LICENCES`: the prefix of its environment variables and its value of the `System` enum. */
  prefix: string;
  /** `Driving licences`: prose. */
  title: string;
}

export function systemNames(kebab: string): SystemNames {
  const words = kebab.split('-');
  const capitalised = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  return {
    kebab,
    camel: words[0] + capitalised.slice(1).join(''),
    pascal: capitalised.join(''),
    prefix: words.join('_').toUpperCase(),
    title: capitalised[0] + (words.length > 1 ? ` ${words.slice(1).join(' ')}` : ''),
  };
}

/** Why `name` cannot be a new system's name, or undefined when it can. */
export function nameProblem(name: string | undefined, root: string = ROOT): string | undefined {
  if (!name) return 'give the new system a name in kebab-case, e.g. `npm run new-system -- driving-licences`';
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name))
    return `"${name}" is not in kebab-case: lowercase letters, digits and single hyphens between words, starting with a letter (e.g. driving-licences)`;
  if (name.length > MAX_NAME_LENGTH) return `"${name}" is longer than ${MAX_NAME_LENGTH} characters (it names Kubernetes objects, with a "mock-" prefix)`;
  if ((SYSTEM_IDS as readonly string[]).includes(name)) return `"${name}" is an existing system (lib/runtime/systems.ts): ${SYSTEM_IDS.join(', ')}`;
  if (RESERVED_NAMES.includes(name) || name.startsWith('mock-')) return `"${name}" is reserved: it names another service (${RESERVED_NAMES.join(', ')}, mock-<system>)`;
  const { prefix, camel } = systemNames(name);
  // LAND_USE_… would read as settings of the land system (LAND_…) wherever variables are told apart by their prefix.
  const clash = Object.values(SYSTEMS).find(
    (s) => s.envPrefix === prefix || systemNames(s.id).camel === camel || prefix.startsWith(`${s.envPrefix}_`) || s.envPrefix.startsWith(`${prefix}_`),
  );
  if (clash)
    return `"${name}" would share its environment prefix (${clash.envPrefix}_…) or code names with the ${clash.id} system: choose a name that is not ${clash.id} or a word longer or shorter`;
  const subgraphNames = (JSON.parse(readFileSync(join(root, 'schema/subgraphs.json'), 'utf8')) as { subgraphs: { name: string }[] }).subgraphs.map((s) => s.name);
  if (subgraphNames.includes(name)) return `"${name}" is a subgraph of schema/subgraphs.json already`;
  if (existsSync(join(root, 'subgraphs', name))) return `subgraphs/${name}/ exists already`;
  return undefined;
}

/** What the new system is: its names and its default ports, the next free ones after the four's. */
export interface NewSystem extends SystemNames {
  subgraphPort: number;
  backendPort: number;
}

export function newSystem(kebab: string): NewSystem {
  const systems = Object.values(SYSTEMS);
  const subgraphPort = Math.max(...systems.map((s) => s.subgraphPort)) + 1;
  const backendPort = Math.max(...systems.map((s) => s.backendPort)) + 1;
  // Subgraphs are numbered 4001…, below HAProxy's statistics page on 4009 (npm run start:scaled); their backends 4101….
  if (subgraphPort >= DEFAULT_HAPROXY_STATS_PORT)
    throw new NewSystemError(
      'STEP_FAILED',
      `no default port left below HAProxy's statistics page (${DEFAULT_HAPROXY_STATS_PORT}): choose the ports in lib/runtime/systems.ts by hand`,
    );
  return { ...systemNames(kebab), subgraphPort, backendPort };
}

/** One file the generator writes, by its path in the repository. */
export interface PlannedFile {
  path: string;
  content: string;
}

function substitute(template: string, system: NewSystem): string {
  return template
    .replaceAll('__kebab__', system.kebab)
    .replaceAll('__camel__', system.camel)
    .replaceAll('__Pascal__', system.pascal)
    .replaceAll('__PREFIX__', system.prefix)
    .replaceAll('__Title__', system.title)
    .replaceAll('__SUBGRAPH_PORT__', String(system.subgraphPort))
    .replaceAll('__BACKEND_PORT__', String(system.backendPort));
}

function templateFiles(dir: string = TEMPLATES): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? templateFiles(path) : [path];
  });
}

/** The subgraph's own files, from the templates: `system.test.ts.template` becomes `<name>.test.ts`. */
export function subgraphFiles(system: NewSystem): PlannedFile[] {
  return templateFiles().map((template) => {
    const name = relative(TEMPLATES, template)
      .replace(/\.template$/, '')
      .replace(/^system\.test\.ts$/, `${system.kebab}.test.ts`);
    return { path: join('subgraphs', system.kebab, name), content: substitute(readFileSync(template, 'utf8'), system) };
  });
}

const notAsExpected = (path: string, what: string) => new NewSystemError('REGISTRY_NOT_AS_EXPECTED', `${path}: ${what}; add the new system there by hand, or restore the file`);

/** `text` with `lines` inserted before the marker line of the TypeScript registry. */
function beforeMarker(path: string, text: string, lines: string): string {
  const at = text.indexOf(ENTRY_MARKER);
  if (at === -1) throw notAsExpected(path, `no "${ENTRY_MARKER}" line`);
  const lineStart = text.lastIndexOf('\n', at) + 1;
  return text.slice(0, lineStart) + lines + text.slice(lineStart);
}

/** `text` with `line` added after its last import. */
function afterLastImport(path: string, text: string, line: string): string {
  const imports = [...text.matchAll(/^import [^;]+;\n/gm)];
  const last = imports.at(-1);
  if (!last) throw notAsExpected(path, 'no import');
  const at = last.index + last[0].length;
  return `${text.slice(0, at)}${line}\n${text.slice(at)}`;
}

/** `text` with `lines` inserted after the last line that `belongs` says is one of the existing systems'. */
function afterLastLine(path: string, text: string, belongs: (line: string) => boolean, lines: string[], what: string): string {
  const all = text.split('\n');
  const index = all.findLastIndex(belongs);
  if (index === -1) throw notAsExpected(path, `no ${what}`);
  all.splice(index + 1, 0, ...lines);
  return all.join('\n');
}

/** Whether a JSON or YAML file still parses after its edit. */
function syntaxProblem(path: string, content: string): string | undefined {
  try {
    if (path.endsWith('.json')) JSON.parse(content);
    else if (/\.ya?ml$/.test(path)) return parseAllDocuments(content).flatMap((doc) => doc.errors)[0]?.message;
  } catch (error) {
    return errorText(error);
  }
  return undefined;
}

const quotedKey = (id: string) => (/^[a-z][a-z0-9]*$/.test(id) ? id : `'${id}'`);
const existing = (): SystemDescriptor[] => Object.values(SYSTEMS);
const mentionsAnySystem = (line: string, spell: (id: string) => string) => existing().some(({ id }) => line.includes(spell(id)));

/** The policy with the new system's category: its field, its record type as personal, granted to the development officer. */
function withPolicyCategory(path: string, text: string, system: NewSystem): { text: string; grantedBy: string[] } {
  const policy = JSON.parse(text) as { categories: Record<string, unknown>; rules: { id: string; agencies: string[]; purposes: string[]; categories: string[] }[] };
  const categories = Object.keys(policy.categories);
  if (categories.includes(system.kebab)) throw new NewSystemError('NAME_REFUSED', `${path} has a category ${system.kebab} already`);
  let next = text.replace(/("personalTypes": \[[^\]]*?)(\s*\])/, (_, items: string, end: string) => `${items}, "${system.pascal}Record"${end}`);
  const categoriesAt = next.search(/^ {2}"categories": \{$/m);
  const categoriesEnd = categoriesAt === -1 ? -1 : next.indexOf('\n  }', categoriesAt);
  if (next === text || categoriesEnd === -1) throw notAsExpected(path, 'no "personalTypes" array or top-level "categories" object');
  const category = `,\n    "${system.kebab}": {\n      "description": "The citizen's record in the ${system.kebab} system (scaffolded by npm run new-system: say what it holds).",\n      "fields": ["Citizen.${system.camel}Record"]\n    }`;
  next = next.slice(0, categoriesEnd) + category + next.slice(categoriesEnd);
  // Granted, until someone decides who needs it, by the rule of the development officer and the subgraph
  // tests' caller (land-registration: lib/devkit/dev-credentials.ts, test/support/subgraph-harness.ts).
  const grantedBy = policy.rules.filter((rule) => rule.agencies.includes(DEV_OFFICER_AGENCY) && rule.purposes.includes(EXAMPLE_PURPOSE.code)).map((rule) => rule.id);
  for (const id of grantedBy) {
    const ruleAt = next.indexOf(`"id": "${id}"`);
    const listAt = next.indexOf('"categories": [', ruleAt);
    const listEnd = next.indexOf(']', listAt);
    next = `${next.slice(0, listEnd)}, "${system.kebab}"${next.slice(listEnd)}`;
  }
  return { text: next, grantedBy };
}

/** Every registry file the four systems are in, with the new system added. */
export function registryEdits(system: NewSystem, root: string = ROOT): { files: PlannedFile[]; grantedBy: string[] } {
  const files: PlannedFile[] = [];
  const read = (path: string) => readFileSync(join(root, path), 'utf8');
  const edit = (path: string, change: (text: string) => string) => {
    const content = change(read(path));
    const problem = syntaxProblem(path, content);
    if (problem) throw notAsExpected(path, `the edit would leave it invalid (${problem})`);
    files.push({ path, content });
  };
  const { kebab, camel, pascal, prefix, title, subgraphPort, backendPort } = system;
  const key = quotedKey(kebab);
  const model = SYSTEMS[MODEL_SYSTEM];

  edit('lib/runtime/systems.ts', (text) => {
    const union = text.replace(/^(export type SystemId = [^;]+);/m, `$1 | '${kebab}';`);
    if (union === text) throw notAsExpected('lib/runtime/systems.ts', 'no `export type SystemId = …;` line');
    return beforeMarker(
      'lib/runtime/systems.ts',
      union,
      [
        `  ${key}: {`,
        `    id: '${kebab}',`,
        `    name: '${title} database (scaffolded by npm run new-system: its official name)',`,
        '    // No published act read names its owner yet: add the agency (lib/domain/agencies.ts) once one does.',
        '    ownerIds: [],',
        `    subgraphPort: ${subgraphPort},`,
        `    backendPort: ${backendPort},`,
        `    envPrefix: '${prefix}',`,
        '    backendCacheEntries: 0,',
        '  },',
        '',
      ].join('\n'),
    );
  });
  edit('subgraphs/index.ts', (text) =>
    beforeMarker(
      'subgraphs/index.ts',
      afterLastImport('subgraphs/index.ts', text, `import { ${camel}Subgraph } from './${kebab}/index.ts';`),
      `  ${key}: ${camel}Subgraph as unknown as AnySubgraph,\n`,
    ),
  );
  edit('lib/devkit/mock-backends.ts', (text) =>
    beforeMarker(
      'lib/devkit/mock-backends.ts',
      afterLastImport('lib/devkit/mock-backends.ts', text, `import { ${camel}Handlers } from '../../subgraphs/${kebab}/mock/handlers.ts';`),
      `  ${key}: () => ${camel}Handlers(),\n`,
    ),
  );
  edit('codegen.ts', (text) =>
    beforeMarker(
      'codegen.ts',
      text,
      [
        `    'subgraphs/${kebab}/generated/resolvers.ts': subgraphResolvers('subgraphs/${kebab}/schema.graphql', '../adapter/loaders.ts#${pascal}Context', {`,
        "      Citizen: '../../../lib/domain/references.ts#CitizenRef',",
        `      ${pascal}Record: '../adapter/mapping.ts#${pascal}RecordModel',`,
        '    }),',
        '',
      ].join('\n'),
    ),
  );
  edit('gateway/connections.graphql', (text) => {
    const enumAt = text.indexOf('\nenum System {');
    const end = enumAt === -1 ? -1 : text.indexOf('\n}', enumAt);
    if (end === -1) throw notAsExpected('gateway/connections.graphql', 'no `enum System { … }`');
    return `${text.slice(0, end)}\n  "${title} database (scaffolded by npm run new-system)."\n  ${prefix}${text.slice(end)}`;
  });
  edit('schema/subgraphs.json', (text) =>
    afterLastLine(
      'schema/subgraphs.json',
      text,
      (line) => mentionsAnySystem(line, (id) => `"name": "${id}"`),
      [`    { "name": "${kebab}", "schema": "subgraphs/${kebab}/schema.graphql", "routingUrl": "http://127.0.0.1:${subgraphPort}/graphql" },`],
      'subgraph entry of a system',
    ),
  );
  let grantedBy: string[] = [];
  edit('policy/access-policy.json', (text) => {
    const result = withPolicyCategory('policy/access-policy.json', text, system);
    grantedBy = result.grantedBy;
    return result.text;
  });
  edit('package.json', (text) => {
    const subgraph = afterLastLine(
      'package.json',
      text,
      (line) => mentionsAnySystem(line, (id) => `"start:${id}":`),
      [`    "start:${kebab}": "node ${SERVICE_HEAP_OPTIONS.join(' ')} --import tsx/esm --import ./scripts/dev-environment.ts subgraphs/${kebab}/main.ts",`],
      '"start:<system>" script',
    );
    return afterLastLine(
      'package.json',
      subgraph,
      (line) => mentionsAnySystem(line, (id) => `"start:mock-${id}":`),
      [`    "start:mock-${kebab}": "node --import tsx/esm subgraphs/${kebab}/mock/main.ts",`],
      '"start:mock-<system>" script',
    );
  });
  edit('tsconfig.build.json', (text) => {
    const subgraph = afterLastLine(
      'tsconfig.build.json',
      text,
      (line) => mentionsAnySystem(line, (id) => `"subgraphs/${id}/main.ts"`),
      [`    "subgraphs/${kebab}/main.ts",`],
      'subgraph entry file',
    );
    return afterLastLine(
      'tsconfig.build.json',
      subgraph,
      (line) => mentionsAnySystem(line, (id) => `"subgraphs/${id}/mock/main.ts"`),
      [`    "subgraphs/${kebab}/mock/main.ts",`],
      'mock backend entry file',
    );
  });
  edit('README.md', (text) => {
    const subgraph = afterLastLine(
      'README.md',
      text,
      (line) => existing().some(({ id }) => line.startsWith(`| ${id} subgraph | `)),
      [`| ${kebab} subgraph | ${subgraphPort} | \`start:${kebab}\` | ${title} database (scaffolded by \`npm run new-system\`: name it and its ministry) |`],
      'row of a subgraph in the table of processes',
    );
    return afterLastLine(
      'README.md',
      subgraph,
      (line) => existing().some(({ id }) => line.startsWith(`| mock ${id} backend | `)),
      [`| mock ${kebab} backend | ${backendPort} | \`start:mock-${kebab}\` | |`],
      'row of a mock backend in the table of processes',
    );
  });

  const tokens = (s: { id: string; envPrefix: string; subgraphPort: number; backendPort: number }): SystemTokens => ({
    id: s.id,
    prefix: s.envPrefix,
    subgraphPort: s.subgraphPort,
    backendPort: s.backendPort,
  });
  const fresh = tokens({ id: kebab, envPrefix: prefix, subgraphPort, backendPort });
  for (const path of DEPLOYMENT_FILES) {
    edit(path, (text) => {
      const next = cloneSystemEntries(text, { model: tokens(model), existing: existing().map(tokens), fresh });
      if (next === text) throw notAsExpected(path, `no entry of the ${MODEL_SYSTEM} system to copy`);
      return next;
    });
  }
  return { files, grantedBy };
}

async function formatted(file: PlannedFile, root: string): Promise<PlannedFile> {
  const path = join(root, file.path);
  const { ignored, inferredParser } = await prettier.getFileInfo(path, { ignorePath: join(root, '.prettierignore') });
  if (ignored || !inferredParser) return file;
  const options = await prettier.resolveConfig(path);
  return { ...file, content: await prettier.format(file.content, { ...options, filepath: path }) };
}

function run(root: string, args: string[]): void {
  const result = spawnSync('npm', ['run', '--silent', ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new NewSystemError('STEP_FAILED', `npm run ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
}

function nextSteps(system: NewSystem, grantedBy: string[]): string[] {
  return [
    `Replace the scaffold's record (subgraphs/${system.kebab}/schema.graphql, adapter/wire.ts, adapter/CONTRACT.md, mock/handlers.ts) with the backend's real contract, then \`npm run compose && npm run codegen\`.`,
    `Name the database and its owning agency: lib/runtime/systems.ts (name, ownerIds), gateway/connections.graphql (the ${system.prefix} value of System) and the README's table of processes.`,
    grantedBy.length > 0
      ? `policy/access-policy.json: category "${system.kebab}" is granted by ${grantedBy.join(', ')}, the development officer's rule, so that the scaffold's tests and npm start can read it. Decide which agencies and purposes need it, on what legal basis, and grant it there instead.`
      : `policy/access-policy.json: no rule grants category "${system.kebab}" yet: add the agencies, purposes and legal basis that need it.`,
    `Run its tests: npx vitest run subgraphs/${system.kebab}/, then npm test (the tests that span every system read them from lib/runtime/systems.ts). Describe it in the README's prose where the systems are named.`,
    `Start it alone: npm run start:mock-${system.kebab} & npm run start:${system.kebab}; or everything with npm start.`,
  ];
}

export async function generate(name: string | undefined, options: { dryRun?: boolean; root?: string; log?: (line: string) => void } = {}): Promise<NewSystem> {
  const root = options.root ?? ROOT;
  const log = options.log ?? console.log;
  const problem = nameProblem(name, root);
  if (problem || !name) throw new NewSystemError('NAME_REFUSED', `new-system: ${problem}`);
  const system = newSystem(name);
  // Every change is worked out before anything is written: a registry not as expected stops it with the tree untouched.
  const created = subgraphFiles(system);
  const { files: changed, grantedBy } = registryEdits(system, root);
  log(
    `${options.dryRun ? 'Would scaffold' : 'Scaffolding'} the ${system.kebab} system: subgraph on port ${system.subgraphPort}, mock backend on ${system.backendPort}, settings ${system.prefix}_*.`,
  );
  if (options.dryRun) {
    for (const file of created) log(`  would create ${file.path}`);
    for (const file of changed) log(`  would change ${file.path}`);
    return system;
  }
  for (const file of [...created, ...changed]) {
    const { path, content } = await formatted(file, root);
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  log('Created:');
  for (const file of created) log(`  ${file.path}`);
  log('Changed:');
  for (const file of changed) log(`  ${file.path}`);
  log('Composing the supergraph, generating the resolver types and the README settings table:');
  run(root, ['compose']);
  run(root, ['codegen']);
  run(root, ['docs:settings']);
  log(`  schema/supergraph.graphql, subgraphs/${system.kebab}/generated/resolvers.ts, gateway/generated/connections.ts, README.md (settings table)`);
  log('Next steps:');
  for (const [index, step] of nextSteps(system, grantedBy).entries()) log(`  ${index + 1}. ${step}`);
  return system;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const dryRun = args.includes('--dry-run');
  const names = args.filter((arg) => arg !== '--dry-run');
  try {
    if (names.length > 1) throw new NewSystemError('NAME_REFUSED', `new-system: one name at a time, not ${names.join(' ')}`);
    await generate(names[0], { dryRun });
  } catch (error) {
    if (!(error instanceof NewSystemError)) throw error;
    console.error(`${error.message} (${error.code})`);
    process.exitCode = error.code === 'NAME_REFUSED' ? 2 : 1;
  }
}

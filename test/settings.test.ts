import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { configurationTable, ENVIRONMENT_VARIABLES } from '../lib/runtime/environment.ts';
import { PROCESSES } from '../lib/runtime/process-settings.ts';
import { DECLARED_SETTINGS, kinds, parseSettings, setting, SettingsError, settingsReadBy } from '../lib/runtime/settings.ts';
import { TABLE_BEGIN, TABLE_END, withConfigurationTable } from '../scripts/docs-settings.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
/** The only module that reads the environment's variables. */
const SETTINGS_MODULE = 'lib/runtime/settings.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** `process.env`, or a value named `env` / `…Env` (an environment passed down, e.g. `childEnv`, `dev.env`). */
function isEnvironment(node: ts.Expression): boolean {
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'process' && node.name.text === 'env') return true;
  const name = ts.isIdentifier(node) ? node.text : ts.isPropertyAccessExpression(node) ? node.name.text : undefined;
  return name !== undefined && /^env$|Env$/.test(name);
}

/** Variables of the system, not settings, that a process hands on to a child it spawns. */
const PASSED_THROUGH = new Set(['PATH']);

/** Assigned to or deleted: building an environment for a child process, not reading a setting. */
function isWritten(node: ts.Node): boolean {
  const parent = node.parent;
  if (ts.isDeleteExpression(parent)) return true;
  return (
    ts.isBinaryExpression(parent) && parent.left === node && parent.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && parent.operatorToken.kind <= ts.SyntaxKind.LastAssignment
  );
}

/** Every read of one variable of an environment (`env.X`, `env[x]`, `const { X } = env`) in a source text, as `line: text`. */
function environmentReads(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const reads: string[] = [];
  const visit = (node: ts.Node): void => {
    const read =
      ((ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) &&
        isEnvironment(node.expression) &&
        !isWritten(node) &&
        !(ts.isPropertyAccessExpression(node) && PASSED_THROUGH.has(node.name.text))) ||
      (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name) && node.initializer !== undefined && isEnvironment(node.initializer));
    if (read) reads.push(`${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText()}`);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return reads;
}

describe('settings (lib/runtime/settings.ts)', () => {
  it('are read from the environment in lib/runtime/settings.ts only: every process takes them from its parsed schema', () => {
    const files = ['lib', 'gateway', 'subgraphs', 'scripts', 'schema', 'scale'].flatMap(sourceFiles).filter((file) => file !== SETTINGS_MODULE);
    expect(files.length).toBeGreaterThan(100);
    const reads = files.flatMap((file) => environmentReads(file, readFileSync(join(root, file), 'utf8')).map((read) => `${file}:${read}`));
    expect(reads).toEqual([]);
  });

  it('the check above finds reads, and lets an environment be built for a child process', () => {
    const text = [
      'const level = process.env.LOG_LEVEL;',
      'const port = childEnv[`${prefix}_PORT`];',
      'const { HOST } = process.env;',
      'const key = dev.env.ACCESS_LOG_KEY;',
      "childEnv.GATEWAY_PORT = '4000';",
      'childEnv[`${prefix}_URL`] ??= url;',
      'delete portEnv.LAND_BACKEND_URL;',
      "spawn('node', [], { env: { ...process.env, LOG_LEVEL: 'warn' } });",
      "spawn('initdb', [], { env: { PATH: process.env.PATH } });",
    ].join('\n');
    expect(environmentReads('fixture.ts', text)).toEqual(['1: process.env.LOG_LEVEL', '2: childEnv[`${prefix}_PORT`]', '3: { HOST } = process.env', '4: dev.env.ACCESS_LOG_KEY']);
  });

  it('are each read by some process, under a name no other setting has', () => {
    const read = new Set(PROCESSES.flatMap(({ settings }) => settingsReadBy(settings)));
    expect(DECLARED_SETTINGS.filter((declared) => !read.has(declared)).map((declared) => declared.name)).toEqual([]);
    const names = DECLARED_SETTINGS.map((declared) => declared.name);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    expect(ENVIRONMENT_VARIABLES.map((v) => v.name)).toEqual(names);
  });

  it("are the README's configuration table, as npm run docs:settings prints it", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain(`${TABLE_BEGIN}\n${configurationTable()}\n${TABLE_END}`);
    expect(withConfigurationTable(readme)).toBe(readme);
    for (const { name } of ENVIRONMENT_VARIABLES) expect(configurationTable()).toContain(`| \`${name}\` |`);
  });

  it('parse to typed values with their defaults, an empty variable counting as unset', () => {
    const port = setting('TEST_PORT', { kind: kinds.port(), default: { value: 4000 }, description: 'A port.' });
    const origins = setting('TEST_ORIGINS', { kind: kinds.list(kinds.url(['https'], 'https://a.example')), default: { value: [] }, description: 'Origins.' });
    const flag = setting('TEST_FLAG', { kind: kinds.flag(), default: { value: false }, description: 'A flag.' });
    const derived = setting('TEST_URL', {
      kind: kinds.url(['http'], 'http://h:1'),
      default: { shown: 'loopback at TEST_PORT', compute: (read) => `http://127.0.0.1:${read(port)}` },
      description: 'A URL.',
    });
    const schema = { port, group: { origins, flag }, derived };
    expect(parseSettings(schema, {})).toEqual({ port: 4000, group: { origins: [], flag: false }, derived: 'http://127.0.0.1:4000' });
    expect(parseSettings(schema, { TEST_PORT: ' 5001 ', TEST_ORIGINS: 'https://a.example, https://b.example,', TEST_FLAG: 'TRUE', TEST_URL: '' })).toEqual({
      port: 5001,
      group: { origins: ['https://a.example', 'https://b.example'], flag: true },
      derived: 'http://127.0.0.1:5001',
    });
    expect(() => parseSettings(schema, { TEST_PORT: '70000', TEST_ORIGINS: 'http://a.example', TEST_FLAG: 'yes' })).toThrow(
      new SettingsError([
        { name: 'TEST_PORT', received: '"70000"', expected: 'a port from 0 to 65535' },
        { name: 'TEST_ORIGINS', received: '"http://a.example"', expected: 'a comma-separated list, each an https URL, e.g. https://a.example' },
        { name: 'TEST_FLAG', received: '"yes"', expected: 'true or false' },
      ]),
    );
  });
});

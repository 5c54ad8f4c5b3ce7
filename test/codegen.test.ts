import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import config from '../codegen.ts';
import { readReadmeExamples } from './support/readme-examples.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * The generated types are committed: the type check reads them. This runs the generator in memory
 * with codegen.ts and fails, naming the file, when a committed one differs from what the SDL (or the
 * supergraph, or the example's operation) gives now.
 */
describe('generated types (npm run codegen)', () => {
  it('every committed generated file is what the generator makes of the current SDL', async () => {
    // `generate` is typed `any` when it might watch; without watching it gives the files it would write.
    const outputs: { filename: string; content: string }[] = await generate({ ...config, cwd: ROOT, silent: true }, false);
    expect(outputs.length).toBeGreaterThanOrEqual(Object.keys(config.generates).length);
    const stale = outputs.flatMap(({ filename, content }) => {
      const path = resolve(ROOT, filename);
      const committed = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
      return committed === content ? [] : [`${relative(ROOT, path)}: ${committed === undefined ? 'missing' : 'differs from the generator'}`];
    });
    expect(stale, 'generated files are stale: run `npm run codegen` and commit the result').toEqual([]);
  }, 60_000);

  it("the typed client example's operation is the README's portal example", () => {
    const portal = readReadmeExamples().find((e) => e.name === 'portal');
    const example = readFileSync(new URL('../examples/portal-client/portal-prefill.graphql', import.meta.url), 'utf8');
    expect(print(parse(example))).toBe(print(parse(portal!.query)));
  });
});

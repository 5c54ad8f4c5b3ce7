import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { parse, print } from 'graphql';
import { describe, expect, expectTypeOf, it } from 'vitest';
import config from '../codegen.ts';
import * as accessLogSdl from '../gateway/generated/access-log.ts';
import * as connectionsSdl from '../gateway/generated/connections.ts';
import { ACCESS_OUTCOMES, type AccessOutcome } from '../lib/access-log/types.ts';
import type { Region } from '../lib/domain/administrative-units.ts';
import type { DigitizationStatus } from '../lib/backend/digitization.ts';
import type { AsOfBasis } from '../lib/backend/facts.ts';
import type { IdCardKind } from '../lib/domain/id-card.ts';
import { LAND_USE_TYPES, type LandUseType } from '../lib/domain/land-use.ts';
import { LIVE_STATUSES, type LiveStatus } from '../lib/runtime/live-status.ts';
import type { partialDatePrecision } from '../lib/domain/partial-date.ts';
import type { Sex } from '../lib/domain/personal-id.ts';
import type { CircuitStateName } from '../lib/runtime/resilience.ts';
import type { LifeStatus, Relationship, VneidLevel } from '../lib/domain/synthetic/types.ts';
import type * as civilStatusSdl from '../subgraphs/civil-status/generated/resolvers.ts';
import * as landSdl from '../subgraphs/land/generated/resolvers.ts';
import type * as populationSdl from '../subgraphs/population/generated/resolvers.ts';
import type * as publicServicesSdl from '../subgraphs/public-services/generated/resolvers.ts';
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

  /**
   * The shared code (lib/) serves the mocks and several subgraphs, so it keeps its own names for
   * values an SDL enum also lists; these must be exactly the SDL's. The type assertions are checked
   * by `tsc -p .`; the lists also at run time, where their order is the code's own.
   */
  it("the shared code's enum types and lists are the SDL's", () => {
    expectTypeOf<Sex>().toEqualTypeOf<populationSdl.Sex>();
    expectTypeOf<IdCardKind>().toEqualTypeOf<populationSdl.IdCardKind>();
    expectTypeOf<LifeStatus>().toEqualTypeOf<populationSdl.LifeStatus>();
    expectTypeOf<Relationship>().toEqualTypeOf<populationSdl.HouseholdRelationship>();
    expectTypeOf<VneidLevel>().toEqualTypeOf<populationSdl.VneidLevel>();
    expectTypeOf<ReturnType<typeof partialDatePrecision>>().toEqualTypeOf<populationSdl.DatePrecision>();
    expectTypeOf<DigitizationStatus>().toEqualTypeOf<civilStatusSdl.DigitizationStatus>();
    expectTypeOf<DigitizationStatus>().toEqualTypeOf<landSdl.DigitizationStatus>();
    expectTypeOf<LandUseType>().toEqualTypeOf<landSdl.LandUseType>();
    expectTypeOf<Region>().toEqualTypeOf<publicServicesSdl.Region>();
    expectTypeOf<AsOfBasis>().toEqualTypeOf<publicServicesSdl.AsOfBasis>();
    expectTypeOf<LiveStatus>().toEqualTypeOf<connectionsSdl.LiveStatus>();
    expectTypeOf<CircuitStateName>().toEqualTypeOf<connectionsSdl.CircuitState>();
    expectTypeOf<AccessOutcome>().toEqualTypeOf<accessLogSdl.AccessOutcome>();
    const sorted = (values: readonly string[]) => [...values].sort();
    expect(sorted(LAND_USE_TYPES)).toEqual(sorted(Object.values(landSdl.LandUseType)));
    expect(sorted(LIVE_STATUSES)).toEqual(sorted(Object.values(connectionsSdl.LiveStatus)));
    expect(sorted(ACCESS_OUTCOMES)).toEqual(sorted(Object.values(accessLogSdl.AccessOutcome)));
  });
});

/**
 * The import boundaries of the repository (README: Repository layout), checked by dependency-cruiser
 * in the test run (test/boundaries.integration.test.ts): `npx depcruise --config .dependency-cruiser.cjs lib gateway
 * subgraphs scripts scale schema test`.
 *
 * Production code is what a deployed service runs: gateway/, the subgraphs (not their mock backends),
 * the domain, runtime and backend layers of lib/, lib/access, lib/access-log, and the one-shot tools
 * the image runs in production (connection test, access-log verification, health check). It never
 * imports the development kit (lib/devkit), the development scripts, the tests or a devDependency.
 */
const TESTS = '\\.test\\.ts$';
const PRODUCTION = ['^gateway/', '^subgraphs/', '^lib/(domain|runtime|backend|access|access-log)/', '^scripts/(check-connections|audit-verify|health-check)\\.ts$'];
const NOT_PRODUCTION = [TESTS, '^subgraphs/[^/]+/mock/'];

module.exports = {
  forbidden: [
    {
      name: 'production-imports-no-development-code',
      comment: 'Production code never imports the development kit, the scripts or the tests.',
      severity: 'error',
      from: { path: PRODUCTION, pathNot: NOT_PRODUCTION },
      to: { path: ['^lib/devkit/', '^scripts/', '^scale/', '^test/'] },
    },
    {
      name: 'production-imports-no-dev-dependency',
      comment: 'The image installs production dependencies only (npm ci --omit=dev).',
      severity: 'error',
      from: { path: PRODUCTION, pathNot: NOT_PRODUCTION },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'domain-imports-only-domain',
      comment: 'The domain (units, agencies, ids, dates, sources, the synthetic population) knows no runtime, backend or tooling.',
      severity: 'error',
      from: { path: '^lib/domain/', pathNot: TESTS },
      to: { path: '^(lib|gateway|subgraphs|scripts|scale|schema|test)/', pathNot: '^lib/domain/' },
    },
    {
      name: 'only-tests-import-tests',
      comment: 'test/ is imported by tests only; what scripts share with tests lives in lib/devkit.',
      severity: 'error',
      from: { pathNot: ['^test/', TESTS] },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular',
      comment:
        'No module imports itself through others at run time. A cycle with a type-only import in it is erased by the compiler: ' +
        "the generated resolver types import the adapters' models (codegen mappers) that use the generated enums.",
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-undeclared-package',
      comment: 'Every package imported is declared in package.json.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-unresolvable',
      comment: 'Every import resolves to a file or a package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};

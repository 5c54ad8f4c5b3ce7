/** The throwaway PostgreSQL 15 server lives in scale/postgres.ts, where `npm run start:scaled` uses it too. */
export { childrenOf, startPostgres, type ThrowawayPostgres as TestPostgres } from '../../scale/postgres.ts';

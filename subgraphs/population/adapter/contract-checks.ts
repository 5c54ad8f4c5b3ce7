import { batchGetCheck, healthCheck, type ContractCheck } from '../../../lib/backend/connection-test.ts';
import { citizensBatchResponse, householdsBatchResponse } from './wire.ts';

/**
 * The connection test of the population backend (CONTRACT.md, "Connection test"): health, then one
 * read of each batch endpoint with one sample key. The identity check `POST /v1/citizens/verify` is
 * never called: it may be audited or rate-limited per attempt.
 */
export const populationContractChecks: readonly ContractCheck[] = [
  healthCheck,
  batchGetCheck({
    path: '/v1/citizens/batch-get',
    keys: 'personalIds',
    sampleKey: '001085012345',
    expectation: 'HTTP 200 application/json {citizens, notFound}, each citizen as the contract describes it; the personal ID asked for in exactly one of the two',
    schema: citizensBatchResponse,
    answered: (answer) => answer.citizens.map((c) => c.personalId),
  }),
  batchGetCheck({
    path: '/v1/households/batch-get',
    keys: 'householdIds',
    sampleKey: 'HO-001-CGDVH-000042',
    expectation: 'HTTP 200 application/json {households, notFound}, each household as the contract describes it; the household ID asked for in exactly one of the two',
    schema: householdsBatchResponse,
    answered: (answer) => answer.households.map((h) => h.householdId),
  }),
];

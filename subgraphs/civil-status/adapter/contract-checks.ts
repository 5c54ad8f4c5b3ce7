import { batchGetCheck, healthCheck, type ContractCheck } from '../../../lib/backend/connection-test.ts';
import { civilStatusBatchResponse, digitizationBatchResponse } from './wire.ts';

/**
 * The connection test of the civil-status backend (CONTRACT.md, "Connection test"): health, then one
 * read of each batch endpoint with one sample key.
 */
export const civilStatusContractChecks: readonly ContractCheck[] = [
  healthCheck,
  batchGetCheck({
    path: '/v1/civil-status/batch-get',
    keys: 'personalIds',
    sampleKey: '001085012345',
    expectation: 'HTTP 200 application/json {records, notFound}, each record as the contract describes it; the personal ID asked for in exactly one of the two',
    schema: civilStatusBatchResponse,
    answered: (answer) => answer.records.map((r) => r.personalId),
  }),
  batchGetCheck({
    path: '/v1/digitization/provinces/batch-get',
    keys: 'provinceCodes',
    sampleKey: '001',
    expectation: 'HTTP 200 application/json {provinces, sources, notFound}, every cited source in sources; the province code asked for in exactly one of provinces and notFound',
    schema: digitizationBatchResponse,
    answered: (answer) => answer.provinces.map((p) => p.provinceCode),
  }),
];

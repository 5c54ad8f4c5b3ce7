import { batchGetCheck, healthCheck, type ContractCheck } from '../../../lib/backend/connection-test.ts';
import { socialInsuranceBatchResponse } from './wire.ts';

/** The connection test of the social-insurance backend (CONTRACT.md, "Connection test"): health, then one read with one sample key. */
export const socialInsuranceContractChecks: readonly ContractCheck[] = [
  healthCheck,
  batchGetCheck({
    path: '/v1/social-insurance/batch-get',
    keys: 'personalIds',
    sampleKey: '001085012345',
    expectation: 'HTTP 200 application/json {records, notFound}, each record as the contract describes it; the personal ID asked for in exactly one of the two',
    schema: socialInsuranceBatchResponse,
    answered: (answer) => answer.records.map((r) => r.personalId),
  }),
];

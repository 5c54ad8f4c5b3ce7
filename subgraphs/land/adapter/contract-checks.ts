import { batchGetCheck, healthCheck, type ContractCheck } from '../../../lib/backend/connection-test.ts';
import { digitizationBatchResponse, holdingsResponse, parcelsBatchResponse } from './wire.ts';

/**
 * The connection test of the land backend (CONTRACT.md, "Connection test"): health, then one read of
 * each batch endpoint with one sample key.
 */
export const landContractChecks: readonly ContractCheck[] = [
  healthCheck,
  batchGetCheck({
    path: '/v1/parcels/by-holders',
    keys: 'personalIds',
    sampleKey: '001085012345',
    expectation: 'HTTP 200 application/json {holdings, notFound}, each parcel as the contract describes it; the personal ID asked for in exactly one of the two',
    schema: holdingsResponse,
    answered: (answer) => answer.holdings.map((h) => h.personalId),
  }),
  batchGetCheck({
    path: '/v1/parcels/batch-get',
    keys: 'parcelIds',
    sampleKey: 'TD-001-CG-0012-0345',
    expectation: 'HTTP 200 application/json {parcels, notFound}, each parcel as the contract describes it; the parcel ID asked for in exactly one of the two',
    schema: parcelsBatchResponse,
    answered: (answer) => answer.parcels.map((p) => p.parcelId),
  }),
  batchGetCheck({
    path: '/v1/digitization/provinces/batch-get',
    keys: 'provinceCodes',
    sampleKey: '001',
    expectation: 'HTTP 200 application/json {provinces, sources}, every cited source in sources; at most the province code asked for, once (no notFound)',
    schema: digitizationBatchResponse,
    answered: (answer) => answer.provinces.map((p) => p.provinceCode),
  }),
];

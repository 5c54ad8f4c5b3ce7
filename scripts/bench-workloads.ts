/**
 * The GraphQL workloads the benchmarks drive (`npm run bench`, `npm run bench:access`), in one place
 * so that their figures stay comparable.
 */
import { encodePersonalId } from '../lib/domain/personal-id.ts';
import { NAMED_IDS } from '../lib/domain/synthetic/named.ts';

/**
 * The development officer of `npm start` (.dev/) asking for a land transfer: the headers of every
 * personal request the benchmarks send. `caseNumber` tells the benchmarks' records apart in the access log.
 */
export function landOfficerHeaders(apiKey: string, caseNumber = 'BENCH-1'): Record<string, string> {
  return { 'x-api-key': apiKey, 'x-purpose-code': 'land-transfer', 'x-case-number': caseNumber };
}

/** The portal query: population + civil status + land + a province name, for one citizen. */
export const PORTAL = `query($id: ID!) { citizen(personalId: $id) { fullName dateOfBirth { text }
  permanentResidence { fullAddress province { name } } household { members { relationship citizen { fullName } } }
  birthRegistration { registrationNumber } maritalStatus marriages { registrationNumber }
  landParcels { parcelId area rightHolders { share citizen { fullName } } } } }`;
/** The named household head: five members, a co-owned parcel. */
export const PORTAL_VARIABLES = { id: NAMED_IDS.head };

/** 50 citizens with birth registration and parcels: one call per backend. */
export const BATCH = `query($ids: [ID!]!) { citizens(personalIds: $ids) { fullName birthRegistration { registrationNumber } landParcels { parcelId area } } }`;
export const BATCH_VARIABLES = {
  ids: Array.from({ length: 50 }, (_, i) => encodePersonalId('079', i % 2 ? 'FEMALE' : 'MALE', 1950 + i, 4242 + i * 131)),
};

/**
 * Public data from three subgraphs (`npm run bench:compare`): the 63 provinces (public-services) with
 * their civil-status (civil-status) and land (land) digitisation. No credential needed, so a gateway
 * without this project's access control can answer it.
 */
export const PUBLIC_CROSS_SUBGRAPH = '{ provinces(at: "2024-09-30") { code name civilStatusDigitization { status } landDigitization { status } } }';

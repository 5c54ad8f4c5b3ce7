/**
 * What a portal writes to prefill a land-transfer form from one query: the README's PortalPrefill
 * operation (portal-prefill.graphql), typed by GraphQL Code Generator's client preset from the graph
 * the gateway serves (generated/, `npm run codegen`), sent with `fetch` and the officer's credential
 * and purpose. A field the graph does not have, or a misspelt one, fails the type check, not the form.
 */
import { print } from 'graphql';
import { PortalPrefillDocument, type PortalPrefillQuery, type PortalPrefillQueryVariables } from './generated/graphql.ts';

/** Who asks and why: every request for personal data carries both (README, "Credentials and purpose"). */
export interface PortalCaller {
  /** `Authorization: Bearer <JWT>` from the agency's identity provider, or an `x-api-key` for a machine caller. */
  credential: { bearer: string } | { apiKey: string };
  /** The administrative procedure (`x-purpose-code`), e.g. `land-transfer`. */
  purposeCode: string;
  /** The case the data is used on (`x-case-number`), e.g. `HS-2026-0001`. */
  caseNumber: string;
}

/** A GraphQL answer: data where the graph answered, and an error for each part it could not. */
export interface PortalAnswer<TData> {
  data?: TData | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; system?: string } }[];
}

export async function fetchPortalPrefill(graphqlUrl: string, caller: PortalCaller, variables: PortalPrefillQueryVariables): Promise<PortalAnswer<PortalPrefillQuery>> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...('bearer' in caller.credential ? { authorization: `Bearer ${caller.credential.bearer}` } : { 'x-api-key': caller.credential.apiKey }),
      'x-purpose-code': caller.purposeCode,
      'x-case-number': caller.caseNumber,
    },
    body: JSON.stringify({ query: print(PortalPrefillDocument), operationName: 'PortalPrefill', variables }),
  });
  if (!response.ok && !response.headers.get('content-type')?.includes('json')) {
    throw new Error(`the gateway answered HTTP ${response.status}`);
  }
  return (await response.json()) as PortalAnswer<PortalPrefillQuery>;
}

/** The fields of a land-transfer form, as far as the graph knows them; null where it does not. */
export interface LandTransferForm {
  personalId: string;
  fullName: string | null;
  dateOfBirth: string | null;
  address: string | null;
  spouse: { personalId: string; fullName: string | null } | null;
  parcels: { parcelId: string; areaSquareMetres: number; coOwners: string[] }[];
}

export function landTransferForm(citizen: NonNullable<PortalPrefillQuery['citizen']>): LandTransferForm {
  const marriage = citizen.marriages?.[0];
  return {
    personalId: citizen.personalId,
    fullName: citizen.fullName ?? null,
    dateOfBirth: citizen.dateOfBirth?.text ?? null,
    address: citizen.permanentResidence?.fullAddress ?? null,
    spouse: marriage?.spouse ? { personalId: marriage.spouse.personalId, fullName: marriage.spouse.fullName ?? null } : null,
    parcels: (citizen.landParcels ?? []).map((parcel) => ({
      parcelId: parcel.parcelId,
      areaSquareMetres: parcel.area,
      coOwners: parcel.rightHolders.flatMap((holder) => (holder.citizen && holder.citizen.personalId !== citizen.personalId ? [holder.citizen.personalId] : [])),
    })),
  };
}

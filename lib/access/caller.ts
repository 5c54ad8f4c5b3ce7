/**
 * Who is calling the graph, once their credential has been verified: the facts X-Road carries in
 * its client, user-id and issue headers (calling organisation, end user, case), plus the purpose
 * that Vietnam's personal-data rules require for every use.
 */

/** An officer of an agency, acting for an administrative procedure on one case. */
export interface OfficerCaller {
  kind: 'officer';
  /** Code of the calling agency in the agency registry (e.g. `BTP`, `HN`). */
  agency: string;
  /** The officer's identifier at that agency (the token's `sub`, or the API key's officer). */
  officer: string;
  /** Roles granted by the credential, e.g. `auditor`. */
  roles: string[];
  /** Administrative-procedure code the data is used for (`x-purpose-code`); null when not sent. */
  purpose: string | null;
  /** Case (dossier) number the data is used on (`x-case-number`); null when not sent. */
  caseNumber: string | null;
  /** Who vouched for the caller: the token's issuer, or `api-key`. */
  issuer: string;
}

/** A citizen signed in through an identity provider trusted for citizens (VNeID-like). */
export interface CitizenCaller {
  kind: 'citizen';
  /** The citizen's own personal identification number (the token's `personal_id`). */
  personalId: string;
  issuer: string;
}

export type Caller = OfficerCaller | CitizenCaller;

/** An officer acting with a purpose and a case: the only caller personal data is answered for. */
export type PurposefulOfficer = OfficerCaller & { purpose: string; caseNumber: string };

export function isAuditor(caller: Caller | undefined): boolean {
  return caller?.kind === 'officer' && caller.roles.includes('auditor');
}

export function hasPurpose(caller: Caller | undefined): caller is PurposefulOfficer {
  return caller?.kind === 'officer' && caller.purpose !== null && caller.caseNumber !== null;
}

/** HTTP headers that carry the purpose of an officer's request, as X-Road carries `X-Road-Issue`. */
export const PURPOSE_HEADER = 'x-purpose-code';
export const CASE_HEADER = 'x-case-number';
/**
 * The purpose and case of the examples (README, the development officer's requests, the query page
 * in development): a land transfer, for which the access policy grants BNNMT every category.
 */
export const EXAMPLE_PURPOSE = { code: 'land-transfer', caseNumber: 'HS-2026-0001' } as const;
/** Header carrying the gateway's signed statement of the verified caller to a subgraph. */
export const CALLER_ASSERTION_HEADER = 'x-lien-thong-caller';

/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query PortalPrefill($personalId: ID!) {\n  citizen(personalId: $personalId) {\n    personalId\n    fullName\n    dateOfBirth {\n      text\n    }\n    sex\n    permanentResidence {\n      fullAddress\n      province {\n        code\n        name\n      }\n      registeredOn\n      asRegistered {\n        fullAddress\n        district\n        province {\n          id\n          name\n          validTo\n        }\n      }\n    }\n    household {\n      members {\n        relationship\n        citizen {\n          personalId\n          fullName\n          dateOfBirth {\n            text\n          }\n        }\n      }\n    }\n    birthRegistration {\n      registrationNumber\n      registeredOn {\n        text\n      }\n      registryOffice\n    }\n    maritalStatus\n    marriages {\n      registrationNumber\n      registeredOn {\n        text\n      }\n      spouse {\n        personalId\n        fullName\n      }\n    }\n    landParcels {\n      parcelId\n      area\n      landUseType\n      certificate {\n        serialNumber\n      }\n      rightHolders {\n        share\n        citizen {\n          personalId\n          fullName\n        }\n      }\n    }\n  }\n}": typeof types.PortalPrefillDocument,
};
const documents: Documents = {
    "query PortalPrefill($personalId: ID!) {\n  citizen(personalId: $personalId) {\n    personalId\n    fullName\n    dateOfBirth {\n      text\n    }\n    sex\n    permanentResidence {\n      fullAddress\n      province {\n        code\n        name\n      }\n      registeredOn\n      asRegistered {\n        fullAddress\n        district\n        province {\n          id\n          name\n          validTo\n        }\n      }\n    }\n    household {\n      members {\n        relationship\n        citizen {\n          personalId\n          fullName\n          dateOfBirth {\n            text\n          }\n        }\n      }\n    }\n    birthRegistration {\n      registrationNumber\n      registeredOn {\n        text\n      }\n      registryOffice\n    }\n    maritalStatus\n    marriages {\n      registrationNumber\n      registeredOn {\n        text\n      }\n      spouse {\n        personalId\n        fullName\n      }\n    }\n    landParcels {\n      parcelId\n      area\n      landUseType\n      certificate {\n        serialNumber\n      }\n      rightHolders {\n        share\n        citizen {\n          personalId\n          fullName\n        }\n      }\n    }\n  }\n}": types.PortalPrefillDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PortalPrefill($personalId: ID!) {\n  citizen(personalId: $personalId) {\n    personalId\n    fullName\n    dateOfBirth {\n      text\n    }\n    sex\n    permanentResidence {\n      fullAddress\n      province {\n        code\n        name\n      }\n      registeredOn\n      asRegistered {\n        fullAddress\n        district\n        province {\n          id\n          name\n          validTo\n        }\n      }\n    }\n    household {\n      members {\n        relationship\n        citizen {\n          personalId\n          fullName\n          dateOfBirth {\n            text\n          }\n        }\n      }\n    }\n    birthRegistration {\n      registrationNumber\n      registeredOn {\n        text\n      }\n      registryOffice\n    }\n    maritalStatus\n    marriages {\n      registrationNumber\n      registeredOn {\n        text\n      }\n      spouse {\n        personalId\n        fullName\n      }\n    }\n    landParcels {\n      parcelId\n      area\n      landUseType\n      certificate {\n        serialNumber\n      }\n      rightHolders {\n        share\n        citizen {\n          personalId\n          fullName\n        }\n      }\n    }\n  }\n}"): (typeof documents)["query PortalPrefill($personalId: ID!) {\n  citizen(personalId: $personalId) {\n    personalId\n    fullName\n    dateOfBirth {\n      text\n    }\n    sex\n    permanentResidence {\n      fullAddress\n      province {\n        code\n        name\n      }\n      registeredOn\n      asRegistered {\n        fullAddress\n        district\n        province {\n          id\n          name\n          validTo\n        }\n      }\n    }\n    household {\n      members {\n        relationship\n        citizen {\n          personalId\n          fullName\n          dateOfBirth {\n            text\n          }\n        }\n      }\n    }\n    birthRegistration {\n      registrationNumber\n      registeredOn {\n        text\n      }\n      registryOffice\n    }\n    maritalStatus\n    marriages {\n      registrationNumber\n      registeredOn {\n        text\n      }\n      spouse {\n        personalId\n        fullName\n      }\n    }\n    landParcels {\n      parcelId\n      area\n      landUseType\n      certificate {\n        serialNumber\n      }\n      rightHolders {\n        share\n        citizen {\n          personalId\n          fullName\n        }\n      }\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;
/** Access records as CSV (RFC 4180) for auditors' spreadsheets. */
import type { StoredAccessRecord } from './types.ts';

const HEADER = ['seq', 'at', 'agency', 'officer', 'purpose', 'case_number', 'personal_id', 'outcome', 'fields', 'denied_fields', 'request_id', 'hash'];

/** A spreadsheet would run a cell starting with one of these as a formula (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

function cell(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(records: readonly StoredAccessRecord[]): string {
  const lines = [HEADER.join(',')];
  for (const record of records) {
    lines.push(
      [
        record.seq,
        record.at,
        record.agency,
        record.officer,
        record.purpose,
        record.caseNumber,
        record.personalId,
        record.outcome,
        record.fields.join(';'),
        record.deniedFields.join(';'),
        record.requestId,
        record.hash,
      ]
        .map(cell)
        .join(','),
    );
  }
  return lines.map((line) => `${line}\r\n`).join('');
}

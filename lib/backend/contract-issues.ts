import type { z } from 'zod';

/**
 * How an answer that breaks its contract is described, the same way wherever it is (a backend
 * call's error reason, which reaches `/ready`, `connections` and the status page, and a connection
 * test's problem): at most three zod issues, by path and message, and never any text of the answer.
 */
const MAX_ISSUES = 3;

/** `a.b[0].c`: where in the answer a zod issue is. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}

/**
 * At most three issues, by path and message. Zod's own messages name what was expected, never the
 * value received; a message the contract's own refinements write may quote the answer (e.g. a cited
 * source id), so every text of the answer is blanked out of those.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], answer: unknown): string {
  let texts: string[] | undefined;
  const described = issues.slice(0, MAX_ISSUES).map((issue) => {
    const message = issue.code === 'custom' ? withoutAnswerText(issue.message, (texts ??= textsOf(answer))) : issue.message;
    const path = issuePath(issue.path);
    return path ? `at ${path}: ${message}` : message;
  });
  const more = issues.length > MAX_ISSUES ? ` (and ${issues.length - MAX_ISSUES} more)` : '';
  const lead = issues[0] && issues[0].path.length > 0 ? ' ' : ': ';
  return `answer breaks the contract${lead}${described.join('; ')}${more}`;
}

/** Every text in the answer, longest first. */
function textsOf(answer: unknown): string[] {
  const texts = new Set<string>();
  const collect = (value: unknown): void => {
    if (typeof value === 'string' && value.length > 0) texts.add(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect(answer);
  return [...texts].sort((a, b) => b.length - a.length);
}

function withoutAnswerText(message: string, texts: readonly string[]): string {
  let result = message;
  for (const text of texts) {
    if (!result.includes(text)) continue;
    const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    result = result.replace(new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'gu'), '…');
  }
  return result;
}

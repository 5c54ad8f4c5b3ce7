import { envInteger } from '../lib/config.ts';

/**
 * What the gateway refuses before planning a query: documents too deep, too wide, too costly or
 * too long, and list arguments too large. Every limit comes from the environment.
 */
export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  maxTokens: number;
  maxDirectives: number;
  /** Largest list accepted in any argument or variable. */
  maxListItems: number;
}

export function queryLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): QueryLimits {
  return {
    maxDepth: envInteger('MAX_QUERY_DEPTH', 12, env),
    maxAliases: envInteger('MAX_QUERY_ALIASES', 30, env),
    maxCost: envInteger('MAX_QUERY_COST', 5000, env),
    maxTokens: envInteger('MAX_QUERY_TOKENS', 2000, env),
    maxDirectives: envInteger('MAX_QUERY_DIRECTIVES', 50, env),
    maxListItems: envInteger('MAX_LIST_ITEMS', 100, env),
  };
}

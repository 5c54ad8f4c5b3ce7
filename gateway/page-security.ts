import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';

/**
 * What the gateway's HTML pages (`/status`, the query page at `/graphql`) share: one
 * Content-Security-Policy that loads nothing from another origin and talks only to this one, and
 * the same response headers. Each page says only where its scripts, styles and workers come from.
 */
export interface PageSources {
  script: string;
  style: string;
  /** Web workers (the query page's editor); none when unset. */
  worker?: string;
  /** Fonts (the query page's, embedded in its stylesheet as `data:` URLs); none when unset. */
  font?: string;
}

/** A fresh nonce for one response's inline elements. */
export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

export function contentSecurityPolicy(sources: PageSources): string {
  return [
    "default-src 'none'",
    `script-src ${sources.script}`,
    `style-src ${sources.style}`,
    "connect-src 'self'",
    'img-src data:',
    ...(sources.font === undefined ? [] : [`font-src ${sources.font}`]),
    ...(sources.worker === undefined ? [] : [`worker-src ${sources.worker}`]),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** One HTML page, never cached (it carries a fresh nonce); Node sends no body for HEAD. */
export function sendHtmlPage(res: ServerResponse, html: string, sources: PageSources): void {
  const body = Buffer.from(html, 'utf8');
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
    'content-security-policy': contentSecurityPolicy(sources),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}

/** A style or script file of a page, read once to be inlined into a `<style>` or `<script>` element. */
export function readInlineAsset(url: URL): string {
  const text = readFileSync(url, 'utf8');
  // Only this sequence could end the element early.
  if (/<\/(style|script)/i.test(text)) throw new Error(`${url.pathname} must not contain a closing </style> or </script> tag`);
  return text;
}

export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** How both pages begin: language, charset, a phone's viewport, no referrer, no favicon request. */
export function documentStart(title: string): string {
  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">`;
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORTAL_QUERY, PORTAL_VARIABLES } from '../gateway/query-page.ts';
import { gatewayConfigFromEnv, queryPageApiKey } from '../gateway/server.ts';
import { prefersHtml } from '../lib/runtime/http-server.ts';
import { TEST_API_KEYS } from '../lib/devkit/test-credentials.ts';
import { isLocalRequest, launchChromium } from './support/chromium.ts';
import { readReadmeExamples } from './support/readme-examples.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';
import { SYSTEM_IDS } from '../lib/runtime/systems.ts';

/**
 * The query page (GraphiQL at `/graphql` in a browser) in headless Chromium (test/support/chromium.ts):
 * in development, with the development officer's key and purpose in its headers editor, and in
 * production, with none. Every request the page makes is watched, and every Content-Security-Policy
 * violation is collected where the browser reports it (the `securitypolicyviolation` event).
 */

const WAIT_MS = 20_000;
const OFFICER_KEY = TEST_API_KEYS.landOfficer.key;
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

interface Watched {
  page: Page;
  requests: Request[];
  consoleErrors: string[];
  pageErrors: string[];
  violations: () => Promise<string[]>;
}

async function openPage(browser: Browser, url: string, viewport: { width: number; height: number }): Promise<Watched> {
  const page = await browser.newPage({ viewport });
  const watched: Watched = {
    page,
    requests: [],
    consoleErrors: [],
    pageErrors: [],
    violations: () => page.evaluate(() => (window as unknown as { violations: string[] }).violations),
  };
  // Runs before the page's own scripts, through the browser's debugging protocol: not subject to its CSP.
  await page.addInitScript(() => {
    const violations: string[] = [];
    (window as unknown as { violations: string[] }).violations = violations;
    document.addEventListener('securitypolicyviolation', (event) => violations.push(`${event.effectiveDirective}: ${event.blockedURI}`));
  });
  page.on('request', (request) => watched.requests.push(request));
  page.on('console', (message) => {
    if (message.type() === 'error') watched.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => watched.pageErrors.push(error.message));
  await page.goto(url);
  await page.waitForSelector('.graphiql-query-editor .view-lines', { timeout: WAIT_MS });
  return watched;
}

/**
 * What the page sends when its run button is pressed, and what comes back. The button is pressed once
 * the query editor shows the operation, and again until the request goes: a tab just clicked renders
 * its query a moment later, and a press while the page is still switching tabs can be lost.
 */
async function runActiveTab(page: Page, operationName: string) {
  const isTheRun = (request: Request) => request.method() === 'POST' && (request.postData() ?? '').includes(operationName);
  await expect.poll(() => page.innerText('.graphiql-query-editor'), { timeout: WAIT_MS }).toContain(operationName);
  let sent = false;
  const onRequest = (request: Request) => (sent ||= isTheRun(request));
  page.on('request', onRequest);
  const answered = page.waitForResponse((r) => isTheRun(r.request()), { timeout: WAIT_MS });
  try {
    await expect
      .poll(
        async () => {
          if (!sent) await page.click('.graphiql-execute-button');
          return sent;
        },
        { timeout: WAIT_MS, interval: 1000 },
      )
      .toBe(true);
  } finally {
    page.off('request', onRequest);
  }
  const response = await answered;
  return { headers: response.request().headers(), status: response.status(), body: (await response.json()) as { data?: unknown; errors?: unknown[] } };
}

/** The result pane's text, as one line (the editor renders spaces as no-break spaces, and wraps). */
async function shownResult(page: Page): Promise<string> {
  return (await page.innerText('.graphiql-response')).replace(/\s+/g, ' ');
}

async function expectNothingLeftTheOrigin(watched: Watched, origin: string) {
  expect(watched.requests.length).toBeGreaterThan(5);
  for (const request of watched.requests) {
    const url = request.url();
    expect(isLocalRequest(url), url).toBe(true);
    if (!url.startsWith('data:') && !url.startsWith('blob:')) expect(new URL(url).origin, url).toBe(origin);
  }
  expect(await watched.violations()).toEqual([]);
  expect(watched.consoleErrors).toEqual([]);
  expect(watched.pageErrors).toEqual([]);
}

function head(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'HEAD', path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject).end();
  });
}

describe('which requests to /graphql get the page', () => {
  it('a browser opening the address does; GraphQL clients and curl do not', () => {
    expect(prefersHtml(HTML.accept)).toBe(true);
    expect(prefersHtml('text/html')).toBe(true);
    expect(prefersHtml(undefined)).toBe(false);
    expect(prefersHtml('*/*')).toBe(false);
    expect(prefersHtml('application/json')).toBe(false);
    expect(prefersHtml('application/graphql-response+json, application/json;q=0.9')).toBe(false);
    expect(prefersHtml('application/json, text/html;q=0.5')).toBe(false);
    expect(prefersHtml('text/html;q=0')).toBe(false);
  });
});

describe('QUERY_PAGE_API_KEY_FILE', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'lien-thong-query-page-'));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('gives the page the key in the file outside production, and nothing in production or when unset', () => {
    const file = join(folder, 'api-key.secret');
    writeFileSync(file, 'lt_dev_key-in-a-file-0123456789abcdef\n');
    // The gateway's two required secrets, so that its settings parse.
    const secrets = { CALLER_ASSERTION_SECRET: 'c'.repeat(32), ACCESS_LOG_KEY: 'k'.repeat(32), ACCESS_LOG_PATH: join(folder, 'access-log.sqlite') };
    expect(gatewayConfigFromEnv({ ...secrets, QUERY_PAGE_API_KEY_FILE: file }).queryPageApiKey).toBe('lt_dev_key-in-a-file-0123456789abcdef');
    expect(gatewayConfigFromEnv({ ...secrets, QUERY_PAGE_API_KEY_FILE: file, NODE_ENV: 'production' }).queryPageApiKey).toBeUndefined();
    expect(gatewayConfigFromEnv(secrets).queryPageApiKey).toBeUndefined();
  });

  it('refuses a file it cannot read, or an empty one', () => {
    expect(() => queryPageApiKey(join(folder, 'missing'), false)).toThrow(/QUERY_PAGE_API_KEY_FILE .*missing cannot be read/);
    const empty = join(folder, 'empty');
    writeFileSync(empty, '\n');
    expect(() => queryPageApiKey(empty, false)).toThrow(/is empty/);
  });
});

/** A whole system (lib/devkit/in-process-system.ts) and a browser for the tests of one describe block. */
function systemAndBrowser(options: Parameters<typeof startSystem>[0]): { system: RunningSystem; browser: Browser } {
  const running = {} as { system: RunningSystem; browser: Browser };
  beforeAll(async () => {
    running.system = await startSystem(options);
    running.browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await running.browser?.close();
    await running.system?.close();
  });
  return running;
}

describe('query page in development (GraphiQL at /graphql)', () => {
  const running = systemAndBrowser({ queryPageApiKey: OFFICER_KEY });

  it('is served to a browser with the same security headers as /status, a strict script policy, and nothing from another host', async () => {
    const response = await fetch(running.system.gateway.graphqlUrl, { headers: HTML });
    expect(response.status).toBe(200);
    const status = await fetch(`${running.system.gateway.url}/status`);
    for (const name of ['content-type', 'cache-control', 'x-content-type-options', 'referrer-policy']) {
      expect(response.headers.get(name), name).toBe(status.headers.get(name));
    }
    const csp = response.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toBe(
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src data:; ` +
        "font-src data:; worker-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    // The directives /status has keep their values here: only scripts, styles, fonts and workers differ.
    const directives = (policy: string) => new Map(policy.split('; ').map((d) => [d.split(' ')[0], d] as const));
    const ours = directives(csp);
    for (const [name, directive] of directives(status.headers.get('content-security-policy') ?? '')) {
      if (name !== 'script-src' && name !== 'style-src') expect(ours.get(name), name).toBe(directive);
    }

    const html = await response.text();
    expect(html).toMatch(/^<!doctype html>\n<html lang="vi">/);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<title>Liên thông — GraphQL</title>');
    // Every script carries the nonce but the options, which are data; no inline handler.
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts).toEqual([
      '<script type="application/json" id="query-page-config">',
      expect.stringMatching(new RegExp(`^<script nonce="${nonce!.replace(/[+/=]/g, '\\$&')}" src="/graphiql/[\\d.]+/graphiql\\.js">$`)),
      `<script nonce="${nonce}">`,
    ]);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/(src|href|action)\s*=\s*["']?\s*\/\//i);
    // The development officer's key and purpose, for the headers editor.
    expect(html).toContain(OFFICER_KEY);
    expect(html).toContain('land-transfer');
    expect(html).toContain('HS-2026-0001');

    const second = await fetch(running.system.gateway.graphqlUrl, { headers: HTML });
    expect(second.headers.get('content-security-policy')).not.toContain(nonce);
  });

  it('serves its files from this gateway, compressed, for good under a versioned path', async () => {
    const html = await (await fetch(running.system.gateway.graphqlUrl, { headers: HTML })).text();
    const paths = [...html.matchAll(/(?:src|href)="(\/graphiql\/[^"]+)"/g)].map((m) => m[1]!);
    expect(paths).toHaveLength(3);
    const config = JSON.parse(/<script type="application\/json" id="query-page-config">(.*?)<\/script>/s.exec(html)![1]!) as { workers: Record<string, string> };
    expect(Object.keys(config.workers).sort()).toEqual(['editorWorkerService', 'graphql', 'json']);
    for (const path of [...paths, ...Object.values(config.workers)]) {
      const response = await fetch(`${running.system.gateway.url}${path}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toMatch(/^text\/(javascript|css); charset=utf-8$/);
      expect(response.headers.get('content-encoding'), path).toBe('gzip');
      expect(response.headers.get('cache-control'), path).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect((await response.text()).length, path).toBeGreaterThan(100);
      const etag = response.headers.get('etag') ?? '';
      expect((await fetch(`${running.system.gateway.url}${path}`, { headers: { 'if-none-match': etag } })).status, path).toBe(304);
    }
    // A worker may load and fetch nothing.
    const worker = await fetch(`${running.system.gateway.url}${config.workers.graphql}`);
    expect(worker.headers.get('content-security-policy')).toBe("default-src 'none'");
  });

  it('leaves POST, and a GET that does not prefer HTML, to GraphQL; HEAD gets the page headers alone', async () => {
    const post = await running.system.query('{ __typename }', {}, { as: null });
    expect([post.status, post.body]).toEqual([200, { data: { __typename: 'Query' } }]);
    for (const accept of ['application/json', '*/*', 'application/graphql-response+json']) {
      const get = await fetch(`${running.system.gateway.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept, 'apollo-require-preflight': 'true' } });
      expect(get.status, accept).toBe(200);
      expect(await get.json(), accept).toEqual({ data: { __typename: 'Query' } });
    }
    const page = await head(running.system.gateway.port, '/graphql', HTML);
    expect([page.status, page.body]).toEqual([200, '']);
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'none'; script-src 'nonce-/);
  });

  it('runs the README portal query with the pre-filled officer key and purpose, opens the docs, and loads nothing from elsewhere with no CSP violation', async () => {
    const portal = readReadmeExamples().find((example) => example.name === 'portal');
    expect(portal?.query).toBe(PORTAL_QUERY);
    expect(PORTAL_VARIABLES).toEqual(portal?.variables);

    const watched = await openPage(running.browser, running.system.gateway.graphqlUrl, { width: 1280, height: 900 });
    const { page } = watched;
    try {
      const run = await runActiveTab(page, 'PortalPrefill');
      expect(run.headers).toMatchObject({ 'x-api-key': OFFICER_KEY, 'x-purpose-code': 'land-transfer', 'x-case-number': 'HS-2026-0001' });
      expect(run.status).toBe(200);
      expect(run.body).toEqual(portal?.answer);
      await expect.poll(() => shownResult(page), { timeout: WAIT_MS }).toContain('"fullName": "Nguyễn Văn An"');

      // The second tab: public data, with the same headers.
      await page.click('.graphiql-tab >> text=LiveConnections');
      const connections = await runActiveTab(page, 'LiveConnections');
      expect(connections.status).toBe(200);
      expect((connections.body.data as { connections: unknown[] }).connections).toHaveLength(SYSTEM_IDS.length);

      // The docs explorer, from the schema the page introspected.
      await page.click('[aria-label="Show Documentation Explorer"]');
      await page.click('.graphiql-doc-explorer-type-name >> text="Query"');
      await page.click('.graphiql-doc-explorer a >> text="citizen"', { timeout: WAIT_MS });
      await expect.poll(() => page.innerText('.graphiql-doc-explorer'), { timeout: WAIT_MS }).toMatch(/citizen[\s\S]*A citizen by personal identification number/);

      await expectNothingLeftTheOrigin(watched, running.system.gateway.url);
      // GraphiQL's script, stylesheet, the page's stylesheet, three workers, and GraphQL.
      const paths = new Set(watched.requests.map((r) => new URL(r.url()).pathname));
      expect([...paths].filter((p) => p.startsWith('/graphiql/'))).toHaveLength(6);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('fits a phone (390×844): editors and result both on screen, one above the other, and no sideways scroll', async () => {
    const watched = await openPage(running.browser, running.system.gateway.graphqlUrl, { width: 390, height: 844 });
    const { page } = watched;
    try {
      const run = await runActiveTab(page, 'PortalPrefill');
      expect(run.status).toBe(200);
      await expect.poll(() => shownResult(page), { timeout: WAIT_MS }).toContain('"fullName": "Nguyễn Văn An"');
      const box = async (selector: string) => (await page.locator(selector).boundingBox())!;
      const editor = await box('.graphiql-query-editor');
      const result = await box('.graphiql-response');
      for (const [name, b] of [
        ['editor', editor],
        ['result', result],
      ] as const) {
        expect(b.x, name).toBeGreaterThanOrEqual(0);
        expect(b.x + b.width, name).toBeLessThanOrEqual(390);
        expect(b.y + b.height, name).toBeLessThanOrEqual(844);
        expect(b.width, name).toBeGreaterThan(250);
        expect(b.height, name).toBeGreaterThan(150);
      }
      expect(result.y).toBeGreaterThanOrEqual(editor.y + editor.height);
      expect(await page.evaluate(() => [document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth])).toEqual([390, 390, 390]);
      await expectNothingLeftTheOrigin(watched, running.system.gateway.url);
    } finally {
      await page.close();
    }
  }, 120_000);
});

describe('query page in production', () => {
  // A key passed in production all the same is never offered.
  const running = systemAndBrowser({ production: true, queryPageApiKey: OFFICER_KEY });

  it('offers no credential, opens on public data that answers, and asks for no schema', async () => {
    const html = await (await fetch(running.system.gateway.graphqlUrl, { headers: HTML })).text();
    expect(html).not.toContain(OFFICER_KEY);
    expect(html).not.toContain('x-api-key');
    expect(html).not.toContain('PortalPrefill');

    const watched = await openPage(running.browser, running.system.gateway.graphqlUrl, { width: 1280, height: 900 });
    const { page } = watched;
    try {
      const run = await runActiveTab(page, 'LiveConnections');
      expect(run.headers['x-api-key']).toBeUndefined();
      expect(run.status).toBe(200);
      expect(run.body.errors).toBeUndefined();
      expect((run.body.data as { connections: unknown[] }).connections).toHaveLength(SYSTEM_IDS.length);
      // Introspection is off in production: the page does not ask for the schema.
      const posts = watched.requests.filter((r) => r.method() === 'POST').map((r) => r.postData() ?? '');
      expect(posts.filter((body) => body.includes('__schema'))).toEqual([]);
      expect(posts).toHaveLength(1);
      await page.click('[aria-label="Show Documentation Explorer"]');
      await expect.poll(() => page.innerText('.graphiql-doc-explorer'), { timeout: WAIT_MS }).toContain('No GraphQL schema available');
      await expectNothingLeftTheOrigin(watched, running.system.gateway.url);
    } finally {
      await page.close();
    }
  }, 120_000);
});

import { existsSync, mkdirSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { NAMED_IDS } from '../lib/domain/synthetic/named.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultMode } from '../lib/devkit/mock-server.ts';
import { perSystem, SYSTEM_IDS, type SystemId } from '../lib/runtime/systems.ts';
import { startSystem, type RunningSystem } from '../lib/devkit/in-process-system.ts';
import { CHROMIUM_PATH, isLocalRequest, launchChromium, NO_CHROMIUM } from './support/chromium.ts';

/**
 * The status page (`GET /status`) in a real browser (test/support/chromium.ts). One whole system in
 * this process; backends are taken down and brought back through their mocks' fault admin, and the
 * page is watched as it refreshes itself.
 */

/** The committed screenshot of the page (one system down); rewritten when missing or when UPDATE_SCREENSHOTS=1. */
const DOCS_SCREENSHOT = fileURLToPath(new URL('../docs/status-page.png', import.meta.url));
/** The screenshot of every run, for looking at a failure (gitignored). */
const RUN_SCREENSHOT = fileURLToPath(new URL('../test-results/status-page-land-down.png', import.meta.url));
const WAIT_MS = 15_000;

let system: RunningSystem;
let browser: Browser;
let page: Page;
const requests: string[] = [];
const consoleErrors: string[] = [];
const pageErrors: string[] = [];

async function setFault(id: SystemId, mode: FaultMode): Promise<void> {
  const response = await fetch(`${system.mocks[id].url}/_mock/fault`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode }),
  });
  expect(response.status).toBe(200);
}

const liveStatuses = () => page.$$eval('[data-system]', (cards) => Object.fromEntries(cards.map((card) => [card.getAttribute('data-system'), card.getAttribute('data-status')])));
const allUp = perSystem(() => 'UP');

it('finds the headless Chromium it drives', () => {
  expect(existsSync(CHROMIUM_PATH), NO_CHROMIUM).toBe(true);
});

describe('status page (/status)', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM_PATH)) throw new Error(NO_CHROMIUM);
    // A short failure window, so that a system is UP again soon after it answers; no probe is slow,
    // DEGRADED or DOWN for its time however slow the machine (2-minute thresholds and deadlines): the
    // only outages are the faults this file sets, a backend that refuses connections.
    system = await startSystem({
      probeIntervalMs: 200,
      probeTimeoutMs: 120_000,
      backendTimeoutMs: 120_000,
      statusRefreshMs: 300,
      liveStatus: { slowMs: 120_000, failureWindowMs: 1500 },
      // The programme view's outage is a subject here: no reference-data cache to answer it meanwhile
      // (test/reference-cache.test.ts has the cache's own behaviour).
      backendCacheEntries: { 'public-services': 0 },
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await system?.close();
  });

  it('is one self-contained HTML page: a strict CSP with a fresh nonce, no-store, nothing from another host', async () => {
    const first = await fetch(`${system.gateway.url}/status`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(first.headers.get('cache-control')).toBe('no-store');
    const csp = first.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toBe(
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; ` +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    const html = await first.text();
    expect(html).toMatch(/^<!doctype html>\n<html lang="vi">/);
    // Every script and style element carries the nonce; no inline handler or style attribute exists.
    expect(html.match(/<script\b[^>]*>/g)).toEqual([`<script nonce="${nonce}">`]);
    expect(html.match(/<style\b[^>]*>/g)).toEqual([`<style nonce="${nonce}">`]);
    expect(html).not.toMatch(/\son[a-z]+\s*=|\sstyle\s*=/i);
    // No asset from anywhere: no URL with a scheme or protocol-relative, in any attribute or in the CSS.
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/(src|href|action)\s*=\s*["']?\s*\/\//i);
    expect(html).not.toMatch(/url\(|@import/i);

    const second = await fetch(`${system.gateway.url}/status`);
    expect(second.headers.get('content-security-policy')).not.toContain(nonce);
  });

  it('loads without a console error or a request off this machine, and shows every system UP and the programme as published', async () => {
    await page.goto(`${system.gateway.url}/status`);
    await expect.poll(liveStatuses, { timeout: WAIT_MS }).toEqual(allUp);
    await page.waitForSelector('#programme[data-state="ok"]', { timeout: WAIT_MS });
    await expect.poll(() => page.textContent('#refresh')).toMatch(/^Updated \d\d:\d\d:\d\d$/);

    // Live systems: name, owner, status word, latency, last checked, circuit, uptime.
    const population = page.locator('[data-system="population"]');
    await expect.poll(() => population.innerText()).toMatch(/^National population database[\s\S]*UP \(hoạt động\)[\s\S]*population · Bộ Công an \(BCA\)/);
    const text = await population.innerText();
    expect(text).toMatch(/Latency[\s\S]*\d+(\.\d)? ms/);
    expect(text).toMatch(/Last checked[\s\S]*\d\d:\d\d:\d\d/);
    expect(text).toMatch(/Circuit[\s\S]*CLOSED/);
    expect(text).toMatch(/Uptime[\s\S]*100% of \d+ probes/);
    expect(text).toContain('none since the gateway started');

    // The 63 provinces, all CONNECTED as published (63 of 63 localities as of 2024-07-29).
    const tiles = await page.$$eval('[data-province]', (els) => els.map((el) => [el.getAttribute('data-province'), el.getAttribute('data-status'), el.getAttribute('title')]));
    expect(tiles).toHaveLength(63);
    expect(new Set(tiles.map(([code]) => code)).size).toBe(63);
    for (const [, status, title] of tiles) {
      expect(status).toBe('CONNECTED');
      expect(title).toContain('as of 2024-07-29');
      expect(title).toContain('003_03dd5c3de9e00cb7.txt');
    }
    expect(await page.textContent('[data-province="001"]')).toContain('Hà Nội');
    // Bound to the units of the report's day, each merged one naming the unit that holds it today.
    expect(await page.textContent('#provinces h3')).toContain('as reported on 2024-07-29: 63');
    expect(await page.getAttribute('[data-province="094"] .now', 'data-now')).toBe('Thành phố Cần Thơ');
    expect(await page.getAttribute('[data-province="094"]', 'title')).toContain('until 2025-06-30; today part of Thành phố Cần Thơ');
    expect(await page.$('[data-province="001"] .now')).toBeNull();
    expect(await page.$$eval('#provinces [data-region]', (els) => els.length)).toBe(6);
    expect(await page.getAttribute('#provinces [data-legend="CONNECTED"]', 'data-count')).toBe('63');

    // Ministries and central agencies: the Ministry of Public Security operates the database; no report
    // names any other, so each is NOT_REPORTED (never "not connected"). The sector database a report
    // names is shown with its own status.
    const agencies = await page.$$eval('[data-agency]', (els) => els.map((el) => [el.getAttribute('data-agency'), el.getAttribute('data-status')]));
    // The agencies of 2024-07-29, the date of the reports: 18 ministries, 4 ministerial-level agencies, Bảo hiểm xã hội Việt Nam.
    expect(agencies).toHaveLength(23);
    expect(await page.innerText('#agencies h3')).toContain('Ministries and central agencies of 2024-07-29: 23');
    expect(agencies).toContainEqual(['BCA', 'OPERATOR']);
    for (const [code, status] of agencies) if (code !== 'BCA') expect(status, code ?? '').toBe('NOT_REPORTED');
    expect(await page.innerText('[data-agency="BCA"]')).toContain('OPERATOR');
    expect(await page.innerText('[data-agency="BTP"]')).toContain('NOT REPORTED');
    const housing = await page.innerText('[data-agency="BXD"] [data-sector-database]');
    expect(housing).toMatch(/Housing and real-estate market information system[\s\S]*NOT CONNECTED[\s\S]*2024-06/);

    // The published aggregate figures, each with its qualifier, its sentence, its date at the report's
    // precision and the publication it comes from.
    const figure = (id: string) => page.innerText(`[data-figure="${id}"]`);
    expect(await figure('connections.ministries.2024-07')).toMatch(/^18 ministries[\s\S]*As of 2024-07-29[\s\S]*003_03dd5c3de9e00cb7\.txt/);
    expect(await figure('connections.localities.2024-07')).toMatch(/^63 of 63 localities[\s\S]*As of 2024-07-29[\s\S]*003_03dd5c3de9e00cb7\.txt/);
    expect(await figure('connections.sector-dbs-not-connected.2023-04')).toMatch(
      /^8 databases[\s\S]*Sector databases not yet connected[\s\S]*Paraphrase: the published sentence was not found[\s\S]*Ministries count: 6[\s\S]*As of 2023-04 \(as recorded; the report was not found\)[\s\S]*001_6b85741789db2540\.txt \(publication not identified/,
    );
    expect(await figure('connections.security-inspection-pending.2024-10')).toMatch(
      /^38 localities[\s\S]*“There are still 38 localities that have not completed the inspection[\s\S]*As of 2024-11 \(publication date[\s\S]*VietNamNet, “Digitization of data about civil status, land proceeding slowly” \(published 2024-11\)/,
    );
    expect(await figure('connections.social-insurance-unsynced.quang-nam')).toMatch(/^More than 18,000 records \(about 1%\)[\s\S]*As of 2024 /);
    const sources = await page.$$eval('[data-source]', (els) => els.map((el) => el.getAttribute('data-source')));
    expect(sources).toEqual(expect.arrayContaining(['S0', 'S1', 'S3']));
    expect(await page.innerText('[data-source="S3"]')).toMatch(/not identified\s+2024-07-29\s+—\s+003_03dd5c3de9e00cb7\.txt\s+Not located/);
    expect(await page.innerText('[data-source="S0"]')).toMatch(
      /VietNamNet: Digitization of data about civil status, land proceeding slowly\s+2024-11\s+en\s+000_3b89b82ebd203563\.txt/,
    );
    expect(await page.innerText('.explain')).toMatch(/Live status[\s\S]*Reported status[\s\S]*not that it is not connected/);

    expect(consoleErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(requests.length).toBeGreaterThan(2);
    for (const url of requests) expect(isLocalRequest(url), url).toBe(true);
  });

  it("shows the reuse of data through the graph, by level and sector, from the gateway's access log", async () => {
    await page.goto(`${system.gateway.url}/status`);
    await page.waitForSelector('#reuse[data-state="ok"]', { timeout: WAIT_MS });
    const before = await page.innerText('#reuse-body');
    // The development officer (Bộ Nông nghiệp và Môi trường, owner of the land system): a name and the parcels' IDs.
    const { status } = await system.query('query($id: ID!) { citizen(personalId: $id) { fullName landParcels { parcelId } } }', { id: NAMED_IDS.head });
    expect(status).toBe(200);
    const { body } = await system.query('{ reuseStatistics(groupBy: [SECTOR]) { groups { sector dataItems reusedDataItems } } }');
    const groups = (body.data as { reuseStatistics: { groups: { sector: string; dataItems: number; reusedDataItems: number }[] } }).reuseStatistics.groups;
    const land = groups.find((g) => g.sector === 'land')!;
    expect(land.reusedDataItems).toBe(0);
    await expect.poll(() => page.innerText('[data-reuse-sector="land"]'), { timeout: WAIT_MS }).toBe(`land\t${land.dataItems}\t0\t0%`);
    const population = groups.find((g) => g.sector === 'population')!;
    expect(await page.innerText('[data-reuse-sector="population"]')).toBe(`population\t${population.dataItems}\t${population.reusedDataItems}\t100%`);
    expect(await page.innerText('[data-reuse-level="CENTRAL"]')).toMatch(/^Central \(ministries and central agencies\) \(bộ, ngành\)\t\d+\t\d+\t[\d.]+%\t\d+\t\d+\t100%$/);
    expect(before).not.toBe(await page.innerText('#reuse-body'));
    expect(pageErrors).toEqual([]);
  });

  it('turns a system DOWN with its error when its backend stops answering, keeps the others UP, and shows it UP again once it answers', async () => {
    await setFault('land', 'down');
    await page.waitForSelector('[data-system="land"][data-status="DOWN"]', { timeout: WAIT_MS });
    const land = await page.innerText('[data-system="land"]');
    expect(land).toMatch(/DOWN/);
    expect(land).toMatch(/Last error[\s\S]*SYSTEM_\w+: \S/);
    expect(await page.$eval('[data-system="land"] [data-error-code]', (el) => el.getAttribute('data-error-code'))).toMatch(/^SYSTEM_/);
    expect(await page.$$eval('[data-system="land"] .reasons li', (els) => els.length)).toBeGreaterThan(0);
    await expect.poll(liveStatuses, { timeout: WAIT_MS }).toEqual({ ...allUp, land: 'DOWN' });
    // The programme view does not depend on the land system.
    expect(await page.getAttribute('#programme', 'data-state')).toBe('ok');

    mkdirSync(fileURLToPath(new URL('../test-results/', import.meta.url)), { recursive: true });
    await page.screenshot({ path: RUN_SCREENSHOT, fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(DOCS_SCREENSHOT)) await page.screenshot({ path: DOCS_SCREENSHOT, fullPage: true });

    await setFault('land', 'ok');
    await page.waitForSelector('[data-system="land"][data-status="UP"]', { timeout: WAIT_MS });
    await expect.poll(liveStatuses, { timeout: WAIT_MS }).toEqual(allUp);
    expect(pageErrors).toEqual([]);
  });

  it('says the programme view is unavailable, and why, while public-services is down, and keeps showing the live systems', async () => {
    await setFault('public-services', 'down');
    try {
      await page.waitForSelector('#programme[data-state="stale"]', { timeout: WAIT_MS });
      const notice = await page.innerText('#programme-notice');
      expect(notice).toMatch(/^Programme status is unavailable now: SYSTEM_UNAVAILABLE: The public-services system is unavailable\. /);
      expect(notice).toMatch(/Showing what was received at \d\d:\d\d:\d\d\.$/);
      // What was shown before stays, marked as such; the live part is still refreshed.
      expect(await page.$$eval('[data-province]', (els) => els.length)).toBe(63);
      await page.waitForSelector('[data-system="public-services"][data-status="DOWN"]', { timeout: WAIT_MS });
      expect(await page.getAttribute('#live', 'data-state')).toBe('ok');
      await expect.poll(() => page.textContent('#refresh')).toMatch(/^Updated \d\d:\d\d:\d\d$/);
      expect(await page.$$eval('[data-system]', (els) => els.length)).toBe(SYSTEM_IDS.length);
    } finally {
      await setFault('public-services', 'ok');
    }
    await page.waitForSelector('#programme[data-state="ok"]', { timeout: WAIT_MS });
    expect(await page.isHidden('#programme-notice')).toBe(true);
    await expect.poll(liveStatuses, { timeout: WAIT_MS }).toEqual(allUp);
  });

  it('asks for the programme view once while nothing changes, and for the live systems on every refresh', async () => {
    const quiet = await browser.newPage();
    const asked = { live: 0, programme: 0 };
    quiet.on('request', (request) => {
      const body = request.postData() ?? '';
      if (body.includes('StatusPageLive')) asked.live += 1;
      if (body.includes('StatusPageProgramme')) asked.programme += 1;
    });
    try {
      await quiet.goto(`${system.gateway.url}/status`);
      // The programme view is asked for again after 60 s (the default) or when public-services changes state.
      await expect.poll(() => asked.live, { timeout: WAIT_MS }).toBeGreaterThanOrEqual(5);
      expect(asked.programme).toBe(1);
      expect(await quiet.getAttribute('#programme', 'data-state')).toBe('ok');
    } finally {
      await quiet.close();
    }
  });

  it('says the programme view is unavailable on a first load without public-services, and renders the live systems', async () => {
    await setFault('public-services', 'down');
    const fresh = await browser.newPage();
    try {
      await fresh.goto(`${system.gateway.url}/status`);
      await fresh.waitForSelector('#programme[data-state="unavailable"]', { timeout: WAIT_MS });
      expect(await fresh.innerText('#programme-notice')).toMatch(/^Programme status is unavailable: SYSTEM_UNAVAILABLE: The public-services system is unavailable\.$/);
      expect(await fresh.$$eval('[data-province]', (els) => els.length)).toBe(0);
      await fresh.waitForSelector('[data-system="population"][data-status="UP"]', { timeout: WAIT_MS });
    } finally {
      await fresh.close();
      await setFault('public-services', 'ok');
    }
  });

  it('keeps the last data and says so when a refresh gets no answer at all', async () => {
    // The browser stands in for a network that fails: the gateway itself is never reached.
    await page.route('**/graphql', (route) => route.abort('connectionrefused'));
    try {
      await page.waitForSelector('#refresh[data-state="failed"]', { timeout: WAIT_MS });
      expect(await page.textContent('#refresh')).toMatch(/^Refresh failed at \d\d:\d\d:\d\d: the gateway could not be reached .*Showing data from \d\d:\d\d:\d\d\.$/);
      expect(await page.$$eval('[data-system]', (els) => els.length)).toBe(SYSTEM_IDS.length);
      expect(await page.$$eval('[data-province]', (els) => els.length)).toBe(63);
    } finally {
      await page.unroute('**/graphql');
    }
    await page.waitForSelector('#refresh[data-state="ok"]', { timeout: WAIT_MS });
  });

  it('answers HEAD with the headers alone and refuses other methods', async () => {
    const { port } = system.gateway;
    const call = (method: string) =>
      new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method, path: '/status' }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        req.on('error', reject).end();
      });
    const head = await call('HEAD');
    expect([head.status, head.body]).toEqual([200, '']);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(1000);
    expect(head.headers['content-security-policy']).toMatch(/^default-src 'none'; script-src 'nonce-/);
    const post = await call('POST');
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
  });
});

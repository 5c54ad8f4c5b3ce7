import type { RouteHandler } from '../lib/runtime/http-server.ts';
import { documentStart, escapeHtml, newNonce, readInlineAsset, sendHtmlPage } from './page-security.ts';

export interface StatusPageOptions {
  /** Where the page sends its GraphQL query (same origin). */
  graphqlPath: string;
  /** How often the page refreshes itself. */
  refreshMs: number;
  /** How often it asks again for the programme view, which changes only when a report is published. */
  programmeRefreshMs: number;
}

/**
 * `GET /status`: one page for both readers of this graph. Integrators see each wrapped system's live
 * status as the gateway's probes measure it (`connections`); auditors see the Project 06 programme
 * status as published (`agencies`, `provinces`, `populationDbConnections`), with dates and sources.
 *
 * The server sends a shell; its inline script asks the graph on the same origin and refreshes itself.
 * Nothing is loaded from anywhere else: style and script are inline (status-page.css, status-page.browser.js,
 * read once here), allowed by a per-response nonce in a strict Content-Security-Policy, and every
 * string from the graph is inserted as text.
 */
export function statusPage(options: StatusPageOptions): RouteHandler {
  const css = readInlineAsset(new URL('status-page.css', import.meta.url));
  const js = readInlineAsset(new URL('status-page.browser.js', import.meta.url));
  // The server routes GET and HEAD here, and answers other methods 405 (lib/runtime/http-server.ts).
  return (_req, res) => {
    const nonce = newNonce();
    sendHtmlPage(res, statusPageHtml({ ...options, nonce, css, js }), { script: `'nonce-${nonce}'`, style: `'nonce-${nonce}'` });
  };
}

function statusPageHtml(o: StatusPageOptions & { nonce: string; css: string; js: string }): string {
  const nonce = escapeHtml(o.nonce);
  return `${documentStart('Liên thông — Status (Trạng thái)')}
<style nonce="${nonce}">
${o.css}
</style>
</head>
<body data-graphql-path="${escapeHtml(o.graphqlPath)}" data-refresh-ms="${escapeHtml(String(o.refreshMs))}" data-programme-refresh-ms="${escapeHtml(String(o.programmeRefreshMs))}">
<header class="page-header">
  <div>
    <h1>Liên thông — Status <span lang="vi">(Trạng thái)</span></h1>
    <p>Live connections of this gateway, and the Project 06 connections to the national population database as published.</p>
  </div>
  <p id="refresh" class="refresh" role="status" aria-live="polite" data-state="loading">Loading…</p>
</header>
<p class="explain"><strong>Live status</strong> (<span lang="vi">trạng thái trực tuyến</span>) is measured now by this gateway's probes of its own connections to each system.
<strong>Reported status</strong> (<span lang="vi">trạng thái theo báo cáo</span>) is what published Project 06 reports say, as of the date they give; it is never measured here, and “not reported” means no report speaks of it, not that it is not connected.</p>
<noscript><p class="notice">This page needs JavaScript to load the status. The same data is available from <code>POST ${escapeHtml(o.graphqlPath)}</code>.</p></noscript>
<main>
  <section id="live" aria-labelledby="live-title" data-state="loading">
    <h2 id="live-title">Live systems <span lang="vi">(Hệ thống trực tuyến)</span></h2>
    <p id="live-summary" class="summary"></p>
    <p id="live-notice" class="notice" hidden></p>
    <div id="systems" class="systems"></div>
  </section>
  <section id="programme" aria-labelledby="programme-title" data-state="loading">
    <h2 id="programme-title">Programme status, as reported <span lang="vi">(Tình hình kết nối theo báo cáo)</span></h2>
    <p class="explain-small">Connections to the national population database (<span lang="vi">kết nối với Cơ sở dữ liệu quốc gia về dân cư</span>), exactly as published, each with the date it describes and the report it comes from.</p>
    <p id="programme-notice" class="notice" hidden></p>
    <div id="programme-body"></div>
  </section>
  <section id="reuse" aria-labelledby="reuse-title" data-state="loading">
    <h2 id="reuse-title">Reuse through this graph <span lang="vi">(Tái sử dụng dữ liệu qua hệ thống)</span></h2>
    <p class="explain-small">Data items (one field of one citizen) that personal answers returned, and how many an agency took from another sector's system instead of asking the citizen; cases (<span lang="vi">hồ sơ</span>) that received any. Counted from this gateway's access log, since its first record; definitions in the README, the breakdown by agency and purpose for auditors.</p>
    <p id="reuse-notice" class="notice" hidden></p>
    <div id="reuse-body"></div>
  </section>
</main>
<footer class="page-footer">Data from <code>POST ${escapeHtml(o.graphqlPath)}</code> on this gateway: <code>connections</code> (live), <code>populationDbConnections</code>, <code>agencies</code>, <code>provinces</code> (reported) and <code>reuseStatistics</code> (this gateway's access log).</footer>
<script nonce="${nonce}">
${o.js}
</script>
</body>
</html>
`;
}

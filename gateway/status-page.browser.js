// The status page's script, inlined by status-page.ts (runs in the browser; no build step, no imports).
// It asks the graph on the same origin, renders with createElement/textContent only (every string
// from the graph is text, never markup) and refreshes itself every `data-refresh-ms`.
(() => {
  'use strict';

  const GRAPHQL_PATH = document.body.dataset.graphqlPath || '/graphql';
  const REFRESH_MS = Math.max(200, Number(document.body.dataset.refreshMs) || 5000);
  // The programme view changes only when a report is published: asked for less often, or again at once while it is not shown whole.
  const PROGRAMME_REFRESH_MS = Math.max(REFRESH_MS, Number(document.body.dataset.programmeRefreshMs) || 60000);
  const REQUEST_TIMEOUT_MS = Math.max(15000, REFRESH_MS);

  // Two operations, sent together: each of them is answered, or fails, on its own. In one operation
  // a failure of either part would null the other too, since every root field here is non-null.
  const LIVE_QUERY = `query StatusPageLive {
  connections {
    systemId name status reasons latencyMs checkedAt lastSuccessAt circuit
    owner { code name }
    lastError { code message hop at }
    uptime { ratio probes answered since }
  }
}`;

  // The connection reports describe 2024-07-29 (connections.localities.2024-07 is the one figure that
  // gives every province a status): their statuses are shown on the provincial units and agencies of
  // that day (units merged on 2025-07-01, the Government restructured on 2025-03-01; a successor has no
  // report of its own).
  const REPORTS_DAY = '2024-07-29';
  const PROGRAMME_QUERY = `query StatusPageProgramme {
  populationDbConnections {
    reportedFigures {
      id statement quotation value qualifier valueAsPublished unit of rate rateQualifier flag note asOf asOfBasis
      figures { name value qualifier } sources { ...Src }
    }
  }
  agencies(at: "${REPORTS_DAY}") {
    code name englishName kind
    populationDbConnection { ...Report }
    sectorDatabases { name englishName populationDbConnection { ...Report } }
  }
  provinces(at: "${REPORTS_DAY}") { id code name officialName region validTo successorsOn { name officialName } populationDbConnection { ...Report } }
}
fragment Report on ConnectionReport { status since asOf statement sources { ...Src } }
fragment Src on Source { id document outlet title published url language summary }`;

  const LIVE_WORDS = {
    UP: ['✓', 'UP', 'hoạt động'],
    DEGRADED: ['!', 'DEGRADED', 'suy giảm'],
    DOWN: ['✕', 'DOWN', 'không hoạt động'],
  };
  const REPORTED_WORDS = {
    CONNECTED: ['✓', 'CONNECTED', 'đã kết nối'],
    NOT_CONNECTED: ['✕', 'NOT CONNECTED', 'chưa kết nối'],
    OPERATOR: ['◆', 'OPERATOR', 'đơn vị vận hành'],
    NOT_REPORTED: ['?', 'NOT REPORTED', 'chưa có báo cáo'],
  };
  const REPORTED_ORDER = ['CONNECTED', 'NOT_CONNECTED', 'OPERATOR', 'NOT_REPORTED'];
  const REGIONS = {
    NORTHERN_MIDLANDS_AND_MOUNTAINS: ['Northern midlands and mountains', 'Trung du và miền núi phía Bắc'],
    RED_RIVER_DELTA: ['Red River Delta', 'Đồng bằng sông Hồng'],
    NORTH_CENTRAL_AND_CENTRAL_COAST: ['North Central and Central Coast', 'Bắc Trung Bộ và duyên hải miền Trung'],
    CENTRAL_HIGHLANDS: ['Central Highlands', 'Tây Nguyên'],
    SOUTHEAST: ['Southeast', 'Đông Nam Bộ'],
    MEKONG_DELTA: ['Mekong River Delta', 'Đồng bằng sông Cửu Long'],
  };
  const KINDS = {
    MINISTRY: ['Ministry', 'bộ'],
    MINISTERIAL_AGENCY: ['Ministerial-level agency', 'cơ quan ngang bộ'],
    GOVERNMENT_AGENCY: ['Government agency', 'cơ quan thuộc Chính phủ'],
  };
  const CIRCUIT = {
    CLOSED: 'CLOSED (calls go through)',
    OPEN: 'OPEN (calls refused until a trial call succeeds)',
    HALF_OPEN: 'HALF-OPEN (trial call under way)',
  };

  // ---- DOM helpers: text only --------------------------------------------------------------------

  /** An element with attributes (never `style` or event handlers) and children (strings become text). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'style' || name.startsWith('on')) throw new Error(`attribute ${name} is not allowed`);
      el.setAttribute(name, value === true ? '' : String(value));
    }
    append(el, children);
    return el;
  }
  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  /** Replaces an element's children, as `h` adds them. */
  function fill(el, ...children) {
    el.replaceChildren();
    append(el, children);
  }
  const $ = (id) => document.getElementById(id);
  const vi = (text) => h('span', { lang: 'vi' }, text);
  const bilingual = (en, viText) => [en, ' (', vi(viText), ')'];

  function badge(words, status) {
    const [mark, word, viText] = words[status] || ['?', String(status), ''];
    return h('span', { class: `badge s-${status}` }, `${mark} ${word}`, viText ? [' ', h('small', { lang: 'vi' }, `(${viText})`)] : null);
  }

  // ---- formatting ----------------------------------------------------------------------------------

  const pad = (n) => String(n).padStart(2, '0');
  const clock = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const day = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

  /** An ISO timestamp as local time: the clock alone when it is today. */
  function when(iso) {
    if (!iso) return null;
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const text = day(d) === day(new Date()) ? clock(d) : `${day(d)} ${clock(d)}`;
    return h('time', { datetime: iso, title: iso }, text);
  }

  const number = (n) => (Number.isInteger(n) ? n.toLocaleString('en-US') : String(n));
  const words = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().replace(/^./, (c) => c.toUpperCase());

  function sourceText(sources) {
    if (!sources || sources.length === 0) return null;
    return sources.map((s) => `${s.id}: ${publicationText(s)}`).join('; ');
  }

  /** A source as a publication: outlet, “title”, date; a seed document not identified says so. */
  function publicationText(s) {
    const named = [s.outlet, s.title ? `“${s.title}”` : null].filter(Boolean).join(', ');
    const when = s.published ? `published ${s.published}` : 'publication date unknown';
    if (named) return `${named} (${when})`;
    return `${s.document || 'unidentified document'} (publication not identified; recorded ${when})`;
  }

  // ---- fetching --------------------------------------------------------------------------------------

  /** One GraphQL operation: `{ data, errors }` as answered, or `{ failure }` when no GraphQL answer came. */
  async function ask(query) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(GRAPHQL_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query }),
        cache: 'no-store',
        credentials: 'same-origin',
        signal: controller.signal,
      });
      let body;
      try {
        body = await response.json();
      } catch {
        return { failure: `the gateway answered HTTP ${response.status} without a GraphQL body` };
      }
      if (!body || typeof body !== 'object') return { failure: `the gateway answered HTTP ${response.status} without a GraphQL body` };
      return { data: body.data || null, errors: Array.isArray(body.errors) ? body.errors : [] };
    } catch (error) {
      return { failure: controller.signal.aborted ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : `the gateway could not be reached (${error && error.message})` };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The errors' messages, each once, with their codes: what the section says when its part failed. */
  function errorText(errors) {
    const seen = new Set();
    for (const e of errors) {
      const code = e && e.extensions && e.extensions.code;
      seen.add(code ? `${code}: ${e.message}` : String(e && e.message));
    }
    return [...seen].join(' ');
  }

  const sentence = (text) => (/[.!?]$/.test(text) ? text : `${text}.`);

  // ---- sections ----------------------------------------------------------------------------------

  /**
   * A section that keeps what it last showed: a failed refresh leaves its content and says so; a
   * section that has never loaded says it is unavailable, and why.
   */
  function section(id, noticeId, title) {
    let lastShownAt = null;
    return {
      /** `render` returns true when the answer held something to show. */
      update(result, render, at) {
        const notice = $(noticeId);
        const errors = result.failure ? [] : result.errors;
        const shown = !result.failure && result.data ? render(result.data, errors) : false;
        const why = sentence(result.failure || errorText(errors));
        if (shown) lastShownAt = at;
        let state;
        if (shown && errors.length === 0) {
          state = 'ok';
          notice.hidden = true;
          notice.textContent = '';
        } else if (shown) {
          state = 'partial';
          notice.dataset.kind = 'partial';
          notice.textContent = `Part of ${title} is unavailable: ${why}`;
          notice.hidden = false;
        } else {
          state = lastShownAt ? 'stale' : 'unavailable';
          notice.dataset.kind = 'unavailable';
          notice.textContent = lastShownAt
            ? `${title} is unavailable now: ${why} Showing what was received at ${clock(lastShownAt)}.`
            : `${title} is unavailable: ${why}`;
          notice.hidden = false;
        }
        $(id).dataset.state = state;
        return state;
      },
    };
  }

  const live = section('live', 'live-notice', 'Live status');
  const programme = section('programme', 'programme-notice', 'Programme status');

  // ---- live systems --------------------------------------------------------------------------------

  function renderLive(data) {
    const connections = data.connections;
    if (!Array.isArray(connections)) return false;
    const counts = { UP: 0, DEGRADED: 0, DOWN: 0 };
    for (const c of connections) counts[c.status] = (counts[c.status] || 0) + 1;
    fill($('live-summary'), `${connections.length} systems: `, Object.entries(counts).map(([status, n], i) => [i ? ', ' : '', `${n} ${status}`]), '.');
    fill($('systems'), connections.map(systemCard));
    return true;
  }

  function systemCard(c) {
    const rows = [
      ['Latency', 'Độ trễ', c.latencyMs === null || c.latencyMs === undefined ? '—' : `${Math.round(c.latencyMs * 10) / 10} ms`],
      ['Last checked', 'Kiểm tra lần cuối', when(c.checkedAt) || 'not yet'],
      ['Last success', 'Thành công gần nhất', when(c.lastSuccessAt) || 'none since the gateway started'],
      ['Last error', 'Lỗi gần nhất', lastError(c.lastError)],
      ['Circuit', 'Cầu dao', c.circuit ? CIRCUIT[c.circuit] || c.circuit : 'unknown (the subgraph did not answer)'],
      ['Uptime', 'Tỷ lệ hoạt động', uptime(c.uptime)],
    ];
    return h(
      'article',
      { class: 'system', 'data-system': c.systemId, 'data-status': c.status, 'aria-label': `${c.systemId}: ${c.status}` },
      h('div', { class: 'system-head' }, h('h3', {}, c.name), badge(LIVE_WORDS, c.status)),
      h('p', { class: 'owner' }, h('code', {}, c.systemId), ' · ', c.owner ? `${c.owner.name} (${c.owner.code})` : 'owner not reported (chưa có báo cáo)'),
      c.reasons && c.reasons.length ? h('ul', { class: 'reasons', 'aria-label': 'Reasons' }, c.reasons.map((r) => h('li', {}, r))) : null,
      h('dl', {}, rows.map(([en, viText, value]) => [h('dt', {}, en, ' ', h('small', { lang: 'vi' }, `(${viText})`)), h('dd', {}, value)])),
    );
  }

  function lastError(e) {
    if (!e) return 'none since the gateway started';
    const leg = e.hop === 'SUBGRAPH' ? 'gateway → subgraph' : e.hop === 'BACKEND' ? 'subgraph → backend' : e.hop;
    return h('span', { class: 'error-text', 'data-error-code': e.code }, h('code', {}, e.code), ': ', e.message, ' ', h('span', { class: 'muted' }, '(', leg, ', ', when(e.at), ')'));
  }

  function uptime(u) {
    if (!u || u.ratio === null || u.ratio === undefined) return 'no probe yet';
    const percent = Math.round(u.ratio * 1000) / 10;
    return [
      h('meter', { min: 0, max: 1, low: 0.9, high: 0.99, optimum: 1, value: u.ratio }, `${percent}%`),
      `${percent}% of ${u.probes} probes`,
      u.since ? [' since ', when(u.since)] : null,
    ];
  }

  // ---- programme view ------------------------------------------------------------------------------

  function renderProgramme(data) {
    const blocks = [];
    const sources = new Map();
    const collect = (list) => {
      for (const s of list || []) if (!sources.has(s.id)) sources.set(s.id, s);
    };
    const figures = data.populationDbConnections && data.populationDbConnections.reportedFigures;
    if (Array.isArray(figures)) {
      figures.forEach((f) => collect(f.sources));
      blocks.push(figuresBlock(figures));
    }
    if (Array.isArray(data.provinces)) {
      data.provinces.forEach((p) => collect(p.populationDbConnection.sources));
      blocks.push(provincesBlock(data.provinces));
    }
    if (Array.isArray(data.agencies)) {
      const central = data.agencies.filter((a) => a.kind !== 'PROVINCE');
      central.forEach((a) => {
        collect(a.populationDbConnection.sources);
        a.sectorDatabases.forEach((db) => collect(db.populationDbConnection.sources));
      });
      blocks.push(agenciesBlock(central));
    }
    if (blocks.length === 0) return false;
    blocks.push(sourcesBlock([...sources.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))));
    fill($('programme-body'), blocks);
    return true;
  }

  /** The word a report put before a number (Qualifier), in English and as the Vietnamese reports write it. */
  const QUALIFIER_WORDS = { EXACT: '', MORE_THAN: 'more than ', ABOUT: 'about ', NEARLY: 'nearly ', AT_LEAST: 'at least ' };
  const qualified = (qualifier, text) => `${QUALIFIER_WORDS[qualifier] || ''}${text}`;
  const ucfirst = (text) => text.charAt(0).toUpperCase() + text.slice(1);

  /** A published figure as published: "63 of 63 localities", "More than 46,000,000 parcels", "connected: no". */
  function figureValue(f) {
    if (f.flag !== null && f.flag !== undefined) return `${f.unit ? words(f.unit) : 'Answer'}: ${f.flag ? 'yes' : 'no'}`;
    if (f.value === null || f.value === undefined) return '—';
    let text = qualified(f.qualifier, number(f.value));
    if (f.of !== null && f.of !== undefined) text += ` of ${number(f.of)}`;
    if (f.unit) text += ` ${f.unit}`;
    if (f.rate !== null && f.rate !== undefined) text += ` (${qualified(f.rateQualifier, `${Math.round(f.rate * 1000) / 10}%`)})`;
    return ucfirst(text);
  }

  /** Where the date of a figure comes from (AsOfBasis), said after it. */
  const AS_OF_BASIS = {
    STATED: '',
    PUBLICATION: ' (publication date: the report does not date the figure)',
    RECORDED: ' (as recorded; the report was not found)',
  };

  function figuresBlock(figures) {
    return h(
      'div',
      { class: 'block', id: 'figures' },
      h('h3', {}, bilingual('Published figures', 'số liệu đã công bố')),
      h('p', { class: 'explain-small' }, 'Aggregate counts as published. A count names no agency or province, so it gives none of them a status.'),
      h(
        'div',
        { class: 'figures' },
        figures.map((f) =>
          h(
            'article',
            { class: 'figure', 'data-figure': f.id },
            h('p', { class: 'value' }, figureValue(f)),
            h('p', {}, f.statement),
            f.quotation
              ? h('blockquote', { class: 'quotation' }, `“${f.quotation}”`)
              : h('p', { class: 'meta' }, 'Paraphrase: the published sentence was not found.'),
            f.valueAsPublished ? h('p', { class: 'meta' }, `Published as “${f.valueAsPublished}”`) : null,
            f.figures && f.figures.length
              ? h('p', {}, f.figures.map((x, i) => [i ? '; ' : '', `${words(x.name)}: ${qualified(x.qualifier, number(x.value))}`]))
              : null,
            f.note ? h('p', { class: 'meta' }, `Note: ${f.note}`) : null,
            h(
              'p',
              { class: 'meta' },
              'As of ',
              h('strong', { class: 'as-of' }, f.asOf),
              AS_OF_BASIS[f.asOfBasis] || '',
              ' · Source ',
              sourceText(f.sources) || '—',
            ),
          ),
        ),
      ),
    );
  }

  /** Each status with how many of `items` have it: the `shown` statuses always, any other when present. */
  function legend(items, statusOf, shown) {
    const counts = Object.fromEntries(shown.map((s) => [s, 0]));
    for (const item of items) counts[statusOf(item)] = (counts[statusOf(item)] || 0) + 1;
    const order = REPORTED_ORDER.filter((s) => s in counts).concat(Object.keys(counts).filter((s) => !REPORTED_ORDER.includes(s)));
    return h(
      'ul',
      { class: 'legend', 'aria-label': 'Legend' },
      order.map((status) => h('li', { 'data-legend': status, 'data-count': counts[status] }, badge(REPORTED_WORDS, status), ` ${counts[status]}`)),
    );
  }

  function provincesBlock(provinces) {
    const byRegion = new Map(Object.keys(REGIONS).map((r) => [r, []]));
    for (const p of provinces) {
      if (!byRegion.has(p.region)) byRegion.set(p.region, []);
      byRegion.get(p.region).push(p);
    }
    return h(
      'div',
      { class: 'block', id: 'provinces' },
      h('h3', {}, bilingual(`Provinces and centrally-run cities as reported on ${REPORTS_DAY}: ${provinces.length}`, 'tỉnh, thành phố trực thuộc trung ương')),
      h(
        'p',
        { class: 'meta' },
        'The one published figure that gives every province a status (connections.localities.2024-07) speaks of the units of its day. ',
        'Most of them were merged on 2025-07-01 (Nghị quyết 202/2025/QH15); each tile names the unit that holds its territory today.',
      ),
      legend(provinces, (p) => p.populationDbConnection.status, ['CONNECTED', 'NOT_CONNECTED', 'NOT_REPORTED']),
      h(
        'div',
        { class: 'regions' },
        [...byRegion].filter(([, list]) => list.length > 0).map(([region, list]) => {
          const [en, viText] = REGIONS[region] || [region, ''];
          return h(
            'div',
            { class: 'region', 'data-region': region },
            h('h4', {}, en, viText ? [' (', vi(viText), ')'] : null, ` — ${list.length}`),
            h('ul', { class: 'tiles' }, list.map(provinceTile)),
          );
        }),
      ),
    );
  }

  function provinceTile(p) {
    const r = p.populationDbConnection;
    const [, word] = REPORTED_WORDS[r.status] || ['', r.status];
    const today = (p.successorsOn || []).map((u) => u.officialName).join(', ');
    const title = [
      `${p.officialName} (${p.code}): ${word}`,
      p.validTo ? `until ${p.validTo}; today part of ${today || 'no unit'}` : null,
      r.asOf ? `as of ${r.asOf}` : 'no report speaks of it',
      r.since ? `connected since ${r.since}` : null,
      r.statement ? `“${r.statement}”` : null,
      r.sources.length ? `source ${sourceText(r.sources)}` : null,
    ].filter(Boolean).join(' · ');
    return h(
      'li',
      { class: `tile s-${r.status}`, 'data-province': p.code, 'data-status': r.status, title },
      h('span', { class: 'name' }, p.name),
      h('span', { class: 'word' }, `${p.code} · ${word}`),
      p.validTo ? h('span', { class: 'now', 'data-now': today }, `→ ${today}`) : null,
    );
  }

  /** As of, since and source of a report, in one line; null when it is not taken from a report. */
  function reportMeta(r) {
    if (!r.asOf && !r.since && r.sources.length === 0) return null;
    return h(
      'p',
      { class: 'meta' },
      r.asOf ? ['As of ', h('strong', { class: 'as-of' }, r.asOf)] : null,
      r.since ? `, connected since ${r.since}` : null,
      r.sources.length ? ` · Source ${sourceText(r.sources)}` : null,
    );
  }

  function agenciesBlock(agencies) {
    return h(
      'div',
      { class: 'block', id: 'agencies' },
      h('h3', {}, bilingual(`Ministries and central agencies of ${REPORTS_DAY}: ${agencies.length}`, 'bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ')),
      h(
        'p',
        { class: 'explain-small' },
        `The agencies that existed on ${REPORTS_DAY}, the date of the connection reports (on 2025-03-01 the Government became 14 ministries and 3 ministerial-level agencies, Nghị quyết 176/2025/QH15). Each agency’s own connection as reported. The Ministry of Public Security operates the national population database. A published count of connected ministries names none of them, so an agency no report names is NOT REPORTED, not “not connected”.`,
      ),
      legend(agencies, (a) => a.populationDbConnection.status, REPORTED_ORDER),
      h(
        'ul',
        { class: 'agencies' },
        agencies.map((a) => {
          const r = a.populationDbConnection;
          return h(
            'li',
            { class: 'agency', 'data-agency': a.code, 'data-status': r.status },
            h('div', { class: 'agency-head' }, badge(REPORTED_WORDS, r.status), ' ', h('code', {}, a.code), ' ', h('strong', {}, a.englishName)),
            h('p', { class: 'muted' }, vi(a.name), ' · ', KINDS[a.kind] ? bilingual(KINDS[a.kind][0], KINDS[a.kind][1]) : a.kind),
            r.statement ? h('p', {}, r.statement) : null,
            reportMeta(r),
            a.sectorDatabases.length
              ? h('ul', { class: 'sector-databases', 'aria-label': 'Sector databases' }, a.sectorDatabases.map(sectorDatabase))
              : null,
          );
        }),
      ),
    );
  }

  function sectorDatabase(db) {
    const r = db.populationDbConnection;
    return h(
      'li',
      { 'data-sector-database': db.englishName, 'data-status': r.status },
      'Sector database (',
      vi('CSDL chuyên ngành'),
      '): ',
      h('strong', {}, db.englishName),
      ' (',
      vi(db.name),
      ') ',
      badge(REPORTED_WORDS, r.status),
      r.statement ? h('p', {}, r.statement) : null,
      reportMeta(r),
    );
  }

  function sourcesBlock(sources) {
    return h(
      'div',
      { class: 'block', id: 'sources' },
      h('h3', {}, bilingual('Sources', 'nguồn')),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, ['ID', 'Publication', 'Published', 'Language', 'Document', 'Summary'].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            {},
            sources.map((s) =>
              h(
                'tr',
                { 'data-source': s.id },
                h('td', {}, s.id),
                h('td', {}, s.outlet || s.title ? [s.outlet || '', s.outlet && s.title ? ': ' : '', s.title ? (s.url ? h('a', { href: s.url, rel: 'noreferrer' }, s.title) : s.title) : ''] : 'not identified'),
                h('td', {}, s.published || 'unknown'),
                h('td', {}, s.language || '—'),
                h('td', {}, s.document ? h('code', {}, s.document) : '—'),
                h('td', {}, s.summary),
              ),
            ),
          ),
        ),
      ),
    );
  }

  // ---- refresh loop --------------------------------------------------------------------------------

  let lastUpdatedAt = null;

  let programmeAskedAt = 0;
  let programmeState = null;
  // The programme view comes from the public-services system: when its live status changes, ask again.
  let publicServicesStatus = null;

  function publicServicesStatusIn(result) {
    const connections = result.data && Array.isArray(result.data.connections) ? result.data.connections : [];
    const entry = connections.find((c) => c && c.systemId === 'public-services');
    return entry ? entry.status : null;
  }

  async function refresh() {
    const askProgramme = programmeState !== 'ok' || Date.now() - programmeAskedAt >= PROGRAMME_REFRESH_MS;
    if (askProgramme) programmeAskedAt = Date.now();
    const [liveResult, programmeResult] = await Promise.all([ask(LIVE_QUERY), askProgramme ? ask(PROGRAMME_QUERY) : null]);
    const at = new Date();
    if (programmeResult) programmeState = programme.update(programmeResult, renderProgramme, at);
    const status = publicServicesStatusIn(liveResult);
    if (status !== null) {
      if (publicServicesStatus !== null && status !== publicServicesStatus) programmeAskedAt = 0;
      publicServicesStatus = status;
    }
    const states = [live.update(liveResult, renderLive, at), programmeState];
    const line = $('refresh');
    if (liveResult.failure && (!programmeResult || programmeResult.failure)) {
      line.dataset.state = 'failed';
      line.textContent = `Refresh failed at ${clock(at)}: ${sentence(liveResult.failure)} ${lastUpdatedAt ? `Showing data from ${clock(lastUpdatedAt)}.` : 'No data yet.'}`;
    } else {
      lastUpdatedAt = at;
      line.dataset.state = states.every((s) => s === 'ok') ? 'ok' : 'partial';
      line.textContent = `Updated ${clock(at)}`;
    }
    line.title = `Live systems refresh every ${REFRESH_MS / 1000} s, the programme view every ${PROGRAMME_REFRESH_MS / 1000} s`;
  }

  async function loop() {
    try {
      await refresh();
    } catch (error) {
      // A defect of this page, not of the graph: say so, and keep trying.
      const line = $('refresh');
      line.dataset.state = 'failed';
      line.textContent = `Refresh failed: ${error && error.message}`;
    }
    setTimeout(loop, REFRESH_MS);
  }

  loop();
})();

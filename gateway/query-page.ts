import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { RouteHandler } from '../lib/runtime/http-server.ts';
import { documentStart, escapeHtml, newNonce, readInlineAsset, sendHtmlPage } from './page-security.ts';

/**
 * The query page: GraphiQL, served when a browser opens `/graphql` (lib/runtime/http-server.ts sends a GET
 * that prefers HTML here), with its headers editor and its docs explorer. GraphiQL comes prebuilt
 * from the npm package `@graphql-yoga/render-graphiql` (GraphiQL 5, React and the Monaco editor in
 * one script, the editor's three web workers, one stylesheet), served from this gateway under
 * `/graphiql/<version>/`: nothing is loaded from another origin, and nothing is built at install.
 * The package is read on the first request, so a gateway nobody browses never holds its 9 MB.
 */
export interface QueryPageOptions {
  graphqlPath: string;
  /** The schema may be introspected (not in production): the docs explorer and completion need it. */
  introspection: boolean;
  /**
   * Development only: the headers the headers editor starts with (the development officer's
   * `x-api-key` and purpose); the page then opens on the personal query they answer. Unset in production.
   */
  developmentHeaders?: Record<string, string>;
}

export interface QueryPage {
  /** The page itself, for lib/runtime/http-server.ts's `graphqlPage`. */
  page: RouteHandler;
  /** GraphiQL's script, stylesheet and workers, and this page's stylesheet. */
  assets: Record<string, RouteHandler>;
}

/** The README's portal query: the named household head's data across the four systems. */
export const PORTAL_QUERY = `query PortalPrefill($personalId: ID!) {
  citizen(personalId: $personalId) {
    personalId
    fullName
    dateOfBirth { text }
    sex
    permanentResidence {
      fullAddress province { code name }
      registeredOn asRegistered { fullAddress district province { id name validTo } }
    }
    household {
      members { relationship citizen { personalId fullName dateOfBirth { text } } }
    }
    birthRegistration { registrationNumber registeredOn { text } registryOffice }
    maritalStatus
    marriages { registrationNumber registeredOn { text } spouse { personalId fullName } }
    landParcels {
      parcelId area landUseType
      certificate { serialNumber }
      rightHolders { share citizen { personalId fullName } }
    }
  }
}
`;
export const PORTAL_VARIABLES = { personalId: '001085012345' };

/** Public data, answered without a credential: the gateway's live connections. */
export const PUBLIC_QUERY = `# Public data: answered without a credential.
query LiveConnections {
  connections {
    systemId name status latencyMs checkedAt
    owner { code name }
  }
}
`;

/** What the page's script (query-page.browser.js) reads from the page. */
interface PageConfig {
  /** GraphiQL's own options (renderYogaGraphiQL). */
  graphiql: Record<string, unknown>;
  /** Where each of the editor's workers is served, by Monaco's label. */
  workers: Record<string, string>;
}

/** The package's exports (typings/graphiql.d.ts): each a string. */
type GraphiQLBundle = Record<'js' | 'css' | 'editorWorkerService' | 'jsonWorker' | 'graphqlWorker', string>;

interface Asset {
  file: string;
  type: string;
  /** A web worker gets a policy of its own: it loads and fetches nothing. */
  worker?: boolean;
  content: (bundle: GraphiQLBundle) => string;
}

const require = createRequire(import.meta.url);
const GRAPHIQL_VERSION = (require('@graphql-yoga/render-graphiql/package.json') as { version: string }).version;
/** Versioned, so a browser may keep each file for good and a new package is fetched anew. */
const ASSET_BASE = `/graphiql/${GRAPHIQL_VERSION}/`;
const WORKERS = { editorWorkerService: 'editorWorkerService', json: 'jsonWorker', graphql: 'graphqlWorker' } as const;
const ASSETS: Asset[] = [
  { file: 'graphiql.js', type: 'text/javascript', content: (b) => b.js },
  { file: 'graphiql.css', type: 'text/css', content: (b) => b.css },
  ...Object.entries(WORKERS).map(([label, key]) => ({ file: `worker-${label}.js`, type: 'text/javascript', worker: true, content: (b: GraphiQLBundle) => b[key] })),
];

export function queryPage(options: QueryPageOptions): QueryPage {
  const pageScript = readInlineAsset(new URL('query-page.browser.js', import.meta.url));
  const pageStyle = readFileSync(new URL('query-page.css', import.meta.url), 'utf8');
  // Named by its content: it changes with this code, not with the package's version.
  const pageStylePath = `${ASSET_BASE}query-page.${createHash('sha256').update(pageStyle).digest('hex').slice(0, 12)}.css`;
  let bundle: Promise<GraphiQLBundle> | undefined;
  const loadBundle = () => (bundle ??= import('@graphql-yoga/render-graphiql/graphiql'));

  const config: PageConfig = {
    graphiql: graphiqlOptions(options),
    workers: Object.fromEntries(Object.keys(WORKERS).map((label) => [label, `${ASSET_BASE}worker-${label}.js`])),
  };
  // In a <script type="application/json">: no "<" may end it early.
  const configJson = JSON.stringify(config).replace(/</g, '\\u003c');

  const assets: Record<string, RouteHandler> = {
    [pageStylePath]: staticAsset('text/css', async () => pageStyle),
  };
  for (const asset of ASSETS) {
    assets[`${ASSET_BASE}${asset.file}`] = staticAsset(asset.type, async () => asset.content(await loadBundle()), asset.worker);
  }
  return {
    page: (_req, res) => {
      const nonce = newNonce();
      sendHtmlPage(res, pageHtml({ nonce, configJson, pageScript, pageStylePath, graphqlPath: options.graphqlPath }), {
        script: `'nonce-${nonce}'`,
        // The Monaco editor adds <style> elements and style attributes as it renders, with no way to
        // give them a nonce (microsoft/monaco-editor#271): without 'unsafe-inline' it loses its layout
        // and colours. Scripts stay nonce-only; styles cannot run code.
        style: "'self' 'unsafe-inline'",
        font: 'data:',
        worker: "'self'",
      });
    },
    assets,
  };
}

function graphiqlOptions(options: QueryPageOptions): Record<string, unknown> {
  const common = {
    endpoint: options.graphqlPath,
    title: 'Liên thông',
    logo: '',
    // A credential typed into the headers editor stays in this tab, never in the browser's storage.
    shouldPersistHeaders: false,
    // Without introspection there is no schema to ask for: GraphiQL then does not ask.
    ...(options.introspection ? {} : { schema: null }),
  };
  const headers = options.developmentHeaders;
  if (!headers) return { ...common, defaultTabs: [{ query: PUBLIC_QUERY }] };
  const headersText = JSON.stringify(headers, null, 2);
  const variablesText = JSON.stringify(PORTAL_VARIABLES, null, 2);
  return {
    ...common,
    // New tabs start with the same headers.
    headers: headersText,
    // GraphiQL takes the first tab's variables from here, not from the tab.
    variables: variablesText,
    defaultTabs: [
      { query: PORTAL_QUERY, variables: variablesText, headers: headersText },
      { query: PUBLIC_QUERY, headers: headersText },
    ],
  };
}

const gzipAsync = promisify(gzip);

/**
 * One file of the page, made on its first request and kept, compressed once for the browsers that
 * accept gzip (GraphiQL's script is 5 MB, about a quarter of that compressed).
 */
function staticAsset(type: string, content: () => Promise<string>, worker = false): RouteHandler {
  let prepared: Promise<{ body: Buffer; gzipped: Buffer; etag: string }> | undefined;
  const prepare = async () => {
    const body = Buffer.from(await content(), 'utf8');
    return { body, gzipped: await gzipAsync(body), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
  };
  return async (req: IncomingMessage, res: ServerResponse) => {
    const { body, gzipped, etag } = await (prepared ??= prepare());
    const headers: Record<string, string | number> = {
      'content-type': `${type}; charset=utf-8`,
      'cache-control': 'public, max-age=31536000, immutable',
      etag,
      vary: 'accept-encoding',
      'x-content-type-options': 'nosniff',
      'cross-origin-resource-policy': 'same-origin',
    };
    if (worker) headers['content-security-policy'] = "default-src 'none'";
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      return;
    }
    const useGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const sent = useGzip ? gzipped : body;
    res.writeHead(200, { ...headers, ...(useGzip ? { 'content-encoding': 'gzip' } : {}), 'content-length': sent.length });
    res.end(sent);
  };
}

function pageHtml(o: { nonce: string; configJson: string; pageScript: string; pageStylePath: string; graphqlPath: string }): string {
  const nonce = escapeHtml(o.nonce);
  return `${documentStart('Liên thông — GraphQL')}
<link rel="stylesheet" href="${ASSET_BASE}graphiql.css">
<link rel="stylesheet" href="${o.pageStylePath}">
</head>
<body>
<div id="graphiql" class="query-page"></div>
<noscript><p>This query page (GraphiQL) needs JavaScript. GraphQL is answered at <code>POST ${escapeHtml(o.graphqlPath)}</code>; the status page is at <a href="/status">/status</a>.</p></noscript>
<script type="application/json" id="query-page-config">${o.configJson}</script>
<script nonce="${nonce}" src="${ASSET_BASE}graphiql.js"></script>
<script nonce="${nonce}">
${o.pageScript}
</script>
</body>
</html>
`;
}

import type { ApolloServerPlugin } from '@apollo/server';

/**
 * A landing page that works on a closed network: plain HTML with inline script and style, no
 * CDN (Apollo's own landing pages load Sandbox/Explorer from the internet).
 */
const EXAMPLE = `query PortalPrefill($personalId: ID!) {
  citizen(personalId: $personalId) {
    personalId
    fullName
    dateOfBirth { text precision }
    permanentResidence { fullAddress province { code name } registeredOn asRegistered { fullAddress district } }
    household { members { relationship citizen { fullName } } }
    birthRegistration { registrationNumber registeredOn { text } }
    maritalStatus
    landParcels { parcelId area landUseType }
  }
}`;

export function landingPageHtml(graphqlPath: string): string {
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Liên thông — GraphQL</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #f6f7f9; }
  header { background: #a50e0e; color: #fff; padding: 12px 20px; }
  header h1 { margin: 0; font-size: 20px; }
  header p { margin: 2px 0 0; opacity: .9; }
  main { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; padding: 16px 20px; }
  label { font-weight: 600; display: block; margin: 8px 0 4px; }
  textarea, pre { width: 100%; box-sizing: border-box; font: 13px/1.4 ui-monospace, monospace; border: 1px solid #c8ccd2; border-radius: 6px; padding: 8px; background: #fff; }
  textarea#query { height: 340px; } textarea#variables { height: 70px; }
  pre { height: 452px; overflow: auto; margin: 0; white-space: pre-wrap; }
  button { margin-top: 10px; padding: 8px 18px; font-weight: 600; background: #a50e0e; color: #fff; border: 0; border-radius: 6px; cursor: pointer; }
  nav a { color: #fff; margin-right: 14px; }
</style>
</head>
<body>
<header>
  <h1>Liên thông</h1>
  <p>One GraphQL graph over the Project 06 data systems. Endpoint: <code>POST ${graphqlPath}</code></p>
  <nav><a href="/status">status page</a><a href="/health">/health</a><a href="/ready">/ready</a></nav>
</header>
<main>
  <section>
    <label for="query">Query</label>
    <textarea id="query" spellcheck="false">${escape(EXAMPLE)}</textarea>
    <label for="variables">Variables (JSON)</label>
    <textarea id="variables" spellcheck="false">{ "personalId": "001085012345" }</textarea>
    <button id="run" type="button">Run</button>
  </section>
  <section>
    <label for="result">Result</label>
    <pre id="result" aria-live="polite"></pre>
  </section>
</main>
<script>
  document.getElementById('run').addEventListener('click', async () => {
    const out = document.getElementById('result');
    let variables;
    try { variables = JSON.parse(document.getElementById('variables').value || '{}'); }
    catch (e) { out.textContent = 'Variables are not valid JSON: ' + e.message; return; }
    out.textContent = '…';
    try {
      const response = await fetch(${JSON.stringify(graphqlPath)}, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: document.getElementById('query').value, variables }),
      });
      out.textContent = JSON.stringify(await response.json(), null, 2);
    } catch (e) { out.textContent = 'Request failed: ' + e.message; }
  });
</script>
</body>
</html>`;
}

export function offlineLandingPage(graphqlPath: string): ApolloServerPlugin {
  const html = landingPageHtml(graphqlPath);
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html };
        },
      };
    },
  };
}

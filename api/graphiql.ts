// GraphiQL served from the installed @graphql-yoga/render-graphiql (its JS, CSS and editor
// workers are inlined: no CDN, works offline), with a token field above the editor. The token
// is kept in the browser's localStorage and sent as `Authorization: Bearer <token>` on the
// page's own requests to this server, unless the headers editor sets Authorization itself.
import type { GraphiQLOptions } from 'graphql-yoga';

/** The localStorage key of the token (one per browser profile and origin). */
export const TOKEN_KEY = 'strata.graphiql.token';

const TOKEN_BAR = /* HTML */ `
<div id="strata-token-bar">
  <label for="strata-token">API token</label>
  <input id="strata-token" type="password" autocomplete="off" spellcheck="false" placeholder="strata_... (npx strata token create)" />
  <button id="strata-token-forget" type="button">Forget</button>
  <span id="strata-token-note">kept in this browser only; sent as Authorization: Bearer</span>
</div>
<style>
  #strata-token-bar { display: flex; gap: 8px; align-items: center; height: 40px; padding: 0 12px; box-sizing: border-box;
    font: 13px system-ui, sans-serif; border-bottom: 1px solid #ccc; background: #f6f7f9; color: #333; }
  #strata-token { flex: 0 1 420px; padding: 4px 6px; font: 12px ui-monospace, monospace; }
  #strata-token-note { color: #777; }
  #root { height: calc(100vh - 40px) !important; }
</style>
<script>
(() => {
  const KEY = ${JSON.stringify(TOKEN_KEY)};
  const input = document.getElementById('strata-token');
  input.value = localStorage.getItem(KEY) || '';
  input.addEventListener('input', () => {
    const v = input.value.trim();
    if (v) localStorage.setItem(KEY, v); else localStorage.removeItem(KEY);
  });
  // a new token may see a different schema: ask GraphiQL to introspect again
  const refetch = () => document.querySelector('[aria-label^="Re-fetch GraphQL schema"]')?.click();
  input.addEventListener('change', refetch);
  document.getElementById('strata-token-forget').addEventListener('click', () => { localStorage.removeItem(KEY); input.value = ''; refetch(); });
  // installed before GraphiQL loads, so every request it makes to this server carries the token
  const send = window.fetch.bind(window);
  window.fetch = (resource, init) => {
    const token = localStorage.getItem(KEY);
    const url = new URL(resource instanceof Request ? resource.url : String(resource), location.href);
    if (!token || url.origin !== location.origin) return send(resource, init);
    const headers = new Headers(init && init.headers ? init.headers : resource instanceof Request ? resource.headers : undefined);
    if (!headers.has('authorization')) headers.set('authorization', 'Bearer ' + token);
    return send(resource, Object.assign({}, init, { headers }));
  };
})();
</script>`;

let page: Promise<string> | null = null;

/** The GraphiQL page: built once (the inlined bundle is ~9 MB), loaded only when first asked for. */
export function renderStrataGraphiQL(options: GraphiQLOptions): Promise<string> {
  page ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => {
    const html = renderGraphiQL(options);
    const body = html.indexOf('<div id="root">');
    if (body < 0) throw new Error('unexpected GraphiQL page layout: no #root');
    return html.slice(0, body) + TOKEN_BAR + html.slice(body);
  }).catch((e) => { page = null; throw e; });
  return page;
}

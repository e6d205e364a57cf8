/**
 * The demo page: one self-contained HTML document (no external resources, the demo has no
 * network beyond loopback). Its script reads /api/connection and /api/status and renders them
 * with textContent only, so nothing from a ClientHello is ever parsed as HTML.
 */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Staple demo</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d232a; background: #f6f7f9; }
  body { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
  h1 { margin-bottom: 0.2rem; }
  .lead { color: #4a5563; margin-top: 0; }
  section { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 0.8rem 1.2rem; margin: 1rem 0; }
  h2 { font-size: 1.1rem; margin: 0.2rem 0 0.6rem; }
  dl { display: grid; grid-template-columns: 12rem 1fr; gap: 0.25rem 1rem; margin: 0; }
  dt { color: #4a5563; }
  dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
  .status { font-weight: 700; padding: 0 0.4rem; border-radius: 4px; }
  .status-good { background: #d9f2de; color: #14522a; }
  .status-revoked { background: #fbdada; color: #7a1010; }
  .status-none, .status-unknown { background: #eceff3; color: #4a5563; }
  button { font: inherit; padding: 0.4rem 0.9rem; margin-right: 0.5rem; border-radius: 6px; border: 1px solid #8a96a3; background: #fff; cursor: pointer; }
  button.danger { border-color: #b42318; color: #b42318; }
  button:disabled { opacity: 0.5; cursor: wait; }
  table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
  th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid #eceff3; vertical-align: top; }
  td { font-family: ui-monospace, monospace; }
  #message { margin-top: 0.6rem; color: #4a5563; min-height: 1.2rem; }
  details summary { cursor: pointer; color: #4a5563; }
</style>
</head>
<body>
<h1>Staple demo</h1>
<p class="lead">OCSP stapling and RSA/ECDSA certificate selection for Node.js, all on this machine.</p>

<section id="connection">
  <h2>This connection</h2>
  <dl>
    <dt>Certificate served</dt><dd><span data-testid="cert-key-type">…</span> · serial <span data-testid="cert-serial">…</span></dd>
    <dt>Subject</dt><dd data-testid="cert-subject">…</dd>
    <dt>Must-Staple</dt><dd data-testid="cert-must-staple">…</dd>
    <dt>Staple sent in handshake</dt><dd data-testid="staple-sent">…</dd>
    <dt>Staple status now</dt><dd><span class="status" data-testid="staple-status">…</span></dd>
    <dt>thisUpdate</dt><dd data-testid="staple-this-update">…</dd>
    <dt>nextUpdate</dt><dd data-testid="staple-next-update">…</dd>
    <dt>Revoked at</dt><dd data-testid="staple-revocation">…</dd>
    <dt>Responder</dt><dd data-testid="staple-responder">…</dd>
    <dt>Negotiated</dt><dd data-testid="negotiated">…</dd>
  </dl>
</section>

<section id="client">
  <h2>Your client offered</h2>
  <dl>
    <dt>TLS versions</dt><dd data-testid="client-versions">…</dd>
    <dt>Signature schemes</dt><dd data-testid="client-sigalgs">…</dd>
    <dt>Groups</dt><dd data-testid="client-groups">…</dd>
    <dt>Cipher suites</dt><dd data-testid="client-ciphers">…</dd>
    <dt>ALPN</dt><dd data-testid="client-alpn">…</dd>
    <dt>SNI</dt><dd data-testid="client-sni">…</dd>
    <dt>Asked for a staple</dt><dd data-testid="client-status-request">…</dd>
    <dt>JA3</dt><dd data-testid="ja3-hash">…</dd>
    <dt>JA4</dt><dd data-testid="ja4">…</dd>
  </dl>
  <details><summary>JA3 string</summary><p data-testid="ja3"></p></details>
</section>

<section id="controls">
  <h2>Try it</h2>
  <button class="danger" data-testid="revoke">Revoke this certificate at the responder</button>
  <button data-testid="unrevoke">Un-revoke</button>
  <button data-testid="refresh">Refresh staples now</button>
  <p>Revoking changes only what the responder says. The server keeps stapling its last response
  until it refreshes (at half the response's validity, or now with the button); then every new
  handshake carries the <code>revoked</code> response, and clients that check staples refuse it.</p>
  <div id="message" data-testid="message" role="status"></div>
</section>

<section id="status">
  <h2>Every certificate</h2>
  <table>
    <thead><tr><th>Certificate</th><th>Status</th><th>thisUpdate</th><th>nextUpdate</th><th>Next refresh</th><th>Fetches / failures</th><th>Last error</th></tr></thead>
    <tbody data-testid="status-rows"></tbody>
  </table>
</section>

<script>
(() => {
  const $ = (id) => document.querySelector('[data-testid="' + id + '"]');
  const put = (id, value) => { $(id).textContent = value === undefined || value === null || value === '' ? '–' : String(value); };
  const list = (value) => Array.isArray(value) && value.length ? value.join(', ') : '–';
  const time = (value) => value ? new Date(value).toISOString().replace(/.d{3}Z$/, 'Z') : '–';
  const statusClass = (el, status) => { el.className = 'status status-' + (status || 'none'); };
  let served;

  async function getJson(path, init) {
    const res = await fetch(path, { cache: 'no-store', ...init });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  }

  function renderConnection(facts) {
    if (!facts) { put('cert-key-type', 'not served by Staple'); return; }
    // client and fingerprint are null when the server does not read hellos (clientHello: false).
    const c = facts.certificate, s = facts.staple, h = facts.client || {}, f = facts.fingerprint || {}, n = facts.negotiated;
    const heard = facts.client !== null && facts.client !== undefined;
    served = c.serialNumber;
    put('cert-key-type', c.keyType.toUpperCase());
    put('cert-serial', c.serialNumber);
    put('cert-subject', c.subject);
    put('cert-must-staple', c.mustStaple ? 'yes (RFC 7633)' : 'no');
    put('staple-sent', s.stapled ? 'yes' : !heard ? 'no' : h.statusRequest ? 'no (none was ready)' : 'no (your client did not ask)');
    put('staple-status', s.status);
    statusClass($('staple-status'), s.status);
    put('staple-this-update', time(s.thisUpdate));
    put('staple-next-update', time(s.nextUpdate));
    put('staple-revocation', s.revocationTime ? time(s.revocationTime) + (s.revocationReason ? ' (' + s.revocationReason + ')' : '') : '–');
    put('staple-responder', s.responderUrl);
    put('negotiated', [n.protocol, n.cipher, n.alpnProtocol].filter(Boolean).join(' · '));
    put('client-versions', list(h.versions));
    put('client-sigalgs', list(h.signatureSchemes));
    put('client-groups', list(h.groups));
    put('client-ciphers', list(h.cipherSuites));
    put('client-alpn', list(h.alpn));
    put('client-sni', h.sni);
    put('client-status-request', !heard ? undefined : h.statusRequest ? 'yes' : 'no');
    put('ja3-hash', f.ja3Hash);
    put('ja3', f.ja3);
    put('ja4', f.ja4);
  }

  function renderStatus(body) {
    const rows = $('status-rows');
    rows.replaceChildren();
    for (const c of body.certificates) {
      const tr = document.createElement('tr');
      tr.dataset.serial = c.serialNumber;
      const cells = [
        c.keyType.toUpperCase() + ' ' + c.serialNumber + (c.serialNumber === served ? ' (this connection)' : ''),
        c.status, time(c.thisUpdate), time(c.nextUpdate), time(c.nextRefresh),
        c.fetches + ' / ' + c.failures, c.lastError ? c.lastError.code + ': ' + c.lastError.message : '–',
      ];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i === 1) { td.className = 'status status-' + text; td.dataset.testid = 'row-status'; }
        tr.append(td);
      });
      rows.append(tr);
    }
  }

  async function load() {
    const [connection, status] = await Promise.all([getJson('/api/connection'), getJson('/api/status')]);
    renderConnection(connection.facts);
    renderStatus(status);
  }

  async function act(button, path, message) {
    const buttons = document.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const body = path === '/api/refresh' ? undefined : JSON.stringify({ serialNumber: served });
      await getJson(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await load();
      put('message', message());
    } catch (error) {
      put('message', 'failed: ' + error.message);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  $('revoke').addEventListener('click', (e) => act(e.target, '/api/revoke', () => 'Revoked ' + served + ' at the responder. Refresh to staple the new answer.'));
  $('unrevoke').addEventListener('click', (e) => act(e.target, '/api/unrevoke', () => 'The responder says good again for ' + served + '. Refresh to staple it.'));
  $('refresh').addEventListener('click', (e) => act(e.target, '/api/refresh', () => 'Staples refreshed: this certificate is now ' + $('staple-status').textContent + '.'));
  load().then(() => { document.body.dataset.loaded = 'true'; }, (error) => put('message', 'could not load: ' + error.message));
  setInterval(() => { getJson('/api/status').then(renderStatus, () => {}); }, 10000);
})();
</script>
</body>
</html>
`;

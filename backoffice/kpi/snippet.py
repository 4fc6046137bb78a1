"""The copy-paste JavaScript a front office drops into its pages to send visits and page views to /api/events."""

SNIPPET = """<script>
/* Backoffice usage events: a visit per browser session, a page view per page; backofficeTrack(type, props, email)
   for the rest (signup_started, signup_completed, login, product_viewed, cart_add, checkout_started,
   order_placed). Use an API key with only the events:write scope: it is visible in the page. */
(function () {
  var KEY = 'PASTE-AN-EVENTS-ONLY-API-KEY', URL = '__URL__/api/events';
  function id() { return window.crypto && crypto.randomUUID ? crypto.randomUUID() : Date.now() + '-' + Math.random(); }
  var anon = localStorage.getItem('bo_anon') || id(), session = sessionStorage.getItem('bo_session'), batch = [];
  localStorage.setItem('bo_anon', anon);
  function event(type, props, email) {
    return {id: id(), type: type, ts: new Date().toISOString(), anonymous_id: anon, session_id: session,
            customer_email: email || undefined, props: props || undefined};
  }
  function send(events) {
    fetch(URL, {method: 'POST', keepalive: true, body: JSON.stringify({events: events}),
                headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + KEY}})
      .catch(function () {});
  }
  if (!session) { session = id(); sessionStorage.setItem('bo_session', session); batch.push(event('visit')); }
  batch.push(event('page_view', {path: location.pathname, referrer: document.referrer || undefined}));
  send(batch);
  window.backofficeTrack = function (type, props, email) { send([event(type, props, email)]); };
})();
</script>"""


def snippet(base_url: str) -> str:
    return SNIPPET.replace('__URL__', base_url.rstrip('/'))

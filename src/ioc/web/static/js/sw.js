/* sw.js — the citizen app's service worker, served from /sw.js (scope: the whole site) with
 * its configuration filled in by the server: the static files' version, the shell to keep and
 * the pages usable without a network.
 *
 * - Static files (/static/…): cache first; the cache is named after the version, so a new
 *   deployment starts a new cache and the old one is deleted when the new worker activates.
 * - Pages: network first; without a network the kept anonymous copy of the report form, else
 *   the offline page. Pages from the network are never stored: they may be personal. The kept
 *   copies are marked (data-signed-in="copy") so that outbox.js can adapt them to a person
 *   signed in on this phone.
 * - The report form's map (Leaflet, map.js, the base map's GeoJSON layers) is kept too, best
 *   effort; the layers (/geo/…) go network first, the kept copy when there is no network.
 * - Anything else (POST, API, photos, personal data) goes to the network untouched.
 * - Background Sync "ioc-outbox": sends the reports kept on the phone (outbox.js).
 */
/* global self, caches, importScripts, IocOutbox */
'use strict';

var CONFIG = /*CONFIG*/{};
var VERSION = CONFIG.version || 'dev';
var STATIC_CACHE = 'ioc-static-' + VERSION;
var PAGE_CACHE = 'ioc-pages-' + VERSION;
var MAP_CACHE = 'ioc-map-' + VERSION;

importScripts('/static/js/outbox.js?v=' + VERSION);

self.addEventListener('install', function (event) {
  event.waitUntil(Promise.all([
    caches.open(STATIC_CACHE).then(function (cache) {
      return cache.addAll(CONFIG.shell || []);
    }),
    caches.open(PAGE_CACHE).then(function (cache) {
      // Without cookies: the copy kept is the one anybody would see.
      return Promise.all((CONFIG.pages || []).map(function (path) {
        return fetch(path, { credentials: 'omit' }).then(function (response) {
          if (!response.ok) return null;
          return response.text().then(function (html) {
            var headers = new Headers(response.headers);
            headers.delete('Content-Length');
            headers.delete('Content-Encoding');
            return cache.put(path, new Response(markCopy(html), { status: 200, headers: headers }));
          });
        });
      }));
    }),
    keepAll(STATIC_CACHE, CONFIG.map || []),
    keepAll(MAP_CACHE, CONFIG.layers || []),
  ]).then(function () { return self.skipWaiting(); }));
});

/* The anonymous copy says so: outbox.js shows it as the signed-in person's when the phone
   remembers one (no name kept: the server knows who sends, from the session cookie). */
function markCopy(html) {
  return html.replace('data-signed-in="0"', 'data-signed-in="copy"');
}

/* Best effort: each file on its own, a failure leaves the others. */
function keepAll(name, urls) {
  return caches.open(name).then(function (cache) {
    return Promise.all(urls.map(function (url) {
      return fetch(url).then(function (response) {
        return response.ok ? cache.put(url, response) : null;
      }).catch(function () { return null; });
    }));
  });
}

function mapLayer(request, url) {
  return caches.open(MAP_CACHE).then(function (cache) {
    return fetch(request).then(function (response) {
      if (response.ok) cache.put(url.pathname, response.clone());
      return response;
    }).catch(function () {
      return cache.match(url.pathname, { ignoreSearch: true, ignoreVary: true }).then(function (hit) {
        return hit || Response.error();
      });
    });
  });
}

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.map(function (name) {
      if (/^ioc-(static|pages|map)-/.test(name) && [STATIC_CACHE, PAGE_CACHE, MAP_CACHE].indexOf(name) < 0) {
        return caches.delete(name);
      }
      return null;
    }));
  }).then(function () { return self.clients.claim(); }));
});

function offlinePage(url) {
  return caches.open(PAGE_CACHE).then(function (cache) {
    return cache.match(url.pathname).then(function (hit) {
      return hit || cache.match('/offline');
    });
  }).then(function (hit) {
    return hit || new Response('Offline', { status: 503, headers: { 'Content-Type': 'text/plain' } });
  });
}

function fromCacheFirst(request) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      if (hit) return hit;
      return fetch(request).then(function (response) {
        // Only versioned URLs (and fonts) are kept: they never change under the same name.
        var url = new URL(request.url);
        if (response.ok && (url.searchParams.has('v') || url.pathname.indexOf('/static/vendor/fonts/') === 0)) {
          cache.put(request, response.clone());
        }
        return response;
      }).catch(function () {
        // A static file asked without its version (or with an old one) while offline.
        return cache.match(request, { ignoreSearch: true }).then(function (any) {
          return any || Response.error();
        });
      });
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(function () { return offlinePage(url); }));
    return;
  }
  if (url.pathname.indexOf('/geo/') === 0 && /\.geojson$/.test(url.pathname)) {
    event.respondWith(mapLayer(request, url));
    return;
  }
  if (url.pathname.indexOf('/static/') === 0 && url.pathname !== '/static/js/sw.js') {
    event.respondWith(fromCacheFirst(request));
  }
});

self.addEventListener('sync', function (event) {
  if (event.tag === 'ioc-outbox') {
    event.waitUntil(IocOutbox.flush().then(function (result) {
      return self.clients.matchAll().then(function (clients) {
        clients.forEach(function (c) { c.postMessage({ type: 'ioc-outbox', result: result }); });
      });
    }));
  }
});

self.addEventListener('message', function (event) {
  if (event.data && event.data.type === 'ioc-outbox-flush') {
    event.waitUntil(IocOutbox.flush());
  }
});

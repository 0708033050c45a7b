/* console.js — the overview's live behaviour: the event feed over server-sent events, and the
 * refresh of the figures, the map layers and the alert inbox when something happens.
 *
 * [data-console-overview] carries data-live-url, data-tiles-url and data-i18n. EventSource
 * reconnects by itself and sends Last-Event-ID, so the server replays what was missed; a
 * "dropped" message (this screen fell behind) closes it and opens a fresh one.
 * Refreshes are debounced: a burst of events costs one request per panel.
 */
(function () {
  'use strict';

  var MAX_ITEMS = 60;
  var REFRESH_DELAY = 1500;

  function debounce(fn, wait) {
    var timer = null;
    return function () {
      if (timer) window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        timer = null;
        fn();
      }, wait);
    };
  }

  var SVG = 'http://www.w3.org/2000/svg';
  var TONE_ICONS = { ok: 'check', info: 'info', warn: 'warning', bad: 'x', neutral: 'minus' };

  function icon(name) {
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'icon');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var use = document.createElementNS(SVG, 'use');
    use.setAttribute('href', '/static/img/icons.svg#i-' + name);
    svg.appendChild(use);
    return svg;
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function start(root) {
    var i18n = {};
    try {
      i18n = JSON.parse(root.dataset.i18n || '{}');
    } catch (e) {
      i18n = {};
    }
    var list = root.querySelector('[data-live-list]');
    var empty = root.querySelector('[data-live-empty]');
    var status = document.querySelector('[data-live-status]');
    var statusText = document.querySelector('[data-live-text]');
    var updated = document.querySelector('[data-updated]');
    var mapEl = root.querySelector('[data-ioc-map]');
    var source = null;
    var seen = {};
    // The picture's newest event (its list is ordered by time, not by id).
    var lastId = Number(root.dataset.lastEventId) || 0;
    Array.prototype.forEach.call(list.querySelectorAll('[data-event-id]'), function (li) {
      seen[li.dataset.eventId] = true;
      lastId = Math.max(lastId, Number(li.dataset.eventId) || 0);
    });

    function setState(state) {
      if (!status) return;
      status.dataset.state = state;
      if (statusText) {
        statusText.textContent =
          state === 'live' ? i18n.live : state === 'offline' ? i18n.offline : i18n.connecting;
      }
    }

    function timeLabel(iso) {
      var d = new Date(iso);
      var pad = function (n) {
        return (n < 10 ? '0' : '') + n;
      };
      return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
    }

    function addEvent(data) {
      if (seen[data.id]) return;
      seen[data.id] = true;
      var li = el('li', 'event event--' + data.tone + ' event--new');
      li.dataset.eventId = data.id;
      li.dataset.type = data.type;
      var body = el('div');
      var title = el('p', 'event__title');
      if (data.href) {
        var a = el('a', null, data.title);
        a.href = data.href;
        title.appendChild(a);
      } else {
        title.textContent = data.title;
      }
      body.appendChild(title);
      var meta = el('div', 'event__meta');
      var badge = el('span', 'badge badge--' + data.tone);
      badge.appendChild(icon(TONE_ICONS[data.tone] || 'minus'));
      badge.appendChild(document.createTextNode(i18n[data.tone] || data.severity));
      meta.appendChild(badge);
      body.appendChild(meta);
      li.appendChild(body);
      var when = el('span', 'event__time');
      // ioc.js keeps time[data-relative] current ("2 phút trước"); the title gives the clock time.
      var time = el('time', null, i18n.now || timeLabel(data.time));
      time.setAttribute('datetime', data.time);
      time.setAttribute('data-relative', '');
      time.setAttribute('title', timeLabel(data.time));
      when.appendChild(time);
      li.appendChild(when);
      list.insertBefore(li, list.firstChild);
      while (list.children.length > MAX_ITEMS) list.removeChild(list.lastChild);
      if (empty) empty.hidden = true;
      window.setTimeout(function () {
        li.classList.remove('event--new');
      }, 4000);
    }

    var refreshTiles = debounce(function () {
      if (!window.htmx || !root.dataset.tilesUrl) return;
      window.htmx
        .ajax('GET', root.dataset.tilesUrl, { target: '#ov-figures', swap: 'outerHTML' })
        .then(function () {
          var fresh = document.getElementById('ov-figures');
          if (updated && fresh && fresh.dataset.updated) updated.textContent = fresh.dataset.updated;
        });
    }, REFRESH_DELAY);

    var refreshMap = debounce(function () {
      var handle = mapEl && mapEl.iocMap;
      if (!handle) return;
      var overlays = [];
      try {
        overlays = JSON.parse(mapEl.dataset.mapOverlays || '[]');
      } catch (e) {
        overlays = [];
      }
      overlays.forEach(function (spec) {
        var layer = handle.layers[spec.code];
        if (!layer || !layer.clearLayers) return;
        fetch(spec.url, { credentials: 'same-origin', headers: { Accept: 'application/geo+json' } })
          .then(function (r) {
            if (!r.ok) throw new Error('HTTP ' + r.status);
            return r.json();
          })
          .then(function (data) {
            layer.clearLayers();
            layer.addData(data);
            scaleMarkers(layer);
          })
          .catch(function () {});
      });
    }, REFRESH_DELAY * 2);

    function onEvent(message) {
      var data;
      try {
        data = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      lastId = Math.max(lastId, Number(data.id) || 0);
      addEvent(data);
      document.body.dispatchEvent(new CustomEvent('ioc:live', { detail: data }));
      if (data.type.indexOf('alert.') === 0) {
        document.body.dispatchEvent(new CustomEvent('ioc:alerts', { detail: data }));
      }
      refreshTiles();
      if (data.type.indexOf('report.') === 0) refreshMap();
    }

    function connect() {
      if (!window.EventSource || !root.dataset.liveUrl) return;
      // The first connection (and one after a drop) asks for what came since the page's last
      // event; EventSource's own reconnects send Last-Event-ID.
      source = new EventSource(root.dataset.liveUrl + (lastId ? '?after=' + lastId : ''));
      source.addEventListener('open', function () {
        setState('live');
      });
      source.addEventListener('error', function () {
        setState(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
      });
      source.addEventListener('event', onEvent);
      source.addEventListener('dropped', function () {
        // The server let this screen go (it fell behind): start again, catching up.
        source.close();
        window.setTimeout(connect, 500);
      });
    }

    // The menu's open-alert count follows the alert panel, which reloads on alert events.
    function updateAlertBadge(panel) {
      var link = document.querySelector('.sidebar__link[href="/console/alerts"]');
      if (!panel || !link || panel.dataset.openCount === undefined) return;
      var count = Number(panel.dataset.openCount) || 0;
      var badge = link.querySelector('[data-nav-badge="alerts"]');
      if (!count) {
        if (badge) badge.remove();
        return;
      }
      if (!badge) {
        badge = document.createElement('span');
        badge.dataset.navBadge = 'alerts';
        badge.setAttribute('aria-hidden', 'true');
        link.appendChild(badge);
      }
      badge.className =
        'sidebar__badge sidebar__badge--' + (panel.dataset.openCritical === '1' ? 'bad' : 'warn');
      badge.textContent = String(count);
      var described = document.getElementById('nav-badge-alerts');
      if (described) described.textContent = described.textContent.replace(/\d+/, String(count));
    }
    document.body.addEventListener('htmx:afterSwap', function (event) {
      if (event.target && event.target.id === 'ov-alerts') {
        updateAlertBadge(event.target.querySelector('[data-open-count]'));
      }
    });

    // Fit the province to the panel once drawn, and again when the panel changes size (the
    // wall's layout settles after the fonts load; a window moves to another screen).
    function fitProvince() {
      var handle = mapEl && mapEl.iocMap;
      var province = handle && handle.layers.province;
      if (!province || !province.getBounds) return;
      var bounds = province.getBounds();
      if (!bounds.isValid()) return;
      handle.map.invalidateSize({ animate: false });
      handle.map.setMaxBounds(null);
      handle.map.fitBounds(bounds, { animate: false, padding: [16, 16] });
      handle.map.setMaxBounds(bounds.pad(1.2));
    }
    // On a 4K wall the page is drawn at twice the size (console.css), but Leaflet draws in
    // pixels: make markers and lines as much larger, so they read from across the room.
    function scaleMarkers(layer) {
      var scale = parseFloat(window.getComputedStyle(document.documentElement).fontSize) / 16;
      if (!(scale > 1.2) || !layer || !layer.eachLayer) return;
      layer.eachLayer(function (leaf) {
        if (leaf.eachLayer) return scaleMarkers(leaf);
        if (leaf._iocScaled) return;
        leaf._iocScaled = true;
        if (leaf.setRadius && leaf.options.radius) leaf.setRadius(leaf.options.radius * scale);
        if (leaf.setStyle && leaf.options.weight) leaf.setStyle({ weight: leaf.options.weight * scale });
      });
    }
    function scaleAll() {
      var handle = mapEl && mapEl.iocMap;
      if (!handle) return;
      Object.keys(handle.layers).forEach(function (code) {
        scaleMarkers(handle.layers[code]);
      });
    }
    if (mapEl) {
      mapEl.addEventListener('ioc:mapready', fitProvince);
      mapEl.addEventListener('ioc:mapready', scaleAll);
      if (window.ResizeObserver) new ResizeObserver(debounce(fitProvince, 200)).observe(mapEl);
    }

    connect();
    window.addEventListener('pagehide', function () {
      if (source) source.close();
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-console-overview]'), start);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();

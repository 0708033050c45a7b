/* outbox.js — reports kept on the phone until they are sent.
 *
 * A report is first put in IndexedDB (its fields and its photos as blobs) under the
 * idempotency key made on the phone, then sent; without a network it waits and is sent when
 * the network returns (the "online" event, the next visit, or Background Sync in the service
 * worker, which loads this file too). Sending is serialised across tabs and the worker with a
 * Web Lock, and the server returns the first report for a key it has seen, so each report is
 * filed exactly once.
 *
 * In a page it also registers the service worker, shows the number waiting as a badge on the
 * "My reports" links and draws the list of reports waiting to be sent ([data-outbox]).
 * Strings come from #outbox-i18n (translated by the server).
 */
(function (root) {
  'use strict';

  var DB_NAME = 'ioc-outbox';
  var STORE = 'items';
  var LOCK = 'ioc-outbox';
  var KEEP_SENT_MS = 3 * 24 * 3600 * 1000;

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = root.indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore(STORE, { keyPath: 'key' });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var store = t.objectStore(STORE);
        var result;
        Promise.resolve(work(store)).then(function (r) { result = r; });
        t.oncomplete = function () { db.close(); resolve(result); };
        t.onerror = function () { db.close(); reject(t.error); };
        t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function all() {
    return tx('readonly', function (store) { return request(store.getAll()); }).then(function (items) {
      return (items || []).sort(function (a, b) { return b.created - a.created; });
    });
  }

  function get(key) {
    return tx('readonly', function (store) { return request(store.get(key)); });
  }

  function put(item) {
    return tx('readwrite', function (store) { return request(store.put(item)); });
  }

  function remove(key) {
    return tx('readwrite', function (store) { return request(store.delete(key)); });
  }

  function newKey() {
    if (root.crypto && root.crypto.randomUUID) return root.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    root.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function withLock(work) {
    if (root.navigator && root.navigator.locks) return root.navigator.locks.request(LOCK, work);
    return work();
  }

  /* One attempt to send one item; resolves to the item with its new state:
     sent (with code), pending (no network: try later), invalid (the server refused the
     fields) or error (anything else; the person can retry). */
  function send(item, interactive) {
    return root.fetch('/csrf-token', { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) throw new Error('csrf ' + r.status);
        return r.json();
      })
      .then(function (body) {
        var data = new FormData();
        item.fields.forEach(function (pair) {
          if (pair[0] !== 'csrf_token' && pair[0] !== 'photos') data.append(pair[0], pair[1]);
        });
        data.set('idempotency_key', item.key);
        (item.photos || []).forEach(function (p) { data.append('photos', p.blob, p.name); });
        return root.fetch(item.url || '/reports/new', {
          method: 'POST',
          body: data,
          credentials: 'same-origin',
          headers: {
            'X-CSRF-Token': body.token,
            'X-IOC-Outbox': interactive ? 'interactive' : 'queued',
            Accept: 'application/json',
          },
        });
      })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          item.attempts = (item.attempts || 0) + 1;
          if (response.ok && body.code) {
            item.state = 'sent';
            item.code = body.code;
            item.sent = Date.now();
            item.photos = []; // the server has them now: free the phone's storage
            item.error = '';
          } else if (response.status === 422) {
            item.state = 'invalid';
            item.error = body.message || '';
            item.fieldErrors = body.errors || {};
          } else {
            item.state = 'error';
            item.error = body.message || ('HTTP ' + response.status);
          }
          return item;
        });
      }, function () {
        item.state = 'pending'; // no network (fetch rejects): wait for the next chance
        return item;
      });
  }

  function sendKey(key, interactive) {
    return withLock(function () {
      return get(key).then(function (item) {
        if (!item || item.state === 'sent') return item;
        return send(item, interactive).then(function (done) {
          return put(done).then(function () { return done; });
        });
      });
    });
  }

  /* Send every waiting item, oldest first; forget sent ones after a few days. */
  function flush() {
    return withLock(function () {
      return all().then(function (items) {
        var now = Date.now();
        var chain = Promise.resolve();
        var result = { sent: 0, waiting: 0, failed: 0 };
        items.slice().reverse().forEach(function (item) {
          if (item.state === 'sent') {
            if (now - (item.sent || item.created) > KEEP_SENT_MS) chain = chain.then(function () { return remove(item.key); });
            return;
          }
          if (item.state !== 'pending') { result.failed += 1; return; }
          chain = chain.then(function () {
            return send(item, false).then(function (done) {
              if (done.state === 'sent') result.sent += 1;
              else if (done.state === 'pending') result.waiting += 1;
              else result.failed += 1;
              return put(done);
            });
          });
        });
        return chain.then(function () { return result; });
      });
    });
  }

  var api = {
    all: all, get: get, put: put, remove: remove, newKey: newKey,
    flush: flush, sendKey: sendKey,
  };
  root.IocOutbox = api;

  if (typeof document === 'undefined') return; // in the service worker: the queue only

  /* ---- In a page: registration, badge, list ---- */

  var strings = {};
  function t(name, fallback) { return strings[name] || fallback; }

  function registerWorker() {
    if (!('serviceWorker' in navigator)) return;
    // After the page has loaded, so that keeping the shell does not compete with the page.
    var register = function () {
      navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function () {});
    };
    if (document.readyState === 'complete') register();
    else root.addEventListener('load', register);
    navigator.serviceWorker.addEventListener('message', function (event) {
      if (event.data && event.data.type === 'ioc-outbox') render();
    });
  }

  function requestSync() {
    if (!('serviceWorker' in navigator)) return Promise.resolve();
    return navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) return reg.sync.register('ioc-outbox').catch(function () {});
      return null;
    }).catch(function () {});
  }
  api.requestSync = requestSync;

  function formatTime(ms) {
    try {
      return new Date(ms).toLocaleString(document.documentElement.lang === 'en' ? 'en-GB' : 'vi-VN', {
        hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit',
      });
    } catch (e) { return new Date(ms).toISOString(); }
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function icon(name) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('class', 'icon icon--sm');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var use = document.createElementNS(ns, 'use');
    use.setAttribute('href', '/static/img/icons.svg#i-' + name);
    svg.appendChild(use);
    return svg;
  }

  /* Status in words and colour together, with an icon (never colour alone). */
  function badgeFor(item) {
    var badge;
    if (item.state === 'sent') badge = el('span', 'badge badge--ok', t('sent', 'Sent') + ' — ' + item.code);
    else if (item.state === 'pending') badge = el('span', 'badge badge--warn', t('waiting', 'Waiting to send'));
    else badge = el('span', 'badge badge--bad', t('failed', 'Not sent'));
    badge.insertBefore(icon(item.state === 'sent' ? 'check' : item.state === 'pending' ? 'clock' : 'x'), badge.firstChild);
    return badge;
  }

  function itemRow(item) {
    var li = el('li', 'outbox-item outbox-item--' + item.state);
    li.dataset.outboxKey = item.key;
    li.dataset.state = item.state;
    var head = el('div', 'outbox-item__head');
    head.appendChild(badgeFor(item));
    head.appendChild(el('span', 'muted', formatTime(item.created)));
    li.appendChild(head);
    li.appendChild(el('strong', 'outbox-item__title', item.title || t('report', 'Report')));
    if (item.excerpt) li.appendChild(el('p', 'outbox-item__excerpt', item.excerpt));
    if (item.photos && item.photos.length) {
      li.appendChild(el('p', 'muted', t('photos', '{n} photos').replace('{n}', item.photos.length)));
    }
    var actions = el('div', 'outbox-item__actions');
    if (item.state === 'sent') {
      var link = el('a', 'btn btn--secondary btn--sm', t('open', 'Open'));
      link.href = '/reports/' + encodeURIComponent(item.code);
      actions.appendChild(link);
    } else {
      if (item.state !== 'pending') {
        var why = item.state === 'invalid' ? t('invalid', 'Check the report') : t('error', 'Could not send');
        var details = item.fieldErrors ? Object.keys(item.fieldErrors).map(function (k) { return item.fieldErrors[k]; }).join(' ') : '';
        li.appendChild(el('p', 'field__error', why + (details ? ': ' + details : item.error ? ' (' + item.error + ')' : '')));
        var retry = el('button', 'btn btn--primary btn--sm', t('retry', 'Try again'));
        retry.type = 'button';
        retry.addEventListener('click', function () {
          item.state = 'pending';
          put(item).then(function () { return sendKey(item.key, false); }).then(render);
        });
        actions.appendChild(retry);
      }
      var drop = el('button', 'btn btn--secondary btn--sm', t('remove', 'Delete'));
      drop.type = 'button';
      drop.addEventListener('click', function () {
        if (root.confirm(t('confirmRemove', 'Delete this report from your phone?'))) remove(item.key).then(render);
      });
      actions.appendChild(drop);
    }
    li.appendChild(actions);
    return li;
  }

  function render() {
    return all().then(function (items) {
      var waiting = items.filter(function (i) { return i.state !== 'sent'; }).length;
      Array.prototype.forEach.call(document.querySelectorAll('a[href="/me/reports"]'), function (a) {
        var badge = a.querySelector('.count-badge');
        if (!waiting) { if (badge) badge.remove(); return; }
        if (!badge) {
          badge = el('span', 'count-badge');
          a.appendChild(badge);
        }
        badge.textContent = String(waiting);
        badge.setAttribute('aria-label', t('badge', '{n} waiting to send').replace('{n}', waiting));
      });
      Array.prototype.forEach.call(document.querySelectorAll('[data-outbox]'), function (box) {
        var list = box.querySelector('[data-outbox-list]');
        if (!list) return;
        list.textContent = '';
        items.forEach(function (item) { list.appendChild(itemRow(item)); });
        box.hidden = items.length === 0;
        // When nothing waits any more, the list is what this phone sent lately.
        var title = box.querySelector('[data-outbox-title]');
        if (title) title.textContent = waiting ? t('waiting', 'Waiting to send') : t('sentTitle', 'Sent from this phone');
      });
      return items;
    }).catch(function () { return []; });
  }
  api.render = render;

  function flushAndRender() {
    return flush().then(render, render);
  }
  api.flushAndRender = flushAndRender;

  /* Pages from the server say whether someone is signed in; the phone remembers only that
     (never a name). The worker's kept copies (data-signed-in="copy") are anonymous: for a
     person signed in on this phone they do not ask again for a name and a phone number. */
  function rememberSignIn() {
    var shell = document.querySelector('[data-signed-in]');
    if (!shell) return;
    var state = shell.getAttribute('data-signed-in');
    try {
      if (state !== 'copy') {
        root.localStorage.setItem('ioc.signedIn', state === '1' ? '1' : '0');
        return;
      }
      if (root.localStorage.getItem('ioc.signedIn') !== '1') return;
    } catch (e) { return; }
    Array.prototype.forEach.call(document.querySelectorAll('[data-when-anonymous]'), function (node) {
      node.hidden = true;
      Array.prototype.forEach.call(node.querySelectorAll('input, select, textarea'), function (field) {
        field.disabled = true;
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-when-signed-in]'), function (node) {
      node.hidden = false;
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    rememberSignIn();
    var holder = document.getElementById('outbox-i18n');
    if (holder) {
      try { strings = JSON.parse(holder.dataset.strings || '{}'); } catch (e) { strings = {}; }
    }
    registerWorker();
    if (!root.indexedDB) return;
    render().then(function (items) {
      var waiting = items.some(function (i) { return i.state === 'pending'; });
      if (waiting && navigator.onLine) flushAndRender();
    });
  });
  root.addEventListener('online', flushAndRender);
  root.addEventListener('offline', render);
})(typeof self !== 'undefined' ? self : window);

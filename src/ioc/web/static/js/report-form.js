/* report-form.js — the report form's enhancements: category search without accents, photos
 * made smaller on the phone, a map to mark the place, the phone's location, similar open
 * reports nearby, a "check your answers" summary and, in the citizen app, the outbox: the
 * report is kept on the phone (outbox.js) and sent now, or later when there is no network.
 * Without JavaScript the form still works with a commune and an address. */
(function () {
  'use strict';

  var MAX_SIDE = 1600;
  var QUALITY = 0.8;

  function fold(text) {
    return (text || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '')
      .replace(/[đĐ]/g, 'd').toLowerCase().replace(/\s+/g, ' ').trim();
  }

  /* A photo redrawn on a canvas: at most MAX_SIDE pixels on its longest side, JPEG. This also
     drops the photo's metadata (GPS position, camera) before it leaves the phone. */
  function resize(file) {
    if (!window.createImageBitmap || !/^image\//.test(file.type)) return Promise.resolve(file);
    return window.createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var ctx = canvas.getContext('2d');
      ctx.fillStyle = '#ffffff'; // transparent PNGs become white, not black
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob) { resolve(file); return; }
          var name = (file.name || 'photo').replace(/\.[^.]+$/, '') + '.jpg';
          resolve(new File([blob], name, { type: 'image/jpeg', lastModified: Date.now() }));
        }, 'image/jpeg', QUALITY);
      });
    }).catch(function () { return file; });
  }

  /* The map library comes after the form is usable: stylesheet, Leaflet, then map.js. */
  function loadMapAssets(el) {
    if (window.iocMap && window.L) return Promise.resolve();
    var assets = [];
    try { assets = JSON.parse(el.dataset.mapAssets || '[]'); } catch (e) { assets = []; }
    return assets.reduce(function (chain, url) {
      return chain.then(function () {
        return new Promise(function (resolve, reject) {
          var node;
          if (/\.css(\?|$)/.test(url)) {
            node = document.createElement('link');
            node.rel = 'stylesheet';
            node.href = url;
            document.head.appendChild(node);
            resolve(); // styles need not block the scripts
            return;
          }
          node = document.createElement('script');
          node.src = url;
          node.onload = function () { resolve(); };
          node.onerror = function () { reject(new Error(url)); };
          document.head.appendChild(node);
        });
      });
    }, Promise.resolve());
  }

  function sizeText(bytes) {
    return bytes > 1048576 ? (bytes / 1048576).toFixed(1) + ' MB' : Math.round(bytes / 1024) + ' KB';
  }

  function setup(form) {
    var select = form.querySelector('[data-category-select]');
    var search = form.querySelector('[data-category-search]');
    var count = form.querySelector('[data-category-count]');
    var latInput = form.querySelector('[data-lat]');
    var lonInput = form.querySelector('[data-lon]');
    var text = form.querySelector('[data-location-text]');
    var nearby = form.querySelector('[data-nearby]');
    var description = form.querySelector('textarea[name="description"]');
    var photos = form.querySelector('[data-photos]');
    var keyInput = form.querySelector('[data-idempotency-key]');
    var areaSelect = form.querySelector('select[name="area_code"]');
    var address = form.querySelector('input[name="address"]');
    var useOutbox = form.hasAttribute('data-outbox-form') && window.indexedDB;
    var marker = null;
    var map = null;
    var resizing = Promise.resolve();

    // The key that makes sending twice harmless is made here, on the phone, for each report.
    if (keyInput && window.crypto && window.crypto.randomUUID) keyInput.value = window.crypto.randomUUID();

    /* ---- Step 1: category search (accents optional: "den duong" finds "Đèn đường") ---- */
    if (search && select) {
      // Enter in the search box picks the first match; it must not send the form.
      search.addEventListener('keydown', function (e) {
        if (e.key === 'Enter') { e.preventDefault(); select.focus(); }
      });
      search.addEventListener('input', function () {
        var key = fold(search.value);
        var first = null;
        var hits = 0;
        Array.prototype.forEach.call(select.querySelectorAll('option[data-search]'), function (o) {
          var hit = !key || fold(o.textContent).indexOf(key) >= 0 ||
            fold(o.dataset.search || '').indexOf(key) >= 0;
          o.hidden = !hit;
          if (hit) { hits += 1; if (!first) first = o; }
        });
        Array.prototype.forEach.call(select.querySelectorAll('optgroup'), function (g) {
          g.hidden = !g.querySelector('option:not([hidden])');
        });
        if (count) {
          count.textContent = !key ? '' : hits ? (count.dataset.found || '{n}').replace('{n}', hits) + ': ' + first.textContent
            : (count.dataset.none || '—');
        }
        var current = select.selectedOptions[0];
        if (key && first && (!current || !current.value || current.hidden)) {
          select.value = first.value;
          select.dispatchEvent(new Event('change'));
        }
      });
    }

    /* ---- Step 1: photos, made smaller before they are sent ---- */
    if (photos) {
      var previews = form.querySelector('[data-photo-previews]');
      var status = form.querySelector('[data-photo-status]');
      var canReplace = typeof DataTransfer === 'function';
      photos.addEventListener('change', function () {
        var files = Array.prototype.slice.call(photos.files || []);
        var max = parseInt(photos.dataset.max || '5', 10);
        if (files.length > max) files = files.slice(0, max);
        if (!files.length || !canReplace) { showPreviews(files); return; }
        if (status) status.textContent = status.dataset.working || '…';
        resizing = Promise.all(files.map(resize)).then(function (out) {
          var dt = new DataTransfer();
          out.forEach(function (f) { dt.items.add(f); });
          photos.files = dt.files;
          var before = files.reduce(function (s, f) { return s + f.size; }, 0);
          var after = out.reduce(function (s, f) { return s + f.size; }, 0);
          if (status) {
            status.textContent = (status.dataset.done || '{n}: {size}')
              .replace('{n}', out.length).replace('{size}', sizeText(after))
              .replace('{before}', sizeText(before));
          }
          showPreviews(out);
        });
      });
      var showPreviews = function (files) {
        if (!previews) return;
        Array.prototype.forEach.call(previews.querySelectorAll('img'), function (img) { URL.revokeObjectURL(img.src); });
        previews.textContent = '';
        files.forEach(function (f, i) {
          var li = document.createElement('li');
          var img = document.createElement('img');
          img.src = URL.createObjectURL(f);
          img.alt = (previews.dataset.alt || '{n}').replace('{n}', i + 1);
          img.width = 96;
          img.height = 96;
          li.appendChild(img);
          previews.appendChild(li);
        });
        updateCheck();
      };
    }

    /* ---- Step 2: the place ---- */
    function refreshNearby() {
      if (!nearby || !select || !select.value || !latInput.value || !navigator.onLine) return;
      var params = new URLSearchParams({
        category: select.value, lat: latInput.value, lon: lonInput.value,
        text: description ? description.value.slice(0, 300) : ''
      });
      fetch('/reports/nearby?' + params.toString(), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.text() : ''; })
        .then(function (html) { nearby.innerHTML = html; })
        .catch(function () {});
    }

    function setPoint(lat, lon, zoom) {
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
      if (text) text.textContent = lat.toFixed(5) + ', ' + lon.toFixed(5);
      if (map && window.L) {
        if (marker) marker.setLatLng([lat, lon]);
        else marker = window.L.marker([lat, lon], { keyboard: false }).addTo(map);
        if (zoom) map.setView([lat, lon], zoom, { animate: false });
      }
      refreshNearby();
      updateCheck();
    }

    var mapEl = form.querySelector('[data-report-map]');
    function startMap() {
      if (!window.iocMap || !window.L) {
        mapEl.hidden = true; // no map library (e.g. offline): the commune and the address
        return;
      }
      var created = window.iocMap.create(mapEl);
      map = created.map;
      created.ready.then(function () {
        if (latInput.value) setPoint(parseFloat(latInput.value), parseFloat(lonInput.value), 13);
      }, function () {});
      map.on('click', function (e) { setPoint(e.latlng.lat, e.latlng.lng); });
    }
    if (mapEl) loadMapAssets(mapEl).then(startMap, startMap);

    var locate = form.querySelector('[data-locate]');
    var locateError = form.querySelector('[data-locate-error]');
    if (locate) {
      if (!navigator.geolocation) locate.hidden = true;
      locate.addEventListener('click', function () {
        locate.disabled = true;
        locate.setAttribute('aria-busy', 'true');
        if (locateError) locateError.hidden = true;
        navigator.geolocation.getCurrentPosition(function (pos) {
          locate.disabled = false;
          locate.removeAttribute('aria-busy');
          setPoint(pos.coords.latitude, pos.coords.longitude, 15);
        }, function () {
          locate.disabled = false;
          locate.removeAttribute('aria-busy');
          if (locateError) locateError.hidden = false;
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
    if (select) select.addEventListener('change', function () { refreshNearby(); updateCheck(); });
    if (areaSelect) areaSelect.addEventListener('change', updateCheck);
    if (address) address.addEventListener('input', updateCheck);

    /* ---- Step 3: check your answers ---- */
    var check = form.querySelector('[data-check-answers]');
    function updateCheck() {
      if (!check) return;
      var cat = select && select.value ? select.selectedOptions[0].textContent : '—';
      var place = [];
      if (address && address.value.trim()) place.push(address.value.trim());
      if (areaSelect && areaSelect.value) place.push(areaSelect.selectedOptions[0].textContent);
      if (latInput.value) place.push(parseFloat(latInput.value).toFixed(5) + ', ' + parseFloat(lonInput.value).toFixed(5));
      var n = photos && photos.files ? photos.files.length : 0;
      check.querySelector('[data-check="category"]').textContent = cat;
      check.querySelector('[data-check="place"]').textContent = place.join(' · ') || '—';
      check.querySelector('[data-check="photos"]').textContent = String(n);
      check.hidden = false;
    }
    updateCheck();

    /* ---- Sending: through the outbox in the citizen app ---- */
    var offlineNote = form.querySelector('[data-offline-note]');
    function showNetwork() { if (offlineNote) offlineNote.hidden = navigator.onLine; }
    window.addEventListener('online', showNetwork);
    window.addEventListener('offline', showNetwork);
    showNetwork();

    if (!useOutbox) return;
    var sendError = form.querySelector('[data-send-error]');
    var queued = document.querySelector('[data-queued]');
    var button = form.querySelector('button[type="submit"]');

    function nativeSubmit() {
      form.removeAttribute('data-outbox-form');
      HTMLFormElement.prototype.submit.call(form);
    }

    form.addEventListener('submit', function (event) {
      // outbox.js arrives with the page's other scripts; before it, the ordinary way.
      var outbox = window.IocOutbox;
      if (!form.hasAttribute('data-outbox-form') || !outbox) return;
      event.preventDefault();
      if (button) button.disabled = true;
      if (sendError) sendError.hidden = true;
      resizing.then(function () {
        var data = new FormData(form);
        var fields = [];
        data.forEach(function (value, name) {
          if (typeof value === 'string') fields.push([name, value]);
        });
        var files = Array.prototype.slice.call(photos && photos.files ? photos.files : []);
        var key = keyInput.value || outbox.newKey();
        var item = {
          key: key,
          url: form.getAttribute('action') || '/reports/new',
          created: Date.now(),
          state: 'pending',
          fields: fields,
          photos: files.map(function (f) { return { name: f.name, type: f.type, blob: f }; }),
          title: select && select.value ? select.selectedOptions[0].textContent : '',
          excerpt: description ? description.value.slice(0, 140) : '',
        };
        return outbox.put(item).then(function () {
          if (!navigator.onLine) return { state: 'pending' };
          return outbox.sendKey(key, true);
        }).then(function (done) {
          if (done && done.state === 'sent') {
            window.location.assign('/reports/' + encodeURIComponent(done.code));
            return;
          }
          if (done && done.state === 'invalid') {
            // Let the server show its errors beside the fields, as without JavaScript.
            return outbox.remove(key).then(nativeSubmit);
          }
          if (done && done.state === 'error') {
            if (button) button.disabled = false;
            if (sendError) {
              sendError.textContent = (sendError.dataset.message || '') + (done.error ? ' (' + done.error + ')' : '');
              sendError.hidden = false;
            }
            return outbox.render();
          }
          // No network: kept on the phone.
          outbox.requestSync();
          form.hidden = true;
          if (queued) {
            queued.hidden = false;
            queued.focus();
            window.scrollTo(0, 0);
          }
          return outbox.render();
        });
      }).catch(function () {
        // IndexedDB refused (private mode, full disk): send the ordinary way.
        nativeSubmit();
      });
    });
  }

  // Loaded async: the document may or may not be parsed yet.
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-report-form]'), setup);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

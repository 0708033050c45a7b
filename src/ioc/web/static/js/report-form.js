/* report-form.js — the report form's enhancements: category search, a map to mark the place,
 * the phone's location, and similar open reports nearby. Without JavaScript the form still
 * works with a commune and an address. */
(function () {
  'use strict';

  function fold(text) {
    return (text || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '')
      .replace(/[đĐ]/g, 'd').toLowerCase().replace(/\s+/g, ' ').trim();
  }

  function setup(form) {
    var select = form.querySelector('[data-category-select]');
    var search = form.querySelector('[data-category-search]');
    var latInput = form.querySelector('[data-lat]');
    var lonInput = form.querySelector('[data-lon]');
    var text = form.querySelector('[data-location-text]');
    var nearby = form.querySelector('[data-nearby]');
    var description = form.querySelector('textarea[name="description"]');
    var marker = null;
    var map = null;

    if (search && select) {
      search.addEventListener('input', function () {
        var key = fold(search.value);
        var first = null;
        Array.prototype.forEach.call(select.querySelectorAll('option[data-search]'), function (o) {
          var hit = !key || fold(o.textContent).indexOf(key) >= 0 ||
            (o.dataset.search || '').indexOf(key) >= 0;
          o.hidden = !hit;
          if (hit && !first) first = o;
        });
        if (key && first && (select.selectedOptions[0] || {}).hidden !== false) {
          select.value = first.value;
          refreshNearby();
        }
      });
    }

    function refreshNearby() {
      if (!nearby || !select.value || !latInput.value) return;
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
    }

    var mapEl = form.querySelector('[data-report-map]');
    if (mapEl && window.iocMap) {
      var created = window.iocMap.create(mapEl);
      map = created.map;
      created.ready.then(function () {
        if (latInput.value) setPoint(parseFloat(latInput.value), parseFloat(lonInput.value), 13);
      });
      map.on('click', function (e) { setPoint(e.latlng.lat, e.latlng.lng); });
    }

    var locate = form.querySelector('[data-locate]');
    if (locate) {
      if (!navigator.geolocation) locate.hidden = true;
      locate.addEventListener('click', function () {
        navigator.geolocation.getCurrentPosition(function (pos) {
          setPoint(pos.coords.latitude, pos.coords.longitude, 15);
        }, function () {
          locate.disabled = false;
        }, { enableHighAccuracy: true, timeout: 10000 });
      });
    }
    if (select) select.addEventListener('change', refreshNearby);
  }

  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('[data-report-form]'), setup);
  });
})();

/* near-me.js — "Reports near me" on /reports (module notices).
 *
 * [data-near-me] asks the browser for its position and reloads the list with ?lat=&lon=&radius=
 * (the other filters kept); the server sorts by distance. A map element with data-near-lat,
 * data-near-lon and data-near-radius gets a circle of that radius, fitted into view. */
(function () {
  'use strict';

  function onClick(event) {
    var button = event.currentTarget;
    var box = button.closest('[data-near-me-box]');
    var status = box && box.querySelector('[data-near-me-status]');
    if (!navigator.geolocation) {
      if (status) status.textContent = button.getAttribute('data-error');
      return;
    }
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        var params = new URLSearchParams(window.location.search);
        params.set('lat', pos.coords.latitude.toFixed(5));
        params.set('lon', pos.coords.longitude.toFixed(5));
        params.set('radius', params.get('radius') || button.getAttribute('data-radius') || '2000');
        params.delete('area');
        params.delete('page');
        window.location.assign('/reports?' + params.toString());
      },
      function () {
        button.disabled = false;
        if (status) status.textContent = button.getAttribute('data-error');
      },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
    );
  }

  function drawCircle(event) {
    var el = event.target;
    var handle = event.detail;
    if (!el || !el.hasAttribute('data-near-lat') || !handle || !handle.map) return;
    var lat = parseFloat(el.getAttribute('data-near-lat'));
    var lon = parseFloat(el.getAttribute('data-near-lon'));
    var radius = parseFloat(el.getAttribute('data-near-radius'));
    if (isNaN(lat) || isNaN(lon) || isNaN(radius)) return;
    var circle = window.L.circle([lat, lon], {
      radius: radius, color: '#1a5fa8', weight: 2, fillOpacity: 0.06, interactive: false,
    }).addTo(handle.map);
    window.L.circleMarker([lat, lon], {
      radius: 7, color: '#ffffff', weight: 2, fillColor: '#1a5fa8', fillOpacity: 1,
    }).bindTooltip(el.getAttribute('data-near-label') || '').addTo(handle.map);
    handle.map.fitBounds(circle.getBounds(), { animate: false, padding: [8, 8] });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-near-me]').forEach(function (b) {
      b.addEventListener('click', onClick);
    });
  });
  document.addEventListener('ioc:mapready', drawCircle);
})();

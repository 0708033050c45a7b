/* ioc.js — small shared behaviour for every page of ioc.
 *
 * Loaded with `defer` after htmx and before Alpine. No inline scripts anywhere (the CSP forbids
 * them): pages opt in through data attributes.
 *
 *   <meta name="csrf-token">      sent as the X-CSRF-Token header on every htmx request
 *   [data-theme-toggle]           switches <html data-theme> between light and dark (console)
 *   form[data-confirm]            asks before submitting (also on a submit button)
 *   [data-flash]                  flash message; [data-autodismiss=ms] hides it; [data-flash-close]
 *   time[data-relative]           "3 phút trước", kept current, in the page's language
 *   [data-error-summary]          focused on load so screen readers announce the problems
 *   details[data-menu]            closes on Escape and on a click outside
 *
 * Text shown to people comes from the templates (already translated), never from this file.
 */
(function () {
  'use strict';

  var root = document.documentElement;
  var THEME_KEY = 'ioc.theme';
  var THEME_COOKIE = 'ioc_theme';

  function onReady(fn) {
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', fn);
    } else {
      fn();
    }
  }

  function each(scope, selector, fn) {
    Array.prototype.forEach.call((scope || document).querySelectorAll(selector), fn);
  }

  /* ---- CSRF: every htmx request carries the token ------------------------------------- */

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  document.addEventListener('htmx:configRequest', function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers['X-CSRF-Token'] = token;
    }
  });

  /* ---- Theme (console and administration only; the portal stays light) ---------------- */

  var themed = root.dataset.face === 'console' || root.dataset.face === 'admin';

  function storedTheme() {
    try {
      return window.localStorage.getItem(THEME_KEY);
    } catch (e) {
      return null;
    }
  }

  function applyTheme(theme, persist) {
    if (theme !== 'dark' && theme !== 'light') return;
    root.dataset.theme = theme;
    each(document, '[data-theme-toggle]', function (button) {
      button.setAttribute('aria-pressed', theme === 'dark' ? 'true' : 'false');
    });
    var meta = document.querySelector('meta[name="theme-color"]');
    if (meta) meta.setAttribute('content', theme === 'dark' ? '#070e18' : '#0d2c4f');
    var scheme = document.querySelector('meta[name="color-scheme"]');
    if (scheme) scheme.setAttribute('content', theme);
    if (persist) {
      try {
        window.localStorage.setItem(THEME_KEY, theme);
      } catch (e) {
        /* private mode: the cookie below still works */
      }
      // The server reads this cookie to render the right theme at once (no flash).
      document.cookie =
        THEME_COOKIE + '=' + theme + '; Path=/; Max-Age=31536000; SameSite=Lax' +
        (location.protocol === 'https:' ? '; Secure' : '');
    }
    document.dispatchEvent(new CustomEvent('ioc:themechange', { detail: { theme: theme } }));
  }

  if (themed) {
    var saved = storedTheme();
    if (saved && saved !== root.dataset.theme) applyTheme(saved, false);
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest('[data-theme-toggle]');
    if (!button) return;
    applyTheme(root.dataset.theme === 'dark' ? 'light' : 'dark', true);
  });

  /* ---- Confirmation before risky submissions ------------------------------------------ */

  // Capture phase, so that a refusal also stops htmx from sending the form.
  document.addEventListener(
    'submit',
    function (event) {
      var form = event.target;
      var submitter = event.submitter;
      var message =
        (submitter && submitter.getAttribute('data-confirm')) || form.getAttribute('data-confirm');
      if (message && !window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  /* ---- Flash messages ------------------------------------------------------------------ */

  function dismiss(flash) {
    if (!flash || flash.classList.contains('is-leaving')) return;
    flash.classList.add('is-leaving');
    window.setTimeout(function () {
      var list = flash.parentNode;
      flash.remove();
      if (list && list.classList.contains('flashes') && !list.children.length) list.remove();
    }, 300);
  }

  function setUpFlashes(scope) {
    each(scope, '[data-flash][data-autodismiss]', function (flash) {
      if (flash.dataset.iocFlash) return;
      flash.dataset.iocFlash = '1';
      var delay = parseInt(flash.dataset.autodismiss, 10) || 8000;
      var timer = null;
      var start = function () {
        timer = window.setTimeout(function () {
          dismiss(flash);
        }, delay);
      };
      var stop = function () {
        window.clearTimeout(timer);
      };
      // People who are reading or have moved focus into it keep it.
      flash.addEventListener('mouseenter', stop);
      flash.addEventListener('focusin', stop);
      flash.addEventListener('mouseleave', start);
      start();
    });
  }

  document.addEventListener('click', function (event) {
    var close = event.target.closest('[data-flash-close]');
    if (close) dismiss(close.closest('[data-flash]'));
  });

  /* ---- Relative times ------------------------------------------------------------------ */

  var UNITS = [
    ['year', 31536000],
    ['month', 2592000],
    ['week', 604800],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ];

  var rtf = null;
  try {
    rtf = new Intl.RelativeTimeFormat(root.lang || 'vi', { numeric: 'auto' });
  } catch (e) {
    rtf = null;
  }

  var absolute = null;
  try {
    absolute = new Intl.DateTimeFormat(root.lang || 'vi', {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'Asia/Ho_Chi_Minh',
    });
  } catch (e) {
    absolute = null;
  }

  function relative(date) {
    var seconds = Math.round((date.getTime() - Date.now()) / 1000);
    var abs = Math.abs(seconds);
    if (abs < 45) return rtf.format(0, 'second');
    for (var i = 0; i < UNITS.length; i++) {
      if (abs >= UNITS[i][1] || UNITS[i][0] === 'second') {
        return rtf.format(Math.round(seconds / UNITS[i][1]), UNITS[i][0]);
      }
    }
    return '';
  }

  function updateTimes(scope) {
    if (!rtf) return;
    each(scope, 'time[data-relative]', function (el) {
      var date = new Date(el.getAttribute('datetime'));
      if (isNaN(date.getTime())) return;
      el.textContent = relative(date);
      if (absolute && !el.hasAttribute('title')) el.setAttribute('title', absolute.format(date));
    });
  }

  /* ---- Disclosure menus ---------------------------------------------------------------- */

  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape') return;
    each(document, 'details[data-menu][open]', function (menu) {
      menu.removeAttribute('open');
      var summary = menu.querySelector('summary');
      if (summary) summary.focus();
    });
  });

  document.addEventListener('click', function (event) {
    each(document, 'details[data-menu][open]', function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute('open');
    });
  });

  /* ---- Start, and again on content htmx swaps in --------------------------------------- */

  function enhance(scope) {
    setUpFlashes(scope);
    updateTimes(scope);
  }

  onReady(function () {
    enhance(document);
    var summary = document.querySelector('[data-error-summary]');
    if (summary) summary.focus();
    window.setInterval(function () {
      updateTimes(document);
    }, 30000);
  });

  document.addEventListener('htmx:load', function (event) {
    enhance(event.target);
  });

  window.ioc = window.ioc || {};
  window.ioc.csrfToken = csrfToken;
  window.ioc.applyTheme = applyTheme;
  window.ioc.enhance = enhance;
})();

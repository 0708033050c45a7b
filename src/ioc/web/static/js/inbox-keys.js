/* inbox-keys.js — keyboard shortcuts of the reports inbox (console), as Gmail and Linear have
 * them. Loaded by console_inbox.html only. The page works without it; it adds:
 *
 *   j / ArrowDown, k / ArrowUp   move the current row (a roving tabindex, with a focus ring);
 *                                the arrows only while focus is in the list, so that they still
 *                                scroll the page elsewhere
 *   Enter / o                    open the current row's report (Enter on a link or button keeps
 *                                its own meaning)
 *   x                            tick the current row's box for the bulk actions
 *   /                            focus the list's filter, if the page has one
 *   g then n, s, o, a            the tabs: new, due soon, overdue, all
 *   ?                            the dialog listing them
 *
 * No shortcut acts while someone types in a field (or composes with an input method, as
 * Vietnamese Telex does), with Ctrl, Alt or Meta held, or while the dialog is open.
 *
 * Markup: table[data-inbox-list] > tbody > tr[data-inbox-row], a[data-inbox-open],
 * input[data-inbox-select], a[data-inbox-tab=new|due_soon|overdue|all], [data-inbox-search],
 * dialog[data-inbox-help], [data-inbox-help-open], [data-inbox-live] (a status region whose
 * data-msg-* attributes hold the translated messages: text comes from the templates only).
 * Elements are looked up on every key, so lists swapped in by htmx work as they are.
 */
(function () {
  'use strict';

  var TABS = { n: 'new', s: 'due_soon', o: 'overdue', a: 'all' };
  var G_TIMEOUT_MS = 1500;
  var gPressedAt = 0;
  var opener = null;

  function rows() {
    return Array.prototype.slice.call(
      document.querySelectorAll('[data-inbox-list] tr[data-inbox-row]')
    );
  }

  function currentRow() {
    return document.querySelector('[data-inbox-list] tr[data-inbox-row].is-current');
  }

  function isTyping(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
    if (tag !== 'INPUT') return false;
    return !/^(checkbox|radio|button|submit|reset|image|file|color|range)$/i.test(el.type);
  }

  /* The list is one tab stop: the current row (or the first) has tabindex 0, the others -1. */
  function prepare() {
    var list = rows();
    var current = currentRow();
    list.forEach(function (row, i) {
      row.setAttribute('tabindex', (current ? row === current : i === 0) ? '0' : '-1');
    });
    each('[data-inbox-help-open]', function (button) {
      button.hidden = false;
    });
  }

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  function setCurrent(row, focus) {
    rows().forEach(function (r) {
      var on = r === row;
      r.classList.toggle('is-current', on);
      r.setAttribute('tabindex', on ? '0' : '-1');
      if (on) r.setAttribute('aria-current', 'true');
      else r.removeAttribute('aria-current');
    });
    if (focus) {
      row.focus({ preventScroll: true });
      row.scrollIntoView({ block: 'nearest' });
    }
  }

  function move(delta) {
    var list = rows();
    if (!list.length) return;
    var index = list.indexOf(currentRow());
    var next = index === -1 ? 0 : Math.min(list.length - 1, Math.max(0, index + delta));
    setCurrent(list[next], true);
  }

  function announce(kind, code) {
    var live = document.querySelector('[data-inbox-live]');
    if (!live) return;
    var text = (live.getAttribute('data-msg-' + kind) || '').replace('{code}', code || '');
    // Emptied first, so that the same message twice is announced twice.
    live.textContent = '';
    window.setTimeout(function () {
      live.textContent = text;
    }, 50);
  }

  function openCurrent() {
    var row = currentRow();
    var link = row && row.querySelector('[data-inbox-open]');
    if (!link) return false;
    link.click();
    return true;
  }

  function toggleCurrent() {
    var row = currentRow();
    if (!row) return false;
    var box = row.querySelector('[data-inbox-select]');
    var code = row.getAttribute('data-code');
    if (!box || box.disabled) {
      announce('not-selectable', code);
      return true;
    }
    box.click(); // a real click: change and input events reach any other listener
    announce(box.checked ? 'selected' : 'unselected', code);
    return true;
  }

  function focusSearch() {
    var search = document.querySelector('[data-inbox-search]');
    if (!search) return false;
    search.focus();
    return true;
  }

  function goToTab(key) {
    var tab = TABS[key] && document.querySelector('[data-inbox-tab="' + TABS[key] + '"]');
    if (!tab) return false;
    tab.click();
    return true;
  }

  function helpDialog() {
    return document.querySelector('dialog[data-inbox-help]');
  }

  function openHelp() {
    var dialog = helpDialog();
    if (!dialog || dialog.open || typeof dialog.showModal !== 'function') return false;
    opener = document.activeElement;
    dialog.showModal();
    return true;
  }

  function onKey(event) {
    if (event.defaultPrevented || event.isComposing || event.keyCode === 229) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector('dialog[open]')) return;
    var target = event.target && event.target.nodeType === 1 ? event.target : document.body;
    if (isTyping(target)) return;
    var key = event.key;
    var inList = !!target.closest('[data-inbox-list]');
    var handled = false;

    if (gPressedAt && Date.now() - gPressedAt < G_TIMEOUT_MS) {
      gPressedAt = 0;
      if (TABS[key]) {
        event.preventDefault();
        goToTab(key);
        return;
      }
    }
    gPressedAt = 0;

    switch (key) {
      case 'j':
        move(1);
        handled = true;
        break;
      case 'k':
        move(-1);
        handled = true;
        break;
      case 'ArrowDown':
      case 'ArrowUp':
        if (inList) {
          move(key === 'ArrowDown' ? 1 : -1);
          handled = true;
        }
        break;
      case 'Enter':
        // A link or a button keeps its own Enter.
        if (!target.closest('a, button, summary')) handled = openCurrent();
        break;
      case 'o':
        handled = openCurrent();
        break;
      case 'x':
        handled = toggleCurrent();
        break;
      case '/':
        handled = focusSearch();
        break;
      case 'g':
        gPressedAt = Date.now();
        handled = true;
        break;
      case '?':
        handled = openHelp();
        break;
    }
    if (handled) event.preventDefault();
  }

  document.addEventListener('keydown', onKey);

  // A row clicked or tabbed into becomes the current one, so j and k go on from there.
  document.addEventListener('focusin', function (event) {
    var el = event.target;
    var row = el && el.closest ? el.closest('[data-inbox-list] tr[data-inbox-row]') : null;
    if (row && !row.classList.contains('is-current')) setCurrent(row, false);
  });

  document.addEventListener('click', function (event) {
    if (event.target.closest && event.target.closest('[data-inbox-help-open]')) openHelp();
  });

  document.addEventListener(
    'close',
    function (event) {
      if (event.target !== helpDialog()) return;
      var back = opener && document.contains(opener) ? opener : currentRow();
      opener = null;
      if (back && typeof back.focus === 'function') back.focus();
    },
    true
  );

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', prepare);
  } else {
    prepare();
  }
  document.addEventListener('htmx:afterSettle', prepare);
})();

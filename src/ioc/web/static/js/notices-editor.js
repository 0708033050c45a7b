/* notices-editor.js — a small rich-text editor for the console's notice form (module notices).
 *
 * Progressive enhancement of textarea[data-rich-text]: a toolbar (paragraph, heading, bold,
 * italic, lists, link, clear) over a contenteditable area whose HTML is copied into the
 * textarea on every change and on submit; "HTML" switches to the textarea itself. Only the
 * tags the server keeps are offered; the server sanitises whatever arrives (nh3). Labels come
 * translated from data-rich-text-labels. Without JavaScript the textarea works as it is. */
(function () {
  'use strict';

  var TOOLS = [
    ['paragraph', 'formatBlock', 'p', '¶'],
    ['heading', 'formatBlock', 'h2', 'H2'],
    ['subheading', 'formatBlock', 'h3', 'H3'],
    ['bold', 'bold', null, 'B'],
    ['italic', 'italic', null, 'I'],
    ['bullets', 'insertUnorderedList', null, '•'],
    ['numbers', 'insertOrderedList', null, '1.'],
    ['link', 'createLink', null, 'URL'],
    ['clear', 'removeFormat', null, '⌫'],
  ];

  function enhance(textarea) {
    var labels = {};
    try { labels = JSON.parse(textarea.getAttribute('data-rich-text-labels') || '{}'); } catch (e) { labels = {}; }
    var wrap = document.createElement('div');
    wrap.className = 'rte';
    var bar = document.createElement('div');
    bar.className = 'rte__toolbar';
    bar.setAttribute('role', 'toolbar');
    bar.setAttribute('aria-label', labels.toolbar || 'Formatting');
    bar.setAttribute('aria-controls', textarea.id + '-editor');
    var editor = document.createElement('div');
    editor.className = 'rte__editor textarea';
    editor.id = textarea.id + '-editor';
    editor.contentEditable = 'true';
    editor.setAttribute('role', 'textbox');
    editor.setAttribute('aria-multiline', 'true');
    var label = document.querySelector('label[for="' + textarea.id + '"]');
    if (label) {
      if (!label.id) label.id = textarea.id + '-label';
      editor.setAttribute('aria-labelledby', label.id);
      label.addEventListener('click', function () { if (!editor.hidden) editor.focus(); });
    }
    var described = textarea.getAttribute('aria-describedby');
    if (described) editor.setAttribute('aria-describedby', described);
    editor.innerHTML = textarea.value;

    function sync() { textarea.value = editor.innerHTML; }

    TOOLS.forEach(function (tool) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'rte__btn rte__btn--' + tool[0];
      // The symbol is for the eye; the name read out is the translated label (so the
      // accessible name never contradicts the visible text).
      var glyph = document.createElement('span');
      glyph.setAttribute('aria-hidden', 'true');
      glyph.textContent = tool[3];
      var name = document.createElement('span');
      name.className = 'visually-hidden';
      name.textContent = labels[tool[0]] || tool[0];
      b.appendChild(glyph);
      b.appendChild(name);
      b.title = labels[tool[0]] || tool[0];
      b.addEventListener('mousedown', function (e) { e.preventDefault(); });  // keep the selection
      b.addEventListener('click', function () {
        editor.focus();
        var value = tool[2];
        if (tool[1] === 'createLink') {
          value = window.prompt(labels.link_prompt || 'Link address (https://…)', 'https://');
          if (!value || !/^(https?:\/\/|mailto:|tel:|\/)/i.test(value)) return;
        }
        document.execCommand(tool[1], false, value);
        sync();
      });
      bar.appendChild(b);
    });
    var source = document.createElement('button');
    source.type = 'button';
    source.className = 'rte__btn rte__btn--source';
    source.textContent = 'HTML';
    source.title = labels.source || 'HTML';
    source.setAttribute('aria-pressed', 'false');
    source.addEventListener('click', function () {
      var showSource = textarea.hidden;
      if (showSource) sync(); else editor.innerHTML = textarea.value;
      textarea.hidden = !showSource;
      editor.hidden = showSource;
      source.setAttribute('aria-pressed', showSource ? 'true' : 'false');
      (showSource ? textarea : editor).focus();
    });
    bar.appendChild(source);

    editor.addEventListener('input', sync);
    editor.addEventListener('blur', sync);
    // Pasted text arrives as plain text: formatting from Word or web pages is mostly noise.
    editor.addEventListener('paste', function (e) {
      if (!e.clipboardData) return;
      e.preventDefault();
      document.execCommand('insertText', false, e.clipboardData.getData('text/plain'));
    });
    if (textarea.form) {
      textarea.form.addEventListener('submit', function () { if (textarea.hidden) sync(); });
    }
    textarea.parentNode.insertBefore(wrap, textarea);
    wrap.appendChild(bar);
    wrap.appendChild(editor);
    wrap.appendChild(textarea);
    textarea.hidden = true;
    textarea.setAttribute('tabindex', '-1');
    try { document.execCommand('defaultParagraphSeparator', false, 'p'); } catch (e) { /* old engines */ }
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('textarea[data-rich-text]').forEach(enhance);
  });
})();

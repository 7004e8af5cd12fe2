/*
 * Form helpers, loaded on every page (the layout; CSP allows no inline script).
 *
 * 1. Error summary: when the page has #error-summary (views/partials/error_summary.hbs), focus
 *    moves to it on load, so a screen reader reads the problems at once. Its links (href="#<id>")
 *    move focus to the field and scroll the field's label into view.
 *
 * 2. Character counter, for any text area that declares a limit:
 *
 *      <textarea id="about_me" data-max-length="140" aria-describedby="about_me-counter">
 *      <div id="about_me-counter" data-counter-for="about_me"
 *           data-left-one="{count} character left" data-left-other="{count} characters left"
 *           data-over-one="{count} character too many" data-over-other="{count} characters too many">
 *        140 characters left
 *      </div>
 *      <div id="about_me-counter-live" class="visually-hidden" aria-live="polite"></div>
 *
 *    - data-max-length: the limit, in visible characters (what the server's MaxVisibleLength
 *      counts: grapheme clusters of the trimmed text, so "ж", "é" and "👍🏽" are one each).
 *    - [data-counter-for="<textarea id>"]: shows "N characters left" / "N characters too many",
 *      updated on every input. It holds every plural form the language has, as
 *      data-left-<form> and data-over-<form> (form: zero, one, two, few, many, other, from
 *      Intl.PluralRules; {count} stands for the number; `other` is the fallback).
 *    - #<counter id>-live: a polite live region, created here when missing. It is updated only
 *      when the count reaches 20, 10 or 0 left or goes over the limit (and back), so a screen
 *      reader is not told the count after every keystroke.
 *    views/partials/form_field.hbs renders all of this for `textarea=true maxLength=<n>`.
 */
(function () {
  'use strict';

  /* Plural forms from data attributes: the same choice as pluralText in view-helpers.ts. */
  var rules = new Intl.PluralRules(document.documentElement.lang || 'en');

  function pluralText(el, prefix, count) {
    var key = function (form) {
      return prefix + form.charAt(0).toUpperCase() + form.slice(1);
    };
    var data = el.dataset;
    var template =
      (count === 0 && data[key('zero')]) || data[key(rules.select(count))] || data[key('other')];
    return (template || '').split('{count}').join(String(count));
  }

  /* 1. The error summary. */
  var summary = document.getElementById('error-summary');
  if (summary) {
    summary.focus();
    summary.addEventListener('click', function (event) {
      var link = event.target.closest('a[href^="#"]');
      var field = link && document.getElementById(link.getAttribute('href').slice(1));
      if (!field) {
        return;
      }
      event.preventDefault();
      var label = document.querySelector('label[for="' + CSS.escape(field.id) + '"]');
      (label || field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  /* 2. Character counters. */
  // The server's trimText: spaces, tabs and line breaks at either end ("\f" and "\v" stay).
  var EDGE_SPACE = /^[\p{Zs}\t\n\r\u2028\u2029\ufeff]+|[\p{Zs}\t\n\r\u2028\u2029\ufeff]+$/gu;
  var segmenter =
    typeof Intl.Segmenter === 'function'
      ? new Intl.Segmenter(undefined, { granularity: 'grapheme' })
      : null;

  function visibleLength(text) {
    if (!segmenter) {
      return Array.from(text).length;
    }
    var count = 0;
    var iterator = segmenter.segment(text)[Symbol.iterator]();
    while (!iterator.next().done) {
      count++;
    }
    return count;
  }

  /* What the live region says at this count: something only near or over the limit. */
  function level(left) {
    if (left < 0) {
      return 'over';
    }
    if (left === 0) {
      return '0';
    }
    if (left <= 10) {
      return '10';
    }
    return left <= 20 ? '20' : '';
  }

  function setUpCounter(field) {
    var max = parseInt(field.dataset.maxLength, 10);
    var counter =
      field.id && document.querySelector('[data-counter-for="' + CSS.escape(field.id) + '"]');
    if (!counter || !(max > 0)) {
      return;
    }
    var live = document.getElementById(counter.id + '-live');
    if (!live) {
      live = document.createElement('div');
      live.id = counter.id + '-live';
      live.className = 'visually-hidden';
      live.setAttribute('aria-live', 'polite');
      counter.insertAdjacentElement('afterend', live);
    }
    var announced = null;

    function update() {
      var left = max - visibleLength(field.value.replace(EDGE_SPACE, ''));
      var text = left < 0 ? pluralText(counter, 'over', -left) : pluralText(counter, 'left', left);
      counter.textContent = text;
      counter.classList.toggle('text-danger', left < 0);
      var now = level(left);
      if (announced !== null && now !== announced) {
        live.textContent = now ? text : '';
      }
      announced = now;
    }

    field.addEventListener('input', update);
    update();
  }

  Array.prototype.forEach.call(
    document.querySelectorAll('textarea[data-max-length]'),
    setUpCounter,
  );
})();

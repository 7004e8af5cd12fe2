/*
 * Profile cards: hovering or focusing a username link ([data-user-card]) shows a small card
 * (avatar, about, counts, Follow) right after the link, rendered by the server
 * (/user/<name>/card). The card follows the link in the tab order, so its Follow button is one
 * Tab away; Escape closes it and keeps focus on the link; leaving both with the mouse or the
 * focus closes it too.
 */
(function () {
  'use strict';

  var OPEN_DELAY_MS = 400;
  var CLOSE_DELAY_MS = 300;
  var cache = {};
  var open = null;
  var openTimer = null;
  var closeTimer = null;
  var counter = 0;
  /* The link focus returns to on Escape: that focus must not open the card again. */
  var returning = null;

  function linkOf(target) {
    return target && target.closest ? target.closest('a[data-user-card]') : null;
  }

  function fetchCard(name) {
    if (!cache[name]) {
      cache[name] = fetch('/user/' + encodeURIComponent(name) + '/card', {
        credentials: 'same-origin',
        headers: { Accept: 'text/html' },
      }).then(function (response) {
        if (!response.ok) {
          delete cache[name];
          return null;
        }
        return response.text();
      });
    }
    return cache[name];
  }

  function close(returnFocus) {
    clearTimeout(openTimer);
    if (!open) {
      return;
    }
    var link = open.link;
    open.card.remove();
    link.removeAttribute('aria-describedby');
    link.setAttribute('aria-expanded', 'false');
    open = null;
    if (returnFocus) {
      returning = link;
      link.focus();
      returning = null;
    }
  }

  function show(link) {
    if (open && open.link === link) {
      return;
    }
    fetchCard(link.dataset.userCard).then(function (html) {
      if (!html || !document.contains(link)) {
        return;
      }
      close(false);
      var card = document.createElement('div');
      card.className = 'profile-card card shadow p-3';
      card.id = 'profile-card-' + ++counter;
      card.setAttribute('role', 'group');
      card.setAttribute('aria-label', link.dataset.userCard);
      card.innerHTML = html;
      card.querySelectorAll('input[name="next"]').forEach(function (input) {
        input.value = window.location.pathname + window.location.search;
      });
      link.insertAdjacentElement('afterend', card);
      link.setAttribute('aria-describedby', card.id);
      link.setAttribute('aria-expanded', 'true');
      open = { link: link, card: card };
      card.addEventListener('mouseenter', function () {
        clearTimeout(closeTimer);
      });
      card.addEventListener('mouseleave', closeSoon);
    });
  }

  function closeSoon() {
    clearTimeout(openTimer);
    clearTimeout(closeTimer);
    closeTimer = setTimeout(function () {
      close(false);
    }, CLOSE_DELAY_MS);
  }

  document.addEventListener('mouseover', function (event) {
    var link = linkOf(event.target);
    if (!link) {
      return;
    }
    clearTimeout(closeTimer);
    clearTimeout(openTimer);
    openTimer = setTimeout(function () {
      show(link);
    }, OPEN_DELAY_MS);
  });

  document.addEventListener('mouseout', function (event) {
    if (linkOf(event.target)) {
      closeSoon();
    }
  });

  document.addEventListener('focusin', function (event) {
    var link = linkOf(event.target);
    if (link && link === returning) {
      return;
    }
    if (link) {
      clearTimeout(closeTimer);
      show(link);
    } else if (open && !open.card.contains(event.target)) {
      close(false);
    }
  });

  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && open) {
      var inside = open.card.contains(document.activeElement) || open.link === document.activeElement;
      close(inside);
    }
  });
})();

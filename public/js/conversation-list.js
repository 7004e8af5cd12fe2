/*
 * The conversation list (/conversations), kept live.
 *
 * A message sent, received or deleted, a conversation read in another tab (the badge's count
 * changes) or a reset of the event stream: the page fetches itself again and puts the new list
 * in place of the old, rendered by the server as the page itself (so escaped alike). Several
 * events in a burst make one fetch. Focus stays on the same conversation's link.
 */
(function () {
  'use strict';

  var list = document.getElementById('conversation-list');
  var notifications = window.microblogNotifications;
  if (!list || !notifications) {
    return;
  }
  var handlers = notifications.handlers;
  var timer = null;
  var running = false;
  var again = false;

  function focusedHref() {
    var active = document.activeElement;
    return active && list.contains(active) ? active.getAttribute('href') : null;
  }

  function refresh() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        var fresh = html && new DOMParser().parseFromString(html, 'text/html');
        var replacement = fresh && fresh.getElementById('conversation-list');
        if (!replacement) {
          return;
        }
        var href = focusedHref();
        list.innerHTML = replacement.innerHTML;
        if (href) {
          var link = list.querySelector('a[href="' + CSS.escape(href) + '"]');
          if (link) {
            link.focus();
          }
        }
      })
      .catch(function () {})
      .then(function () {
        running = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 50);
  }

  ['new_message', 'message_deleted', 'unread_message_count'].forEach(function (name) {
    var previous = handlers[name];
    handlers[name] = function (data, n) {
      if (previous) {
        previous(data, n);
      }
      soon();
    };
  });
  document.addEventListener('microblog:reset', soon);
})();

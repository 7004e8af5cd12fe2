/*
 * The notification center (/notifications/center), kept live: a new notification (or a reset
 * of the stream) fetches the page again, which also marks it seen, and puts the new list in
 * place. A hidden tab waits until it is shown, so the bell is not cleared behind the reader's
 * back.
 */
(function () {
  'use strict';

  var center = document.getElementById('notification-center');
  var notifications = window.microblogNotifications;
  if (!center || !notifications) {
    return;
  }
  var stale = false;
  var running = false;

  function refresh() {
    if (document.visibilityState !== 'visible') {
      stale = true;
      return;
    }
    if (running) {
      stale = true;
      return;
    }
    stale = false;
    running = true;
    fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        var fresh = html && new DOMParser().parseFromString(html, 'text/html');
        var replacement = fresh && fresh.getElementById('notification-center');
        if (replacement) {
          center.innerHTML = replacement.innerHTML;
        }
      })
      .catch(function () {})
      .then(function () {
        running = false;
        if (stale) {
          refresh();
        }
      });
  }

  var previous = notifications.handlers.notification;
  notifications.handlers.notification = function (data, n) {
    if (previous) {
      previous(data, n);
    }
    refresh();
  };
  document.addEventListener('microblog:reset', refresh);
  document.addEventListener('visibilitychange', function () {
    if (stale && document.visibilityState === 'visible') {
      refresh();
    }
  });
})();

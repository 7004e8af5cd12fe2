/* Unread-message badge in the navbar, kept current by polling /notifications (every 10 s). */
(function () {
  'use strict';

  function set_message_count(n) {
    var badge = document.getElementById('message_count');
    if (!badge) {
      return;
    }
    badge.textContent = String(n);
    badge.style.visibility = n ? 'visible' : 'hidden';
  }
  window.set_message_count = set_message_count;

  var POLL_MS = 10000;
  var since = 0;

  var handlers = {
    unread_message_count: function (data) {
      set_message_count(data);
    },
  };

  function poll() {
    fetch('/notifications?since=' + encodeURIComponent(since), {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
    })
      .then(function (response) {
        return response.ok ? response.json() : [];
      })
      .then(function (notifications) {
        notifications.forEach(function (n) {
          var handler = handlers[n.name];
          if (handler) {
            handler(n.data);
          }
          since = n.timestamp;
        });
      })
      .catch(function () {
        /* offline: the next poll tries again */
      });
  }

  setInterval(poll, POLL_MS);
})();

/*
 * An open conversation (/conversations/:username), kept live.
 *
 * notifications.js delivers the user's notifications (one stream per browser, relayed to every
 * tab); this adds handlers for the conversation ones. A `new_message` names only the message
 * id: the page fetches what came after its newest message, rendered by the server through the
 * thread's own partial (so escaped as the page itself), appends it and announces it politely.
 * Fetching marks the conversation read, and the badge follows through unread_message_count.
 */
(function () {
  'use strict';

  var thread = document.getElementById('thread');
  var notifications = window.microblogNotifications;
  if (!thread || !notifications) {
    return;
  }
  var peer = thread.dataset.peer;
  var live = thread.dataset.live === 'true';
  var announcer = document.getElementById('thread-announcer');
  var lang = document.documentElement.lang || 'en';

  function newestId() {
    var newest = 0;
    thread.querySelectorAll('[data-message-id]').forEach(function (item) {
      newest = Math.max(newest, Number(item.dataset.messageId));
    });
    return newest;
  }

  function announce(item) {
    if (!announcer || item.dataset.mine) {
      return;
    }
    var body = item.querySelector('.message-body');
    announcer.textContent = thread.dataset.announce.replace('{body}', body ? body.textContent : '');
  }

  /* One fetch at a time; a notification arriving meanwhile asks for one more. */
  var fetching = false;
  var again = false;

  function fetchNewer() {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    var url = '/conversations/' + encodeURIComponent(peer) + '/messages?after=' + newestId();
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        return response.ok ? response.text() : '';
      })
      .then(function (html) {
        var template = document.createElement('template');
        template.innerHTML = html;
        var added = [];
        template.content.querySelectorAll('[data-message-id]').forEach(function (item) {
          if (!thread.querySelector('[data-message-id="' + item.dataset.messageId + '"]')) {
            added.push(item);
          }
        });
        if (added.length === 0) {
          return;
        }
        var empty = document.getElementById('thread-empty');
        if (empty) {
          empty.remove();
        }
        added.forEach(function (item) {
          if (item.querySelector('.message-seen')) {
            clearSeen();
          }
          thread.appendChild(item);
        });
        announce(added[added.length - 1]);
        added[added.length - 1].scrollIntoView({ block: 'nearest' });
      })
      .catch(function () {})
      .then(function () {
        fetching = false;
        if (again) {
          again = false;
          fetchNewer();
        }
      });
  }

  function clearSeen() {
    thread.querySelectorAll('.message-seen').forEach(function (seen) {
      seen.remove();
    });
  }

  /* "Seen" under the newest of one's messages the peer has read (sent at or before `at`). */
  function markSeen(at) {
    var mine = thread.querySelectorAll('[data-mine]');
    for (var i = mine.length - 1; i >= 0; i--) {
      if (Date.parse(mine[i].dataset.timestamp) <= at) {
        if (i === mine.length - 1 && !mine[i].querySelector('.message-seen')) {
          clearSeen();
          var seen = document.createElement('p');
          seen.className = 'mb-0 small text-body-secondary message-seen';
          seen.textContent = thread.dataset.seenLabel;
          mine[i].appendChild(seen);
        }
        return;
      }
    }
  }

  var handlers = notifications.handlers;
  handlers.new_message = function (data) {
    if (live && data && data.peer === peer) {
      fetchNewer();
    }
  };
  handlers.message_deleted = function (data) {
    if (data && data.peer === peer) {
      var item = thread.querySelector('[data-message-id="' + Number(data.id) + '"]');
      if (item) {
        item.remove();
      }
    }
  };
  /* Events this page missed are no longer in the log: show the thread as it is now. */
  document.addEventListener('microblog:reset', function () {
    window.location.reload();
  });
  handlers.conversation_seen = function (data) {
    if (data && data.peer === peer) {
      markSeen(Number(data.at));
    }
  };

  /* Relative times ("2 minutes ago") kept fresh while the page stays open. */
  var UNITS = [
    ['year', 31536000],
    ['month', 2592000],
    ['week', 604800],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ];
  var relative = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  function refreshTimes() {
    thread.querySelectorAll('time[datetime]').forEach(function (time) {
      var seconds = Math.round((Date.parse(time.dateTime) - Date.now()) / 1000);
      for (var i = 0; i < UNITS.length; i++) {
        if (Math.abs(seconds) >= UNITS[i][1] || UNITS[i][0] === 'second') {
          time.textContent = relative.format(Math.trunc(seconds / UNITS[i][1]), UNITS[i][0]);
          return;
        }
      }
    });
  }
  setInterval(refreshTimes, 30000);

  /* The newest message in view on arrival. */
  if (live && thread.lastElementChild) {
    thread.lastElementChild.scrollIntoView({ block: 'nearest' });
  }
})();

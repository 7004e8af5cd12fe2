/*
 * Live notifications for a logged-in user.
 *
 * One tab per browser (the leader, chosen with the Web Locks API) holds the EventSource on
 * /notifications/stream and relays each notification to the other tabs over a
 * BroadcastChannel: browsers allow ~6 HTTP/1.1 connections per site, so a stream per tab
 * would freeze page loads from the 7th tab on. When the leader tab closes, its lock passes to
 * another tab, which opens the stream and resumes after the last event id it has applied.
 * If EventSource is missing or keeps failing, the leader polls /notifications?since= every
 * 10 s (the tutorial's client) and tries the stream again later.
 *
 * Everything is per user: the lock and the channel carry the user id the page was rendered
 * for, and every request names it (?uid=), so a tab left open by the previous user of a shared
 * browser is refused (409) instead of being served the next user's data. When the session
 * ends (logout here or elsewhere: the stream sends `session_ended`, or the server answers
 * 401/409), the tab stops for good and clears what it showed.
 */
(function () {
  'use strict';

  var script = document.currentScript;
  var userId = script && script.dataset.userId;
  if (!userId) {
    return;
  }
  var STREAM_URL = '/notifications/stream?uid=' + encodeURIComponent(userId);
  /* What this page follows live besides the user's own events (a timeline's new posts). */
  var pageTopics = (script.dataset.watch || '').split(',').filter(Boolean);
  /* Announcements count towards the bell when the user's preferences say so. */
  var countsAnnouncements = script.dataset.announcements === '1';
  var POLL_URL = '/notifications?since=';
  var POLL_MS = 10000;
  var STREAM_RETRY_MS = 30000;
  var FAILURES_BEFORE_FALLBACK = 3;
  var baseTitle = document.title.replace(/^\(\d+\+?\)\s*/, '');
  var BADGE_MAX = 99;
  var pluralRules = new Intl.PluralRules(document.documentElement.lang || 'en');

  /* The plural form the server rendered for `count` (data-zero, data-one, data-few...,
     {count} for the number): the same choice as pluralText in view-helpers.ts. */
  function pluralText(el, count) {
    var data = el.dataset;
    var template = (count === 0 && data.zero) || data[pluralRules.select(count)] || data.other;
    return (template || '').split('{count}').join(String(count));
  }

  function badgeText(n) {
    return n > BADGE_MAX ? BADGE_MAX + '+' : String(n);
  }

  /* A badge (#<id>) shows "99+" above 99 and is hidden at 0; data-count and the live region
     that screen readers hear (#<id>_status: "150 unread messages") keep the exact number. */
  function setBadge(id, value) {
    var n = Math.max(0, Math.floor(Number(value)) || 0);
    var badge = document.getElementById(id);
    if (badge) {
      badge.textContent = badgeText(n);
      badge.setAttribute('data-count', String(n));
      badge.style.visibility = n ? 'visible' : 'hidden';
    }
    var status = document.getElementById(id + '_status');
    if (status) {
      var text = pluralText(status, n);
      if (status.textContent !== text) {
        status.textContent = text;
      }
    }
    var total = badgeCount('message_count') + badgeCount('notification_count');
    document.title = total ? '(' + badgeText(total) + ') ' + baseTitle : baseTitle;
  }

  function badgeCount(id) {
    var badge = document.getElementById(id);
    return badge ? Number(badge.getAttribute('data-count')) || 0 : 0;
  }

  function set_message_count(value) {
    setBadge('message_count', value);
  }
  window.set_message_count = set_message_count;

  /* The bell: notifications not seen yet (the notification center clears it). */
  function set_notification_count(value) {
    setBadge('notification_count', value);
  }
  window.set_notification_count = set_notification_count;

  /* An admin's announcement: a dismissible banner above the page, until dismissed. */
  var DISMISSED_KEY = 'microblog-announcement-dismissed';

  function showAnnouncement(data, n) {
    var existing = document.getElementById('announcement');
    if (existing) {
      existing.remove();
    }
    var message = data && typeof data === 'object' ? data.message : data;
    if (!message || String(n.timestamp) === localStorage.getItem(DISMISSED_KEY)) {
      return;
    }
    var banner = document.createElement('div');
    banner.id = 'announcement';
    banner.className = 'alert alert-info alert-dismissible fade show';
    banner.setAttribute('role', 'status');
    var text = document.createElement('span');
    text.textContent = String(message);
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'btn-close';
    close.setAttribute('aria-label', document.documentElement.dataset.closeLabel || 'Close');
    close.addEventListener('click', function () {
      localStorage.setItem(DISMISSED_KEY, String(n.timestamp));
      banner.remove();
    });
    banner.appendChild(text);
    banner.appendChild(close);
    var main = document.querySelector('main');
    if (main) {
      main.insertBefore(banner, main.firstChild);
    }
  }

  /* What to do with each kind of notification; new kinds plug in here. */
  var handlers = {
    unread_message_count: function (count) {
      set_message_count(count);
    },
    notification_count: function (count, n) {
      countTimestamp = Math.max(countTimestamp, n.timestamp || 0);
      set_notification_count(count);
    },
    /* A post for the home timeline: public/js/timeline.js shows it. */
    new_post: function (data) {
      document.dispatchEvent(new CustomEvent('microblog:new_post', { detail: data }));
    },
    announcement: showAnnouncement,
  };
  /* For pages and tests: `role` is "leader" (holds the stream) or "follower"; `live` is true
     while this tab receives notifications live (its own stream, or a leader's relay); `ended`
     once the session this page was rendered for is over. */
  var state = { handlers: handlers, role: null, live: false, ended: false };
  window.microblogNotifications = state;

  /* The stream sends the user's events in order, each once, with the cursor "seq:announcement"
     as its id; frames of the current state repeat the cursor the stream started from. Every
     event is applied, in the order it came; a relayed or repeated one (an id before this
     tab's cursor) is skipped. latest keeps the newest of each name for tabs that open later. */
  var latest = {};
  /* The position the page was rendered at: the stream resumes there, so nothing that
     happened between rendering and the stream's open is missed. */
  var lastEventId = script.dataset.eventCursor || '';
  var lastTimestamp = 0;
  /* When the bell's value was set by the server (0: as the page was rendered). */
  var countTimestamp = 0;

  function position(id) {
    var match = /^(\d+):(\d+)$/.exec(id || '');
    return match ? [Number(match[1]), Number(match[2])] : null;
  }

  /* 1: after this tab's cursor; 0: at it (state) or no position; -1: already applied. */
  function placeOf(id) {
    var next = position(id);
    var last = position(lastEventId);
    if (!next || !last) {
      return next ? 1 : 0;
    }
    if (next[0] > last[0] || next[1] > last[1]) {
      return 1;
    }
    return next[0] === last[0] && next[1] === last[1] ? 0 : -1;
  }

  function apply(n) {
    var place = placeOf(n.id);
    if (place < 0) {
      return;
    }
    if (place > 0) {
      lastEventId = n.id;
    }
    if (n.timestamp > lastTimestamp) {
      lastTimestamp = n.timestamp;
    }
    latest[n.name] = n;
    var handler = handlers[n.name];
    if (handler) {
      handler(n.data, n);
    }
    // An announcement is a line of the notification center too: one more on the bell, unless
    // the bell's value came from a moment after it (the state a stream starts with counts it).
    if (n.everyone && place > 0 && countsAnnouncements && n.timestamp > countTimestamp) {
      countTimestamp = n.timestamp;
      set_notification_count(badgeCount('notification_count') + 1);
    }
  }

  /* A live frame of a topic some tab watches (a new or deleted post): not in the user's order,
     never stored; every tab's page picks what concerns it. */
  function livePost(data) {
    document.dispatchEvent(new CustomEvent('microblog:post', { detail: data }));
  }

  /* The log no longer holds what this page missed: pages that show events reload them. */
  function reset(id) {
    lastEventId = id || lastEventId;
    document.dispatchEvent(new CustomEvent('microblog:reset'));
  }

  var channel =
    'BroadcastChannel' in window ? new BroadcastChannel('microblog-notifications-' + userId) : null;
  var isLeader = false;
  var releaseLeadership = function () {};

  function deliver(n) {
    apply(n);
    if (channel) {
      channel.postMessage({ type: 'notification', notification: n });
    }
  }

  if (channel) {
    channel.onmessage = function (event) {
      var message = event.data || {};
      if (message.type === 'notification') {
        apply(message.notification);
      } else if (message.type === 'post') {
        livePost(message.data);
      } else if (message.type === 'watch' && isLeader) {
        watch(message.topics);
      } else if (message.type === 'leader' && pageTopics.length) {
        channel.postMessage({ type: 'watch', topics: pageTopics });
      } else if (message.type === 'reset') {
        reset(message.id);
      } else if (message.type === 'ended') {
        end(false);
      } else if (message.type === 'sync' && isLeader) {
        Object.keys(latest).forEach(function (name) {
          channel.postMessage({ type: 'notification', notification: latest[name] });
        });
      }
    };
  }

  /* The leader's stream watches the topics of every tab (a tab tells it when it opens): its
     own page's always, then the other tabs' newest, 8 in all (the server keeps the last 8). */
  var MAX_TOPICS = 8;
  var watched = pageTopics.slice();

  function watch(topics) {
    var added = (topics || []).filter(function (topic) {
      return watched.indexOf(topic) < 0;
    });
    if (!added.length) {
      return;
    }
    var others = watched
      .filter(function (topic) {
        return pageTopics.indexOf(topic) < 0;
      })
      .concat(added);
    watched = others.slice(-(MAX_TOPICS - pageTopics.length)).concat(pageTopics);
    if (source) {
      startStream();
    }
  }

  /* The 10 s polling fallback. */
  var pollTimer = null;

  function poll() {
    fetch(POLL_URL + encodeURIComponent(lastTimestamp) + '&uid=' + encodeURIComponent(userId), {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
    })
      .then(function (response) {
        if (response.status === 401 || response.status === 409) {
          end(true);
        }
        return response.ok ? response.json() : [];
      })
      .then(function (notifications) {
        notifications.forEach(deliver);
      })
      .catch(function () {
        /* offline: the next poll tries again */
      });
  }

  function startPolling() {
    if (pollTimer === null) {
      poll();
      pollTimer = setInterval(poll, POLL_MS);
    }
  }

  function stopPolling() {
    if (pollTimer !== null) {
      clearInterval(pollTimer);
      pollTimer = null;
    }
  }

  /* The stream, held by the leader tab. */
  var source = null;
  var failures = 0;
  var retryTimer = null;

  function startStream() {
    clearTimeout(retryTimer);
    if (source) {
      source.close();
    }
    if (!('EventSource' in window)) {
      startPolling();
      return;
    }
    // EventSource sends Last-Event-ID itself when it reconnects; a stream opened anew (page
    // load, new leader, after the fallback) passes the cursor in the URL.
    source = new EventSource(
      STREAM_URL +
        (watched.length ? '&watch=' + encodeURIComponent(watched.join(',')) : '') +
        (lastEventId ? '&lastEventId=' + encodeURIComponent(lastEventId) : ''),
    );
    source.onopen = function () {
      failures = 0;
      state.live = true;
      stopPolling();
    };
    source.onmessage = function (event) {
      if (!event.data) {
        return;
      }
      var n = JSON.parse(event.data);
      n.id = event.lastEventId;
      deliver(n);
    };
    // The current state (the badge's count, the announcement), when the stream starts.
    source.addEventListener('state', source.onmessage);
    source.addEventListener('post', function (event) {
      var data = JSON.parse(event.data);
      livePost(data);
      if (channel) {
        channel.postMessage({ type: 'post', data: data });
      }
    });
    source.addEventListener('reset', function (event) {
      reset(event.lastEventId);
      if (channel) {
        channel.postMessage({ type: 'reset', id: event.lastEventId });
      }
    });
    source.addEventListener('session_ended', function () {
      end(true);
    });
    source.onerror = function () {
      failures++;
      state.live = false;
      if (source.readyState === EventSource.CLOSED || failures >= FAILURES_BEFORE_FALLBACK) {
        source.close();
        source = null;
        // Refused (EventSource hides the status): the poll tells a session that is over
        // (401, 409: it ends this tab) from a server that is away or busy (429: keep polling).
        startPolling();
        retryTimer = setTimeout(startStream, STREAM_RETRY_MS);
      }
    };
  }

  /* The session this page was rendered for is over: stop for good and show nothing of it. */
  function end(tellOtherTabs) {
    if (state.ended) {
      return;
    }
    state.ended = true;
    state.live = false;
    clearTimeout(retryTimer);
    stopPolling();
    if (source) {
      source.close();
      source = null;
    }
    latest = {};
    set_message_count(0);
    set_notification_count(0);
    var banner = document.getElementById('announcement');
    if (banner) {
      banner.remove();
    }
    if (channel && tellOtherTabs) {
      channel.postMessage({ type: 'ended' });
    }
    releaseLeadership();
  }

  function lead() {
    if (state.ended) {
      return;
    }
    isLeader = true;
    state.role = 'leader';
    if (channel) {
      // The other tabs tell the new leader what their pages watch.
      channel.postMessage({ type: 'leader' });
    }
    startStream();
    window.addEventListener('online', function () {
      if (!state.ended) {
        failures = 0;
        startStream();
      }
    });
  }

  if (channel && navigator.locks) {
    // Held until this tab closes or its session ends; the next tab in line then leads.
    navigator.locks.request('microblog-notifications-leader-' + userId, function () {
      lead();
      return new Promise(function (resolve) {
        releaseLeadership = resolve;
        if (state.ended) {
          resolve();
        }
      });
    });
    channel.postMessage({ type: 'sync' });
    if (pageTopics.length) {
      channel.postMessage({ type: 'watch', topics: pageTopics });
    }
    if (!isLeader) {
      state.role = 'follower';
      state.live = true;
    }
  } else {
    lead();
  }
})();

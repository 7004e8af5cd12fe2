/*
 * A live timeline (home, explore or a profile; views/partials/post_list.hbs).
 *
 * New posts never move what the reader is looking at: they gather behind a "Show N new posts"
 * button, and activating it fetches them (rendered by the server like the page, so escaped
 * alike), puts them on top, and moves focus to the first of them. The reader's own posts go
 * straight in. A deleted post leaves the page at once. The home timeline hears of new posts
 * through the user's ordered events (new_post); explore and profiles through live `post`
 * frames of the topic the page watches. After a reset of the stream the page asks the server
 * what it missed.
 */
(function () {
  'use strict';

  var timeline = document.getElementById('timeline');
  if (!timeline) {
    return;
  }
  var list = document.getElementById('posts');
  var button = document.getElementById('new-posts');
  var status = document.getElementById('new-posts-status');
  var watch = timeline.dataset.watch || '';
  var author = timeline.dataset.author || null;
  var firstPage = timeline.dataset.firstPage === 'true';
  var me = document.querySelector('script[data-username]');
  var myName = me ? me.dataset.username : null;
  var pending = [];
  var pluralRules = new Intl.PluralRules(document.documentElement.lang || 'en');

  function pluralText(el, count) {
    var data = el.dataset;
    var template = (count === 0 && data.zero) || data[pluralRules.select(count)] || data.other;
    return (template || '').split('{count}').join(String(count));
  }

  function shown(id) {
    return Boolean(list && list.querySelector('[data-post-id="' + id + '"]'));
  }

  function updateButton() {
    if (!button) {
      return;
    }
    button.hidden = pending.length === 0;
    button.textContent = pluralText(button, pending.length);
  }

  /* Fetches the posts and puts them on top, newest first; returns the first one inserted. */
  function insert(ids) {
    return fetch('/posts/live?ids=' + ids.join(','), {
      credentials: 'same-origin',
      headers: { Accept: 'text/html' },
    })
      .then(function (response) {
        return response.ok ? response.text() : '';
      })
      .then(function (html) {
        var template = document.createElement('template');
        template.innerHTML = html;
        var items = Array.prototype.slice.call(template.content.querySelectorAll('li.post'));
        var fresh = items.filter(function (item) {
          return !shown(item.dataset.postId);
        });
        fresh.forEach(function (item) {
          // Forms in the fragment come back to this page, not to the fragment's address.
          item.querySelectorAll('input[name="next"]').forEach(function (input) {
            input.value = window.location.pathname + window.location.search;
          });
        });
        for (var i = fresh.length - 1; i >= 0; i--) {
          list.insertBefore(fresh[i], list.firstChild);
        }
        var empty = document.getElementById('no-posts');
        if (empty && fresh.length) {
          empty.remove();
        }
        return fresh[0] || null;
      });
  }

  function showPending() {
    var ids = pending.slice().reverse();
    pending = [];
    updateButton();
    insert(ids).then(function (first) {
      if (!first) {
        return;
      }
      status.textContent = pluralText(status, ids.length);
      // Focus goes to the newest post: the button it replaces is gone.
      first.setAttribute('tabindex', '-1');
      first.focus();
    });
  }

  function arrived(id, by) {
    if (!firstPage || !list || shown(id) || pending.indexOf(id) >= 0) {
      return;
    }
    if (by && by === myName) {
      insert([id]);
      return;
    }
    pending.push(id);
    updateButton();
  }

  function removed(id) {
    pending = pending.filter(function (pendingId) {
      return pendingId !== id;
    });
    updateButton();
    var item = list && list.querySelector('[data-post-id="' + id + '"]');
    if (!item) {
      return;
    }
    var hadFocus = item.contains(document.activeElement);
    var next = item.nextElementSibling || item.previousElementSibling;
    item.remove();
    if (hadFocus) {
      (next || timeline).setAttribute('tabindex', '-1');
      (next || timeline).focus();
    }
  }

  if (button) {
    button.addEventListener('click', showPending);
  }

  document.addEventListener('microblog:new_post', function (event) {
    if (watch === 'home') {
      arrived(event.detail.id, event.detail.author);
    }
  });

  document.addEventListener('microblog:post', function (event) {
    var post = event.detail || {};
    if (post.action === 'deleted') {
      removed(post.id);
    } else if (post.action === 'created') {
      if (watch === 'explore' || (author && post.author === author)) {
        arrived(post.id, post.author);
      }
    }
  });

  /* The stream could not say what happened meanwhile: the page asks the server. */
  document.addEventListener('microblog:reset', function () {
    if (!firstPage) {
      return;
    }
    fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        return response.ok ? response.text() : '';
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html');
        var ids = Array.prototype.map.call(fresh.querySelectorAll('#posts li.post'), function (li) {
          return Number(li.dataset.postId);
        });
        ids.reverse().forEach(function (id) {
          arrived(id, null);
        });
      })
      .catch(function () {});
  });
})();

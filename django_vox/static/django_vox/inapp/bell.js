/* django-vox in-app bell: no dependencies.
 *
 * Keeps the unread count current (polling the count endpoint with its ETag,
 * or server-sent events when the site enables them), lists the newest
 * messages when the button is pressed (marking them seen), marks one read when
 * it is clicked, and all read with the panel's button.  Titles are set with
 * textContent; bodies are HTML the server has already sanitized.
 */
(function () {
  "use strict";

  function Bell(root) {
    var data = root.dataset;
    this.root = root;
    this.data = data;
    this.button = root.querySelector("[data-vox-button]");
    this.badge = root.querySelector("[data-vox-count]");
    this.panel = root.querySelector("[data-vox-panel]");
    this.list = root.querySelector("[data-vox-list]");
    this.empty = root.querySelector("[data-vox-empty]");
    this.status = root.querySelector("[data-vox-status]");
    this.unread = parseInt(this.badge.textContent, 10) || 0;
    this.newest = parseInt(data.newest, 10) || 0;
    this.etag = null;
    this.timer = null;
    this.polling = false;  // true once the count comes by polling (also after SSE was refused)
    this.interval = Math.max(1, parseInt(data.interval, 10) || 30) * 1000;
    this.bind();
    this.live();
  }

  Bell.prototype.request = function (url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.cache = "no-store";
    options.headers = Object.assign({"Accept": "application/json"}, options.headers || {});
    if (options.method === "POST") {
      options.headers["X-CSRFToken"] = this.data.csrf;
    }
    return fetch(url, options);
  };

  Bell.prototype.post = function (url) {
    var self = this;
    return this.request(url, {method: "POST"}).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (body) {
      self.show(body.unread, body.newest);
      return body;
    });
  };

  Bell.prototype.changeUrl = function (id, action) {
    return this.data.changeUrl.replace(/\/0\/read\/$/, "/" + id + "/" + action + "/");
  };

  Bell.prototype.show = function (unread, newest) {
    var changed = newest !== undefined && newest !== this.newest;
    this.unread = unread;
    if (newest !== undefined) { this.newest = newest; }
    this.badge.textContent = String(unread);
    this.badge.hidden = unread === 0;
    this.button.setAttribute("aria-label", unread ?
      this.data.labelUnread.replace("__count__", unread) : this.data.label);
    if (changed && this.isOpen()) { this.load(); }
  };

  // -- live count ------------------------------------------------------------
  Bell.prototype.live = function () {
    if (this.data.live === "sse" && window.EventSource) {
      this.listen();
    } else {
      this.schedule();
    }
  };

  Bell.prototype.listen = function () {
    var self = this;
    var source = new EventSource(this.data.streamUrl, {withCredentials: true});
    source.addEventListener("count", function (event) {
      var body = JSON.parse(event.data);
      self.show(body.unread, body.newest);
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {  // refused (e.g. 501 under WSGI)
        self.schedule();
      }
    };
  };

  Bell.prototype.schedule = function () {
    var self = this;
    this.polling = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.poll(); }, this.interval);
  };

  Bell.prototype.poll = function () {
    var self = this;
    if (document.hidden) { return; }  // resumed by visibilitychange
    var headers = this.etag ? {"If-None-Match": this.etag} : {};
    this.request(this.data.countUrl, {headers: headers}).then(function (response) {
      if (response.status === 304) { return null; }
      if (!response.ok) { throw new Error(response.status); }
      self.etag = response.headers.get("ETag");
      return response.json();
    }).then(function (body) {
      if (body) { self.show(body.unread, body.newest); }
    }).catch(function () { /* try again next time */ }).then(function () {
      self.schedule();
    });
  };

  // -- the panel -------------------------------------------------------------
  Bell.prototype.isOpen = function () { return !this.panel.hidden; };

  Bell.prototype.open = function () {
    var self = this;
    this.panel.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.load().then(function () {
      return self.post(self.data.seenAllUrl);  // opening the list: all seen
    }).then(function () {
      self.list.querySelectorAll('[data-state="unseen"]').forEach(function (li) {
        li.dataset.state = "seen";
      });
    }).catch(function () {});
  };

  Bell.prototype.close = function (focus) {
    this.panel.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (focus) { this.button.focus(); }
  };

  Bell.prototype.load = function () {
    var self = this;
    var url = this.data.messagesUrl + "?limit=" + encodeURIComponent(this.data.limit);
    return this.request(url).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (body) {
      self.render(body.results);
      self.show(body.unread);
    }).catch(function (error) {
      self.status.textContent = self.data.textError;
      throw error;
    });
  };

  Bell.prototype.render = function (messages) {
    var self = this;
    this.list.textContent = "";
    this.empty.hidden = messages.length > 0;
    messages.forEach(function (message) { self.list.appendChild(self.item(message)); });
  };

  Bell.prototype.item = function (message) {
    var self = this;
    var li = document.createElement("li");
    li.className = "vox-bell__item";
    li.dataset.state = message.state;
    li.dataset.id = message.id;
    var main = document.createElement(message.link ? "a" : "div");
    main.className = "vox-bell__main";
    if (message.link) { main.href = message.link; }
    var title = document.createElement("strong");
    title.className = "vox-bell__item-title";
    title.textContent = message.title;
    var body = document.createElement("div");
    body.className = "vox-bell__body";
    body.innerHTML = message.body;  // sanitized by the server (django_vox.inapp.markup)
    var time = document.createElement("time");
    time.className = "vox-bell__time";
    time.dateTime = message.created_at;
    time.textContent = new Date(message.created_at).toLocaleString();
    main.append(title, body, time);
    main.addEventListener("click", function (event) {
      if (message.read) { return; }
      if (message.link) { event.preventDefault(); }
      self.post(self.changeUrl(message.id, "read")).then(function (answer) {
        message.read = true;
        li.dataset.state = answer.message.state;
        toggle.textContent = self.data.textMarkUnread;
      }).catch(function () {}).then(function () {
        if (message.link) { window.location.href = message.link; }
      });
    });
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "vox-bell__toggle";
    toggle.textContent = message.read ? this.data.textMarkUnread : this.data.textMarkRead;
    toggle.addEventListener("click", function () {
      var action = message.read ? "unread" : "read";
      self.post(self.changeUrl(message.id, action)).then(function (answer) {
        message.read = answer.message.read;
        li.dataset.state = answer.message.state;
        toggle.textContent = message.read ? self.data.textMarkUnread : self.data.textMarkRead;
      }).catch(function () {});
    });
    li.append(main, toggle);
    return li;
  };

  Bell.prototype.bind = function () {
    var self = this;
    this.button.addEventListener("click", function () {
      if (self.isOpen()) { self.close(false); } else { self.open(); }
    });
    this.root.querySelector("[data-vox-read-all]").addEventListener("click", function () {
      self.post(self.data.readAllUrl).then(function () { return self.load(); })
        .catch(function () {});
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && self.isOpen()) { self.close(true); }
    });
    document.addEventListener("click", function (event) {
      if (self.isOpen() && !self.root.contains(event.target)) { self.close(false); }
    });
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && self.polling) { self.poll(); }
    });
  };

  function start() {
    document.querySelectorAll("[data-vox-bell]").forEach(function (root) {
      if (!root.voxBell) { root.voxBell = new Bell(root); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());

// The Mini App: our week, earlier weeks, and my journal. Every text is set with textContent
// (never innerHTML): names and notes are the people's own words and are shown as text.
// The API takes Telegram's initData in a header, never in the URL.
(function () {
  "use strict";

  document.documentElement.dataset.started = String(performance.now());
  var tg = window.Telegram && window.Telegram.WebApp;
  var initData = (tg && tg.initData) || "";
  var unsafe = (tg && tg.initDataUnsafe) || {};
  var lang = (unsafe.user && unsafe.user.language_code) || navigator.language || "";
  var root = document.getElementById("app");
  var state = { back: 0, oldest: 0, page: 0, tab: "week", texts: null, week: null };
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function add(parent, child) {
    parent.appendChild(child);
    return child;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function theme() {
    var params = (tg && tg.themeParams) || {};
    var names = {
      bg_color: "--bg", text_color: "--text", hint_color: "--hint", link_color: "--link",
      button_color: "--button", button_text_color: "--button-text",
      secondary_bg_color: "--card"
    };
    Object.keys(names).forEach(function (key) {
      var value = params[key];
      if (typeof value === "string" && /^#[0-9a-fA-F]{3,8}$/.test(value)) {
        document.documentElement.style.setProperty(names[key], value);
      }
    });
  }

  function api(path, method) {
    var join = path.indexOf("?") < 0 ? "?" : "&";
    return fetch(path + join + "lang=" + encodeURIComponent(lang), {
      method: method || "GET",
      headers: { Authorization: "tma " + initData },
      cache: "no-store",
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(
        function (body) { return { status: response.status, body: body }; },
        function () { return { status: response.status, body: {} }; }
      );
    });
  }

  function kind(title, text) {
    clear(root);
    var box = add(root, el("section", "kind"));
    add(box, el("h1", null, title));
    add(box, el("p", null, text));
    document.documentElement.dataset.screen = "refused";
    rendered();
  }

  function toast(text) {
    var note = add(document.body, el("div", "toast", text));
    setTimeout(function () { note.remove(); }, 3000);
  }

  function failed(answer) {
    var body = answer.body || {};
    if (answer.status === 401 || answer.status === 403) {
      kind(body.title || "", body.text || "");
    } else if (answer.status === 429) {
      toast(body.text || "…");
    } else {
      toast(body.text || (state.texts && state.texts.errorText) || "…");
    }
  }

  function rendered() {
    if (!document.documentElement.dataset.rendered) {
      document.documentElement.dataset.rendered = String(performance.now());
    }
  }

  function tabs() {
    var t = state.texts;
    var row = add(root, el("nav", "tabs"));
    [["week", t.weekTab], ["journal", t.journalTab]].forEach(function (pair) {
      var button = add(row, el("button", null, pair[1]));
      button.type = "button";
      button.dataset.tab = pair[0];
      button.setAttribute("aria-selected", String(state.tab === pair[0]));
      button.addEventListener("click", function () {
        state.tab = pair[0];
        if (pair[0] === "week") showWeek(state.back); else showJournal(state.page);
      });
    });
  }

  function strip(days, paired) {
    // Seven days, oldest first: a dot for each of you who checked in.
    var ordered = days.slice().reverse();
    var box = document.createElementNS(SVG, "svg");
    box.setAttribute("class", "strip");
    box.setAttribute("viewBox", "0 0 350 " + (paired ? 58 : 40));
    box.setAttribute("role", "img");
    ordered.forEach(function (day, index) {
      var x = 25 + index * 50;
      var rows = paired ? [["me", 14], ["partner", 34]] : [["me", 14]];
      rows.forEach(function (row) {
        var on = Boolean(day.marks[row[0]]);
        var dot = document.createElementNS(SVG, "circle");
        dot.setAttribute("cx", String(x));
        dot.setAttribute("cy", String(row[1]));
        dot.setAttribute("r", "7");
        dot.setAttribute("class", on ? row[0] : "empty");
        box.appendChild(dot);
      });
      var label = document.createElementNS(SVG, "text");
      label.setAttribute("x", String(x));
      label.setAttribute("y", String(paired ? 54 : 36));
      label.setAttribute("text-anchor", "middle");
      label.textContent = day.label.split(" ")[0];
      box.appendChild(label);
    });
    return box;
  }

  function side(parent, title, lines, notes) {
    var box = add(parent, el("div", "side"));
    add(box, el("h3", null, title));
    lines.forEach(function (line) { add(box, el("p", null, line)); });
    (notes || []).forEach(function (note) { add(box, el("p", "note", note)); });
  }

  function nav() {
    var t = state.texts;
    var row = add(root, el("div", "nav"));
    var earlier = add(row, el("button", null, t.earlier));
    earlier.type = "button";
    earlier.dataset.go = "earlier";
    earlier.disabled = state.back >= state.oldest;
    earlier.addEventListener("click", function () { go(1); });
    var later = add(row, el("button", null, t.later));
    later.type = "button";
    later.dataset.go = "later";
    later.disabled = state.back <= 0;
    later.addEventListener("click", function () { go(-1); });
  }

  function go(step) {
    var back = state.back + step;
    if (state.tab !== "week" || back < 0 || back > state.oldest) return;
    showWeek(back);
  }

  function drawWeek(week) {
    var t = state.texts;
    clear(root);
    tabs();
    add(root, el("h1", null, week.title));
    nav();
    var paired = week.partner !== null;
    // What landed, as /us leads with it; alone (or while nothing is shared), one's own.
    var landed = add(root, el("section", "card landed"));
    add(landed, el("h2", null, t.landedTitle));
    week.landed.forEach(function (line) { add(landed, el("p", null, line)); });
    landed.appendChild(strip(week.days, paired));
    if (week.note) add(landed, el("p", "hint", week.note));
    var list = add(root, el("div", "days"));
    week.days.forEach(function (day) {
      if (day.quiet) {
        add(list, el("p", "quiet", day.label + " · " + day.me[0]));
        return;
      }
      var card = add(list, el("section", day.kept ? "card day kept" : "card day"));
      add(card, el("h2", null, day.label));
      var sides = add(card, el("div", "sides"));
      side(sides, t.you, day.me, day.myNotes);
      if (paired) side(sides, week.partner, day.partner, day.partnerNotes);
    });
    if (week.differences.length) {
      var differ = add(root, el("section", "card differences"));
      add(differ, el("h2", null, t.seenDifferently));
      week.differences.forEach(function (line) { add(differ, el("p", null, line)); });
      if (week.gapNote) add(differ, el("p", "hint", week.gapNote));
      var talk = add(differ, el("button", "primary", t.talkButton));
      talk.type = "button";
      talk.dataset.action = "talk";
      talk.addEventListener("click", function () { startTalk(talk); });
    }
    if (week.firstWeek) add(root, el("p", "hint", t.firstWeek));
    else if (week.weeksBack < week.oldest) add(root, el("p", "hint", t.swipeHint));
    document.documentElement.dataset.screen = "week";
    document.documentElement.dataset.weeksBack = String(week.weeksBack);
    rendered();
  }

  function showWeek(back) {
    state.tab = "week";
    return api("api/week?back=" + back).then(function (answer) {
      if (answer.status !== 200) return failed(answer);
      state.texts = answer.body.texts;
      document.documentElement.lang = state.texts.language;
      document.title = state.texts.pageTitle;
      state.week = answer.body.week;
      state.back = state.week.weeksBack;
      state.oldest = state.week.oldest;
      drawWeek(state.week);
    }, function () { toast("…"); });
  }

  function showJournal(page) {
    state.tab = "journal";
    return api("api/journal?page=" + page).then(function (answer) {
      if (answer.status !== 200) return failed(answer);
      var t = state.texts, journal = answer.body;
      state.page = journal.page;
      clear(root);
      tabs();
      add(root, el("h1", null, t.journalTab));
      if (journal.empty) add(root, el("p", "hint", journal.empty));
      journal.entries.forEach(function (entry) {
        var card = add(root, el("article", "card entry"));
        add(card, el("p", "meta", entry.day + " · " + entry.what + " " + entry.mark));
        var body = el("p", "body", entry.body);
        if (entry.behindTap) {
          var show = add(card, el("button", null, t.showNote));
          show.type = "button";
          show.addEventListener("click", function () { show.replaceWith(body); });
        } else {
          card.appendChild(body);
        }
      });
      if (journal.pages > 1) {
        var row = add(root, el("div", "nav"));
        var newer = add(row, el("button", null, t.newer));
        newer.type = "button";
        newer.disabled = journal.page <= 0;
        newer.addEventListener("click", function () { showJournal(journal.page - 1); });
        var older = add(row, el("button", null, t.older));
        older.type = "button";
        older.disabled = journal.page >= journal.pages - 1;
        older.addEventListener("click", function () { showJournal(journal.page + 1); });
      }
      document.documentElement.dataset.screen = "journal";
    }, function () { toast("…"); });
  }

  function startTalk(button) {
    button.disabled = true;
    api("api/talk", "POST").then(function (answer) {
      if (answer.status !== 200) {
        button.disabled = false;
        return failed(answer);
      }
      toast(state.texts.talkStarted);
      document.documentElement.dataset.talk = "started";
      if (tg && tg.close) setTimeout(function () { tg.close(); }, 600);
    }, function () { button.disabled = false; });
  }

  function swipes() {
    // A swipe to the right goes back a week, to the left forward (pointer events: a finger
    // on a phone, a mouse drag elsewhere; main has touch-action: pan-y for this).
    var start = null;
    root.addEventListener("pointerdown", function (event) {
      start = { x: event.clientX, y: event.clientY };
    });
    root.addEventListener("pointerup", function (event) {
      if (!start) return;
      var dx = event.clientX - start.x, dy = event.clientY - start.y;
      start = null;
      if (Math.abs(dx) > 60 && Math.abs(dy) < Math.abs(dx) / 2) go(dx > 0 ? 1 : -1);
    });
    root.addEventListener("pointercancel", function () { start = null; });
  }

  theme();
  if (tg) {
    if (tg.ready) tg.ready();
    if (tg.expand) tg.expand();
  }
  swipes();
  showWeek(0);
})();

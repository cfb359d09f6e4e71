// The review page's script: filters, saving, approving, conflicts, keyboard.
// Plain JavaScript, no libraries. Text from the book or from people is only
// ever put into the page with textContent or value, never as HTML.
(function () {
  "use strict";

  var NAME_KEY = "pipeline-review-name";
  var TOKEN_KEY = "pipeline-review-token";
  var LABELS = { "new": "New", "machine": "Machine", "needs-review": "Needs review", "reviewed": "Reviewed" };
  var MARKS = { "new": "○", "machine": "◆", "needs-review": "▲", "reviewed": "✓" };

  var body = document.body;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  // The access token: in the page, never in a cookie (cookies ignore ports, so
  // any other server on this machine would receive it). It leaves the address
  // bar at once, stays in this tab's sessionStorage (this host and port only)
  // for reloads, and goes with every request as an Authorization header.
  var token = document.querySelector('meta[name="access-token"]').getAttribute("content");
  try { window.sessionStorage.setItem(TOKEN_KEY, token); } catch (e) { /* private mode */ }
  (function dropTokenFromAddress() {
    var params = new URLSearchParams(window.location.search);
    if (!params.has("token")) { return; }
    params.delete("token");
    var query = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
  }());
  var fixedName = body.getAttribute("data-reviewer-fixed") || "";
  var sourceName = document.querySelector(".col.src .col-label");
  sourceName = sourceName ? sourceName.textContent : "source";
  var statusBox = document.getElementById("status");
  var stateSelect = document.getElementById("f-state");
  var qaBox = document.getElementById("f-qa");
  var selectAll = document.getElementById("sel-all");
  var approveSelected = document.getElementById("approve-selected");
  var dialog = document.getElementById("who-dialog");
  var nameInput = document.getElementById("who-input");
  var pendingName = null;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("li.seg")); }
  function rowOf(el) { return el && el.closest ? el.closest("li.seg") : null; }
  function textarea(row) { return row.querySelector("textarea.tx"); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); }); }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function say(text, failed) {
    // Clear first so that the same message twice is announced twice.
    statusBox.textContent = "";
    statusBox.className = "status" + (failed ? " error" : "");
    window.setTimeout(function () { statusBox.textContent = text; measureSticky(); }, 30);
  }

  // -- reviewer name, asked once and remembered in this browser ------------

  function storedName() {
    if (fixedName) { return fixedName; }
    try { return window.localStorage.getItem(NAME_KEY) || ""; } catch (e) { return ""; }
  }
  function showName() {
    var name = storedName();
    document.getElementById("who-name").textContent = name || "(no name yet)";
  }
  function askName() {
    return new Promise(function (resolve) {
      nameInput.value = storedName() || body.getAttribute("data-reviewer-suggestion") || "";
      pendingName = resolve;
      if (!dialog.open) { dialog.showModal(); }
      nameInput.focus();
      nameInput.select();
    });
  }
  document.getElementById("who-form").addEventListener("submit", function () {
    var name = nameInput.value.replace(/\s+/g, " ").trim();
    if (name) {
      try { window.localStorage.setItem(NAME_KEY, name); } catch (e) { /* private mode */ }
      showName();
      say("Reviewing as " + name + ".");
    }
    if (pendingName) { var done = pendingName; pendingName = null; done(name); }
  });
  dialog.addEventListener("close", function () {
    if (pendingName) { var done = pendingName; pendingName = null; done(storedName()); }
  });
  var changeName = document.getElementById("who-change");
  if (changeName) { changeName.addEventListener("click", function () { askName(); }); }
  function reviewer() {
    var name = storedName();
    return name ? Promise.resolve(name) : askName();
  }

  // -- filters ---------------------------------------------------------------

  function matches(row) {
    var want = stateSelect.value;
    var state = row.getAttribute("data-state");
    if (want === "todo" && state === "reviewed") { return false; }
    if (want && want !== "todo" && state !== want) { return false; }
    if (qaBox.checked && row.getAttribute("data-qa") === "0") { return false; }
    return true;
  }
  // Rows saved since the last filter change stay in view (a reviewer who
  // approves in the "Machine" view does not see the row vanish under them).
  function applyFilter() {
    var all = rows();
    var shown = 0;
    all.forEach(function (row) {
      var visible = matches(row);
      row.hidden = !visible;
      if (visible) { shown += 1; }
    });
    Array.prototype.forEach.call(document.querySelectorAll("section.section"), function (sec) {
      sec.hidden = !sec.querySelector("li.seg:not([hidden])");
    });
    document.getElementById("shown").textContent = "Showing " + shown + " of " + all.length;
    var params = new URLSearchParams();
    if (stateSelect.value) { params.set("state", stateSelect.value); }
    if (qaBox.checked) { params.set("qa", "1"); }
    var query = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    updateSelection();
  }
  document.getElementById("filters").addEventListener("submit", function (e) { e.preventDefault(); applyFilter(); });
  stateSelect.addEventListener("change", function () { applyFilter(); });
  qaBox.addEventListener("change", function () { applyFilter(); });

  // -- counts and progress -----------------------------------------------------

  function setCounts(counts) {
    var total = 0;
    Object.keys(counts).forEach(function (k) { total += counts[k]; });
    var reviewed = counts.reviewed || 0;
    var progress = document.getElementById("progress");
    progress.max = total;
    progress.value = reviewed;
    var pct = total ? Math.round(100 * reviewed / total) : 100;
    document.getElementById("progress-text").textContent =
      reviewed + " of " + total + " segments reviewed (" + pct + "%)";
    Object.keys(counts).forEach(function (k) {
      var cell = document.querySelector('[data-count="' + k + '"]');
      if (cell) { cell.textContent = String(counts[k]); }
    });
    var numbers = { all: total, todo: total - reviewed };
    Object.keys(counts).forEach(function (k) { numbers[k] = counts[k]; });
    Array.prototype.forEach.call(stateSelect.options, function (opt) {
      var of = opt.getAttribute("data-count-of");
      opt.textContent = opt.getAttribute("data-label") + " (" + numbers[of] + ")";
    });
    var withQa = rows().filter(function (r) { return r.getAttribute("data-qa") !== "0"; }).length;
    document.getElementById("qa-count").textContent = String(withQa);
  }

  // -- selection ------------------------------------------------------------------

  function selectedRows() {
    return rows().filter(function (r) {
      var box = r.querySelector("input.sel");
      return !r.hidden && box.checked && !box.disabled;
    });
  }
  function updateSelection() {
    var n = selectedRows().length;
    approveSelected.textContent = "Approve selected (" + n + ")";
    approveSelected.disabled = n === 0;
    var selectable = rows().filter(function (r) { return !r.hidden && !r.querySelector("input.sel").disabled; });
    selectAll.checked = selectable.length > 0 && n === selectable.length;
    selectAll.indeterminate = n > 0 && n < selectable.length;
  }
  selectAll.addEventListener("change", function () {
    rows().forEach(function (r) {
      var box = r.querySelector("input.sel");
      if (!r.hidden && !box.disabled) { box.checked = selectAll.checked; }
    });
    updateSelection();
  });
  document.addEventListener("change", function (e) {
    if (e.target.classList && e.target.classList.contains("sel")) { updateSelection(); }
  });

  // -- talking to the server ------------------------------------------------------

  function post(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Authorization": "Bearer " + token },
      body: JSON.stringify(payload)
    }).then(function (res) {
      return res.json().catch(function () { return { message: res.status + " " + res.statusText }; })
        .then(function (data) { return { status: res.status, data: data }; });
    }, function () {
      return { status: 0, data: { message: "The review server does not answer. Is 'pipeline review serve' still running?" } };
    });
  }

  function setMessage(row, kind, parts) {
    var box = row.querySelector(".msg");
    box.textContent = "";
    box.className = "msg" + (kind ? " " + kind : "");
    (parts || []).forEach(function (p) { box.appendChild(p); });
  }

  function isDirty(row) {
    return textarea(row).value !== (row.getAttribute("data-saved") || "");
  }
  function markDirty(row) {
    var dirty = isDirty(row);
    row.classList.toggle("is-dirty", dirty);
    row.querySelector(".dirty").hidden = !dirty;
    row.querySelector(".revert").hidden = !dirty;
  }

  // Put what the server saved into a row.
  function update(row, seg, keepText) {
    row.setAttribute("data-version", seg.version);
    row.setAttribute("data-state", seg.state);
    row.setAttribute("data-qa", String(seg.findings.length));
    row.setAttribute("data-saved", seg.translation);
    row.removeAttribute("data-stale");
    row.classList.remove("is-stale");
    var ta = textarea(row);
    if (!keepText) { ta.value = seg.translation; }
    var badge = row.querySelector(".seg-head .badge");
    badge.setAttribute("data-state", seg.state);
    badge.querySelector(".mark").textContent = MARKS[seg.state];
    badge.querySelector(".label").textContent = LABELS[seg.state];
    var meta = "";
    if (seg.reviewer) {
      meta = "approved by " + seg.reviewer + (seg.reviewed_at ? " on " + seg.reviewed_at : "");
    } else if (seg.translator) {
      meta = "edited by " + seg.translator + ", not approved yet";
    } else if (seg.engine && seg.state === "machine") {
      meta = "machine translation (" + seg.engine + ")";
    }
    row.querySelector(".who-meta").textContent = meta;
    var box = row.querySelector("input.sel");
    box.disabled = seg.state === "new" || seg.state === "reviewed";
    if (box.disabled) { box.checked = false; }
    var diff = row.querySelector(".diff");
    if (diff && seg.diff.length === 0) { diff.parentNode.removeChild(diff); }
    renderNotes(row, seg);
    markDirty(row);
  }

  function renderNotes(row, seg) {
    var qa = row.querySelector(".qa");
    qa.textContent = "";
    if (seg.findings.length) {
      qa.appendChild(el("p", { "class": "notes-label" }, "QA warnings"));
      var list = el("ul");
      seg.findings.forEach(function (f) {
        var item = el("li", { "data-severity": f.severity });
        item.appendChild(el("strong", null, f.severity));
        item.appendChild(document.createTextNode(" " + f.title + ": " + f.message));
        list.appendChild(item);
      });
      qa.appendChild(list);
    }
    var conflict = row.querySelector(".conflict-note");
    if (conflict && !seg.conflict) { conflict.parentNode.removeChild(conflict); }
    var memory = row.querySelector(".memory");
    if (memory && (!seg.suggestions || seg.suggestions.length === 0)) { memory.parentNode.removeChild(memory); }
    var problems = row.querySelector(".problems");
    if (problems && seg.problems.length === 0) { problems.parentNode.removeChild(problems); }
    var unknown = row.querySelector(".unknown");
    if (unknown && (seg.unknown || []).length === 0) {
      unknown.parentNode.removeChild(unknown);
      var box = row.querySelector(".tx");
      if (box) {
        box.setAttribute("aria-describedby", box.getAttribute("aria-describedby").replace(" unk-" + seg.id, ""));
      }
    }
    Array.prototype.forEach.call(row.querySelectorAll(".glossary li"), function (item, i) {
      var hint = seg.glossary[i];
      if (!hint) { return; }
      item.setAttribute("data-used", hint.used ? "yes" : "no");
      item.querySelector(".used").textContent = hint.used ? "✓ used" : "not used yet";
    });
  }

  function quoteBlock(label, text, lang) {
    var wrap = el("div", { "class": "their" });
    wrap.appendChild(el("p", { "class": "their-label" }, label));
    var q = el("blockquote", lang ? { lang: lang } : null, text || "(empty)");
    wrap.appendChild(q);
    return wrap;
  }

  // A save was refused: show what is on disk now, keep the reviewer's text.
  function showConflict(row, seg) {
    var parts = [];
    row.setAttribute("data-stale", "1");
    if (!seg) {
      parts.push(el("p", null,
        "Not saved: this segment is no longer in the book (its " + sourceName +
        " text was edited). Your text is still in the box: copy it, then reload the page."));
      setMessage(row, "conflict", parts);
      return;
    }
    var sourceShown = row.querySelector(".source").lastChild.textContent;
    var who = seg.reviewer ? "approved by " + seg.reviewer + (seg.reviewed_at ? " on " + seg.reviewed_at : "")
      : seg.translator ? "saved by " + seg.translator
      : seg.state === "machine" ? "written by the machine translation (a build ran)"
      : LABELS[seg.state].toLowerCase();
    parts.push(el("p", null,
      "Not saved: someone else changed this segment after you opened the page. Nothing was overwritten."));
    if (seg.source !== sourceShown) {
      parts.push(quoteBlock("The " + sourceName + " text is now:", seg.source, body.getAttribute("data-source-lang")));
    }
    parts.push(quoteBlock("The translation now saved (" + who + "):", seg.translation, body.getAttribute("data-lang")));
    parts.push(el("p", null, "Your text is still in the box."));
    var actions = el("div", { "class": "actions" });
    var useTheirs = el("button", { type: "button" }, "Use their text");
    var keepMine = el("button", { type: "button" }, "Approve my text instead");
    useTheirs.addEventListener("click", function () {
      update(row, seg, false);
      setMessage(row, "", []);
      textarea(row).focus();
      say("Their text is in the box now.");
    });
    keepMine.addEventListener("click", function () {
      row.setAttribute("data-version", seg.version);
      approveRows([row], true);
    });
    actions.appendChild(useTheirs);
    actions.appendChild(keepMine);
    parts.push(actions);
    setMessage(row, "conflict", parts);
    useTheirs.focus();
  }

  function handleFailure(res, rowsInvolved) {
    var data = res.data || {};
    if (res.status === 409) {
      var byId = {};
      (data.segments || []).forEach(function (s) { byId[s.id] = s; });
      rowsInvolved.forEach(function (row) {
        var id = row.getAttribute("data-id");
        if (byId[id]) { showConflict(row, byId[id]); }
        else if ((data.missing || []).indexOf(id) >= 0) { showConflict(row, null); }
      });
      say("Nothing was saved: " + (data.message || "a segment changed meanwhile") + ".", true);
      return;
    }
    var message = data.message || "The save failed.";
    if (rowsInvolved.length === 1) {
      setMessage(rowsInvolved[0], "error", [el("p", null, "Not saved: " + message)]);
    }
    say("Not saved: " + message, true);
  }

  function approveRows(list, moveOn) {
    if (!list.length) { return Promise.resolve(false); }
    return reviewer().then(function (name) {
      if (!name) { say("Type your name first: it is recorded with each approval.", true); return false; }
      var items = list.map(function (row) {
        return { id: row.getAttribute("data-id"), version: row.getAttribute("data-version"), text: textarea(row).value };
      });
      list.forEach(function (row) { row.setAttribute("aria-busy", "true"); });
      return post("/api/approve", { reviewer: name, items: items }).then(function (res) {
        list.forEach(function (row) { row.removeAttribute("aria-busy"); });
        if (res.status !== 200) { handleFailure(res, list); return false; }
        var byId = {};
        res.data.segments.forEach(function (s) { byId[s.id] = s; });
        list.forEach(function (row) {
          var seg = byId[row.getAttribute("data-id")];
          if (seg) {
            update(row, seg, false);
            setMessage(row, "ok", [el("p", null, "Approved.")]);
          }
        });
        setCounts(res.data.counts);
        updateSelection();
        var reviewed = res.data.counts.reviewed;
        var total = Object.keys(res.data.counts).reduce(function (a, k) { return a + res.data.counts[k]; }, 0);
        var what = list.length === 1 ? "Segment #" + list[0].getAttribute("data-number") + " approved" : list.length + " segments approved";
        say(what + ". " + reviewed + " of " + total + " reviewed.");
        if (moveOn && list.length === 1) { goNext(list[0], true); }
        return true;
      });
    });
  }

  function saveRow(row) {
    return reviewer().then(function (name) {
      if (!name) { say("Type your name first: it is recorded with your translation.", true); return; }
      var item = { reviewer: name, id: row.getAttribute("data-id"), version: row.getAttribute("data-version"), text: textarea(row).value };
      return post("/api/save", item).then(function (res) {
        if (res.status !== 200) { handleFailure(res, [row]); return; }
        update(row, res.data.segments[0], false);
        setMessage(row, "ok", [el("p", null, "Saved, not approved yet.")]);
        setCounts(res.data.counts);
        say("Segment #" + row.getAttribute("data-number") + " saved, not approved yet.");
      });
    });
  }

  // -- moving around ----------------------------------------------------------------

  function visibleRows() { return rows().filter(function (r) { return !r.hidden; }); }
  function goNext(row, toReview) {
    var list = visibleRows();
    var i = list.indexOf(row);
    for (var j = i + 1; j < list.length; j += 1) {
      if (!toReview || list[j].getAttribute("data-state") !== "reviewed") { return focusRow(list[j]); }
    }
    if (toReview) { say("No more segments to review below this one in this view."); }
    return false;
  }
  function goPrevious(row) {
    var list = visibleRows();
    var i = list.indexOf(row);
    if (i > 0) { return focusRow(list[i - 1]); }
    return false;
  }
  function focusRow(row) {
    var ta = textarea(row);
    ta.focus();
    row.scrollIntoView({ block: "nearest" });
    return true;
  }

  document.addEventListener("keydown", function (e) {
    var row = rowOf(e.target);
    if (!row || !e.target.classList.contains("tx")) { return; }
    var mod = e.ctrlKey || e.metaKey;
    if (mod && e.key === "Enter") {
      e.preventDefault();
      approveRows([row], true);
    } else if (mod && (e.key === "s" || e.key === "S")) {
      e.preventDefault();
      saveRow(row);
    } else if (e.altKey && e.key === "ArrowDown") {
      e.preventDefault();
      goNext(row, false);
    } else if (e.altKey && e.key === "ArrowUp") {
      e.preventDefault();
      goPrevious(row);
    } else if (e.altKey && !mod && e.code === "KeyM") {
      var first = row.querySelector("button.use-memory");
      if (first) { e.preventDefault(); useMemory(row, first); }
    }
  });

  // A translation-memory suggestion becomes the text in the box (not saved yet).
  function useMemory(row, button) {
    var ta = textarea(row);
    ta.value = button.getAttribute("data-text");
    markDirty(row);
    ta.focus();
    say("The memory's text is in the box of segment #" + row.getAttribute("data-number") +
      ": correct it if needed, then approve or save it.");
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button") : null;
    var row = rowOf(button);
    if (!row) { return; }
    if (button.classList.contains("use-memory")) { useMemory(row, button); }
    else if (button.classList.contains("approve")) { approveRows([row], false); }
    else if (button.classList.contains("save")) { saveRow(row); }
    else if (button.classList.contains("revert")) {
      textarea(row).value = row.getAttribute("data-saved") || "";
      markDirty(row);
      textarea(row).focus();
    }
  });
  document.addEventListener("input", function (e) {
    var row = rowOf(e.target);
    if (row && e.target.classList.contains("tx")) { markDirty(row); }
  });
  approveSelected.addEventListener("click", function () { approveRows(selectedRows(), false); });

  window.addEventListener("beforeunload", function (e) {
    if (rows().some(isDirty)) { e.preventDefault(); e.returnValue = ""; }
  });

  // -- changes made elsewhere (another reviewer, a build, a source edit) -----------

  function checkVersions() {
    if (document.hidden) { return; }
    fetch("/api/versions", { credentials: "same-origin", headers: { "Authorization": "Bearer " + token } }).then(function (res) {
      return res.ok ? res.json() : null;
    }).then(function (data) {
      if (!data) { return; }
      var changed = 0;
      rows().forEach(function (row) {
        var now = data.versions[row.getAttribute("data-id")];
        var stale = now !== row.getAttribute("data-version");
        row.classList.toggle("is-stale", stale);
        if (stale) { changed += 1; }
      });
      var banner = document.getElementById("stale");
      banner.hidden = changed === 0;
      document.getElementById("stale-text").textContent = changed === 0 ? "" :
        changed + " segment(s) changed on disk since this page was loaded (another reviewer, a build or an edit of the source). " +
        "Saving one of them will show you the other text first.";
      measureSticky();
    }, function () { /* server stopped: the next save says so */ });
  }
  // Reload with the token in the address (the page removes it again).
  function reload() {
    var params = new URLSearchParams(window.location.search);
    params.set("token", token);
    window.location.replace(window.location.pathname + "?" + params.toString());
  }
  document.getElementById("stale-reload").addEventListener("click", reload);
  document.addEventListener("visibilitychange", checkVersions);
  window.setInterval(checkVersions, 30000);

  // Keep focused segments clear of the sticky controls on wide screens.
  function measureSticky() {
    var controls = document.querySelector(".controls");
    var sticky = window.getComputedStyle(controls).position === "sticky";
    document.documentElement.style.setProperty("--sticky", sticky ? controls.offsetHeight + "px" : "0px");
  }
  window.addEventListener("resize", measureSticky);
  document.querySelector(".keys").addEventListener("toggle", measureSticky);

  // -- start ------------------------------------------------------------------------

  rows().forEach(function (row) { row.setAttribute("data-saved", textarea(row).value); });
  showName();
  applyFilter();
  measureSticky();
  if (!storedName()) { askName(); }
}());

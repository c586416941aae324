/* Tandem admin pages: plain JavaScript, no build step.
 *
 * Every API call asks Jira for a fresh context token (AP.context.getToken) and sends it as
 * "Authorization: JWT <token>"; the page itself holds no credentials. Data from the server is
 * always put into the page with textContent, never as HTML.
 */
(function () {
  "use strict";

  var body = document.body;
  var API = body.getAttribute("data-api");
  var REFRESH_MS = 5000;

  // -- talking to the server ----------------------------------------------------------------

  function contextToken() {
    return new Promise(function (resolve, reject) {
      var result = window.AP.context.getToken(function (token) { resolve(token); });
      // Newer all.js versions return a promise as well; either way one of them resolves.
      if (result && typeof result.then === "function") { result.then(resolve, reject); }
    });
  }

  function api(method, path, payload) {
    return contextToken().then(function (token) {
      var options = { method: method, headers: { Authorization: "JWT " + token } };
      if (payload !== undefined) {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(payload);
      }
      return fetch(API + path, options);
    }).then(function (response) {
      if (response.status === 204) { return null; }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error((data.error && data.error.message) || ("HTTP " + response.status));
          error.details = data.error && data.error.details;
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  // -- small DOM helpers -------------------------------------------------------------------

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attributes[name]; }
      else if (name === "onclick") { node.addEventListener("click", attributes[name]); }
      else { node.setAttribute(name, attributes[name]); }
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function button(label, onclick, className) {
    return el("button", { type: "button", "class": "button " + (className || ""), text: label, onclick: onclick });
  }

  function lozenge(state) { return el("span", { "class": "lozenge lozenge-" + state, text: state }); }

  function fillRows(tbody, rows, columns, emptyText) {
    tbody.textContent = "";
    if (!rows.length) {
      tbody.appendChild(el("tr", { "class": "empty" }, [el("td", { colspan: String(columns), text: emptyText })]));
      return;
    }
    rows.forEach(function (row) { tbody.appendChild(row); });
  }

  function cell(content) {
    return el("td", {}, [content === null || content === undefined ? "" : content]);
  }

  function notify(message, kind) {
    var box = $("#notice");
    box.textContent = message;
    box.className = "banner banner-" + (kind || "info");
    box.hidden = false;
    clearTimeout(notify.timer);
    notify.timer = setTimeout(function () { box.hidden = true; }, kind === "error" ? 12000 : 4000);
  }

  function describe(error) {
    var text = error.message;
    if (error.details && typeof error.details === "object") {
      var parts = Array.isArray(error.details) ? error.details : Object.keys(error.details).map(function (key) {
        var value = error.details[key];
        return key + ": " + (typeof value === "string" ? value : JSON.stringify(value));
      });
      if (parts.length) { text += " — " + parts.join("; "); }
    }
    return text;
  }

  function failed(error) { notify(describe(error), "error"); }

  function formValues(form) {
    var values = {};
    $all("input, select, textarea", form).forEach(function (input) {
      if (!input.name) { return; }
      values[input.name] = input.type === "checkbox" ? input.checked : input.value.trim();
    });
    return values;
  }

  function shortTime(iso) { return iso ? iso.slice(0, 19).replace("T", " ") : ""; }

  // -- the admin page ----------------------------------------------------------------------

  var state = { connections: [], selected: null, tab: null, olderThan: null, paged: false };

  function ownSide(connection) {
    var position = $("#side-form [name=position]").value;
    var owned = connection.sides.filter(function (side) { return side.owned; });
    return owned.filter(function (side) { return side.position === position; })[0] || owned[0];
  }

  function otherSide(connection, side) {
    return connection.sides.filter(function (s) { return s !== side; })[0];
  }

  function sideLabel(side) {
    if (!side) { return "(waiting for the invitation to be accepted)"; }
    return side.project_key + " @ " + (side.site || "?");
  }

  function loadConnections() {
    return api("GET", "/connections").then(function (data) {
      state.connections = data.connections;
      renderConnections();
      $("#refreshed").textContent = "updated " + new Date().toLocaleTimeString();
      if (state.selected) {
        var fresh = findConnection(state.selected.id);
        if (!fresh) { closeDetail(); } else { state.selected = fresh; renderHeader(); }
      }
    });
  }

  function findConnection(id) {
    return state.connections.filter(function (c) { return c.id === id; })[0] || null;
  }

  function renderConnections() {
    var rows = state.connections.map(function (connection) {
      var mine = connection.sides.filter(function (s) { return s.owned; })[0];
      var queue = connection.queue || {};
      var counters = el("span", { "class": "counters" }, [
        el("span", { title: "queued", text: String(queue.queued || 0) }), " / ",
        el("span", { title: "running", text: String(queue.running || 0) }), " / ",
        el("span", { title: "failed", "class": queue.failed ? "error-text" : "", text: String(queue.failed || 0) })
      ]);
      return el("tr", { "data-connection": String(connection.id) }, [
        cell(connection.name),
        cell(lozenge(connection.state)),
        cell(sideLabel(mine)),
        cell(sideLabel(otherSide(connection, mine))),
        cell(counters),
        cell(button("Open", function () { openDetail(connection.id); }))
      ]);
    });
    fillRows($("#connections tbody"), rows, 6, "No connections yet: create one or accept an invitation below.");
  }

  function openDetail(id) {
    state.selected = findConnection(id);
    if (!state.selected) { return; }
    var owned = state.selected.sides.filter(function (s) { return s.owned; });
    $("#position-field").hidden = owned.length < 2;
    $("#side-form [name=position]").value = owned[0].position;
    $("#detail").hidden = false;
    renderHeader();
    renderSettings();
    showTab("settings");
    $("#detail").scrollIntoView({ behavior: "smooth" });
  }

  function closeDetail() {
    state.selected = null;
    $("#detail").hidden = true;
  }

  function renderHeader() {
    var connection = state.selected;
    $("#detail-title").textContent = connection.name + " (" + connection.state + ")";
    $("#pause-button").textContent = connection.state === "paused" ? "Resume" : "Pause";
    $("#pause-button").hidden = connection.state === "pending";
    $("#invite-button").hidden = connection.state !== "pending";
  }

  function renderSettings() {
    var side = ownSide(state.selected);
    var form = $("#side-form");
    form.project_key.value = side.project_key || "";
    form.trigger_query.value = side.trigger_query || "";
    form.sends.checked = side.sends;
    form.receives.checked = side.receives;
    form.mode.value = side.mode;
    form.delete_policy.value = state.selected.delete_policy;
    renderMapping(side.visual_mapping);
  }

  function showTab(name) {
    $all(".tabs [data-tab]").forEach(function (tab) { tab.classList.toggle("active", tab.getAttribute("data-tab") === name); });
    $all("#detail .tab").forEach(function (panel) { panel.hidden = panel.id !== "tab-" + name; });
    state.tab = name;
    if (name === "scripts") { loadScripts(); }
    if (name === "queue") { state.paged = false; loadJobs(); }
    if (name === "twins") { loadTwins(); }
  }

  function connectionPath(suffix) { return "/connections/" + state.selected.id + (suffix || ""); }

  function saveSettings(event) {
    event.preventDefault();
    var values = formValues(event.target);
    var payload = {
      position: ownSide(state.selected).position,
      delete_policy: values.delete_policy,
      side: {
        project_key: values.project_key,
        trigger_query: values.trigger_query || null,
        sends: values.sends,
        receives: values.receives,
        mode: values.mode
      }
    };
    api("PATCH", connectionPath(), payload).then(function () {
      notify("Settings saved.");
      return loadConnections();
    }).catch(failed);
  }

  function togglePause() {
    var action = state.selected.state === "paused" ? "/resume" : "/pause";
    api("POST", connectionPath(action)).then(loadConnections).catch(failed);
  }

  function newInvitation() {
    api("POST", connectionPath("/invitation")).then(showInvitation).catch(failed);
  }

  function showInvitation(data) {
    $("#invitation-code").textContent = data.invitation_code;
    $("#invitation").hidden = false;
    $("#invitation").scrollIntoView({ behavior: "smooth" });
  }

  function deleteConnection() {
    var name = state.selected.name;
    if (!window.confirm("Delete the connection \"" + name + "\"? Issues stay; syncing stops.")) { return; }
    api("DELETE", connectionPath()).then(function () {
      closeDetail();
      notify("Connection deleted.");
      return loadConnections();
    }).catch(failed);
  }

  // -- visual mapping ----------------------------------------------------------------------

  function select(name, options, value) {
    var node = el("select", { name: name });
    options.forEach(function (option) {
      node.appendChild(el("option", { value: option[0], text: option[1] }));
    });
    node.value = value || options[0][0];
    return node;
  }

  function valuesToText(values) {
    return Object.keys(values || {}).map(function (key) { return key + " = " + values[key]; }).join("\n");
  }

  function textToValues(text) {
    var values = {};
    text.split("\n").forEach(function (line) {
      var at = line.indexOf("=");
      if (at > 0) { values[line.slice(0, at).trim()] = line.slice(at + 1).trim(); }
    });
    return values;
  }

  function mappingRow(row) {
    row = row || {};
    var tr = el("tr", {}, [
      cell(el("input", { name: "local", list: "known-fields", value: row.local || "" })),
      cell(el("input", { name: "remote", list: "known-fields", value: row.remote || "" })),
      cell(select("direction", [["both", "both ways"], ["a_to_b", "A → B"], ["b_to_a", "B → A"]], row.direction)),
      cell(select("when", [["always", "always"], ["create", "on create only"]], row.when)),
      cell(select("unmapped", [["keep", "keep"], ["default", "default"], ["error", "error"]], row.unmapped)),
      cell(el("textarea", { name: "values", rows: "2", placeholder: "Done = Resolved" })),
      cell(button("Remove", function () { tr.parentNode.removeChild(tr); }))
    ]);
    $("[name=values]", tr).value = valuesToText(row.values);
    return tr;
  }

  function renderMapping(mapping) {
    var tbody = $("#mapping-table tbody");
    tbody.textContent = "";
    ((mapping && mapping.rows) || []).forEach(function (row) { tbody.appendChild(mappingRow(row)); });
  }

  function saveMapping() {
    var rows = $all("#mapping-table tbody tr").map(function (tr) {
      var values = formValues(tr);
      return {
        local: values.local, remote: values.remote, direction: values.direction,
        when: values.when, unmapped: values.unmapped, values: textToValues(values.values)
      };
    });
    var payload = { position: ownSide(state.selected).position, side: { visual_mapping: { rows: rows }, mode: "visual" } };
    api("PATCH", connectionPath(), payload).then(function () {
      notify("Mapping saved; this side now runs in Visual mode.");
      return loadConnections().then(renderSettings);
    }).catch(failed);
  }

  // -- scripts -----------------------------------------------------------------------------

  var scripts = { effective: {}, versions: [] };

  function direction() { return $("#script-direction").value; }

  function loadScripts() {
    var position = ownSide(state.selected).position;
    return api("GET", connectionPath("/scripts?position=" + position)).then(function (data) {
      scripts = data;
      renderVersions();
      if (!$("#script-source").value) { loadEffective(); }
    }).catch(failed);
  }

  function loadEffective() {
    $("#script-source").value = scripts.effective[direction()] || "";
    updateGutter();
  }

  function updateGutter() {
    var lines = $("#script-source").value.split("\n").length;
    var numbers = [];
    for (var n = 1; n <= lines; n += 1) { numbers.push(n); }
    $("#script-gutter").textContent = numbers.join("\n");
    $("#script-gutter").scrollTop = $("#script-source").scrollTop;
  }

  function renderVersions() {
    var rows = scripts.versions.slice().reverse().map(function (version) {
      var actions = version.active ? el("strong", { text: "active" }) : button("Roll back to this", function () {
        api("POST", connectionPath("/scripts/" + version.direction + "/rollback"),
            { number: version.number, position: scripts.position })
          .then(function () { notify("Version " + version.number + " is active again."); return loadScripts(); })
          .catch(failed);
      });
      return el("tr", {}, [
        cell(version.direction), cell("v" + version.number), cell(shortTime(version.created_at)),
        cell(version.author || ""), cell(actions)
      ]);
    });
    fillRows($("#versions tbody"), rows, 5, "No published versions: the side runs its " + scripts.mode + " rules.");
  }

  function showScriptErrors(errors) {
    var list = $("#script-errors");
    list.textContent = "";
    errors.forEach(function (error) {
      list.appendChild(el("li", { text: "line " + error.line + ":" + (error.column || 0) + " — " + error.message }));
    });
    list.hidden = !errors.length;
  }

  function scriptErrorsOf(error) {
    return (error.details && Array.isArray(error.details.errors)) ? error.details.errors : null;
  }

  function publishScript() {
    showScriptErrors([]);
    var payload = { source: $("#script-source").value, position: ownSide(state.selected).position };
    api("POST", connectionPath("/scripts/" + direction()), payload).then(function (data) {
      notify("Published " + direction() + " script v" + data.version.number + ".");
      return loadScripts();
    }).catch(function (error) {
      var errors = scriptErrorsOf(error);
      if (errors) { showScriptErrors(errors); } else { failed(error); }
    });
  }

  function testScript() {
    showScriptErrors([]);
    var payload = {
      source: $("#script-source").value,
      issue_key: $("#test-issue").value.trim(),
      position: ownSide(state.selected).position
    };
    if (direction() === "incoming") {
      try { payload.replica = JSON.parse($("#test-replica").value || "{}"); }
      catch (e) { notify("The replica is not valid JSON: " + e.message, "error"); return; }
    }
    api("POST", connectionPath("/scripts/" + direction() + "/test"), payload).then(function (data) {
      var result = data.result;
      $("#test-output").hidden = false;
      $("#test-result").textContent = JSON.stringify(result.error ? { error: result.error } : result.value, null, 2);
      $("#test-logs").textContent = (result.logs || []).map(function (line) {
        return typeof line === "string" ? line : JSON.stringify(line);
      }).join("\n") || "(no log output)";
      if (result.error && result.error.line) {
        showScriptErrors([{ line: result.error.line, column: result.error.column, message: result.error.message }]);
      }
    }).catch(function (error) {
      var errors = scriptErrorsOf(error);
      if (errors) { showScriptErrors(errors); } else { failed(error); }
    });
  }

  // -- queue -------------------------------------------------------------------------------

  function jobError(job) {
    if (!job.error) { return ""; }
    var where = job.error.line ? " (line " + job.error.line + (job.error.column ? ":" + job.error.column : "") + ")" : "";
    return (job.error.step ? job.error.step + ": " : "") + (job.error.message || "") + where;
  }

  function jobAction(job, action) {
    api("POST", "/jobs/" + job.id + "/" + action).then(function () {
      notify("Job " + job.id + (action === "retry" ? " queued again." : " resolved."));
      state.paged = false;
      return loadJobs();
    }).catch(failed);
  }

  function loadJobs(append) {
    var query = "?limit=50";
    var states = $("#job-state").value;
    if (states) { query += "&state=" + encodeURIComponent(states); }
    if (append && state.olderThan) { query += "&before=" + state.olderThan; }
    return Promise.all([
      api("GET", connectionPath("/jobs" + query)),
      api("GET", connectionPath("/queue"))
    ]).then(function (results) {
      var jobs = results[0].jobs;
      var counters = results[1].queue;
      $("#queue-counters").textContent = "queued " + counters.queued + " · running " + counters.running +
        " · failed " + counters.failed + " · done " + counters.done;
      var rows = jobs.map(function (job) {
        var actions = job.state === "failed"
          ? el("span", {}, [button("Retry", function () { jobAction(job, "retry"); }, "primary"), " ",
                            button("Resolve", function () { jobAction(job, "resolve"); })])
          : "";
        return el("tr", { "data-job": String(job.id) }, [
          cell(String(job.id)), cell(job.issue_key || job.issue_id), cell(job.kind), cell(job.step || ""),
          cell(lozenge(job.state)), cell(String(job.attempts)),
          cell(el("span", { "class": "error-text", text: jobError(job) })), cell(actions)
        ]);
      });
      var tbody = $("#jobs tbody");
      if (append) { rows.forEach(function (row) { tbody.appendChild(row); }); }
      else { fillRows(tbody, rows, 8, "No jobs."); }
      state.olderThan = jobs.length ? jobs[jobs.length - 1].id : null;
      $("#jobs-older").hidden = jobs.length < 50;
    }).catch(failed);
  }

  // -- twins -------------------------------------------------------------------------------

  function twinAction(twin, action, payload) {
    api("POST", "/twins/" + twin.id + "/" + action, payload).then(function () {
      notify(action === "unlink" ? "Unlinked; both issues stay." : "Resync queued.");
      return loadTwins();
    }).catch(failed);
  }

  function loadTwins() {
    return api("GET", connectionPath("/twins")).then(function (data) {
      var rows = data.twins.map(function (twin) {
        var conflicts = (twin.conflicts || []).map(function (c) { return c.field || JSON.stringify(c); }).join(", ");
        var last = twin.last_job ? twin.last_job.state + " " + shortTime(twin.last_job.finished_at || twin.last_job.created_at) : "";
        return el("tr", { "data-twin": String(twin.id) }, [
          cell(twin.a_issue_key || ""), cell(twin.b_issue_key || ""), cell(lozenge(twin.state)),
          cell(el("span", { "class": conflicts ? "error-text" : "", text: conflicts })), cell(last),
          cell(el("span", {}, [
            twin.state === "linked" ? button("Unlink", function () { twinAction(twin, "unlink"); }) : "", " ",
            button("Resync", function () { twinAction(twin, "resync", { hard: false }); }), " ",
            button("Hard resync", function () { twinAction(twin, "resync", { hard: true }); })
          ]))
        ]);
      });
      fillRows($("#twins tbody"), rows, 6, "No synced issues yet.");
    }).catch(failed);
  }

  // -- operations --------------------------------------------------------------------------

  function operation(formId, suffix, message) {
    $(formId).addEventListener("submit", function (event) {
      event.preventDefault();
      var payload = formValues(event.target);
      if (formId !== "#link-form") { payload.position = ownSide(state.selected).position; }
      if (payload.query === "") { delete payload.query; }
      api("POST", connectionPath(suffix), payload).then(function (data) {
        notify(message(data));
        return loadConnections();
      }).catch(failed);
    });
  }

  // -- creating and accepting --------------------------------------------------------------

  function submitJson(formId, payloadOf, onDone) {
    $(formId).addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      api("POST", form.getAttribute("data-path"), payloadOf(formValues(form))).then(function (data) {
        form.reset();
        onDone(data);
        return loadConnections();
      }).catch(failed);
    });
  }

  function withoutBlanks(values) {
    Object.keys(values).forEach(function (key) { if (values[key] === "") { values[key] = null; } });
    return values;
  }

  function startAdminPage() {
    submitJson("#create-form", withoutBlanks, showInvitation);
    submitJson("#accept-form", withoutBlanks, function () { notify("Invitation accepted: the connection is active."); });
    submitJson("#remote-form", function (v) {
      return {
        name: v.name, project_key: v.project_key, trigger_query: v.trigger_query || null,
        remote: {
          config: { base_url: v.base_url, auth: { type: "basic", email: v.email, api_token: v.api_token } },
          project_key: v.remote_project_key, trigger_query: v.remote_trigger_query || null
        }
      };
    }, function () { notify("Connected."); });

    $all(".tabs [data-tab]").forEach(function (tab) {
      tab.addEventListener("click", function () { showTab(tab.getAttribute("data-tab")); });
    });
    $("#side-form").addEventListener("submit", saveSettings);
    $("#side-form [name=position]").addEventListener("change", renderSettings);
    $("#pause-button").addEventListener("click", togglePause);
    $("#invite-button").addEventListener("click", newInvitation);
    $("#delete-button").addEventListener("click", deleteConnection);
    $("#mapping-add").addEventListener("click", function () { $("#mapping-table tbody").appendChild(mappingRow()); });
    $("#mapping-save").addEventListener("click", saveMapping);
    $("#script-direction").addEventListener("change", function () {
      $("#test-replica-field").hidden = direction() !== "incoming";
      loadEffective();
    });
    $("#script-load").addEventListener("click", loadEffective);
    $("#script-source").addEventListener("input", updateGutter);
    $("#script-source").addEventListener("scroll", updateGutter);
    $("#script-publish").addEventListener("click", publishScript);
    $("#script-test").addEventListener("click", testScript);
    $("#job-state").addEventListener("change", function () { state.paged = false; loadJobs(); });
    $("#jobs-older").addEventListener("click", function () { state.paged = true; loadJobs(true); });
    operation("#sync-form", "/sync", function (data) { return "Sync queued (job " + data.job.id + ")."; });
    operation("#bulk-form", "/bulk", function (data) { return data.enqueued + " issues queued."; });
    operation("#link-form", "/link", function () { return "Issues linked."; });

    loadConnections().catch(failed);
    // Counters and the open queue refresh on their own; a failed refresh is shown once, not every tick.
    setInterval(function () {
      if (document.hidden) { return; }
      loadConnections().catch(function () {});
      if (state.selected && state.tab === "queue" && !state.paged) { loadJobs(); }
    }, REFRESH_MS);
  }

  // -- the issue panel ---------------------------------------------------------------------

  function startIssuePanel() {
    $all(".sync-now").forEach(function (node) {
      node.addEventListener("click", function () {
        node.disabled = true;
        var payload = { issue_key: node.getAttribute("data-issue"), position: node.getAttribute("data-position") };
        api("POST", "/connections/" + node.getAttribute("data-connection") + "/sync", payload).then(function () {
          notify("Sync queued.");
        }).catch(failed).then(function () { node.disabled = false; });
      });
    });
    if (window.AP && window.AP.resize) { window.AP.resize(); }
  }

  // -- start -------------------------------------------------------------------------------

  if (!window.AP || !window.AP.context) {
    $("#no-ap").hidden = false;
    $all("button, input, select, textarea").forEach(function (node) { node.disabled = true; });
    return;
  }
  if (body.getAttribute("data-page") === "admin") { startAdminPage(); }
  if (body.getAttribute("data-page") === "issue-panel") { startIssuePanel(); }
})();

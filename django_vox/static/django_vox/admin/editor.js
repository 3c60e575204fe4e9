/* django-vox template editor: plain script, no build step, no CDN.
 *
 * For each template on a notification's change page it
 *  - shows subject, from address and attachments only when the chosen backend
 *    uses them, and gives the content an editor suited to the backend
 *    (HTML or Markdown buttons, or a plain text area);
 *  - offers a picker of the notification's variables, inserted at the cursor
 *    as {{ ... }};
 *  - previews the unsaved template with the chosen backend.
 * The data comes from the page (json_script "vox-editor-data").
 */
(function () {
  "use strict";

  var data = null;

  var TOOLBARS = {
    html: [
      ["B", "<strong>", "</strong>"],
      ["I", "<em>", "</em>"],
      ["¶", "<p>", "</p>"],
      ["Link", '<a href="https://">', "</a>"],
      ["List", "<ul>\n  <li>", "</li>\n</ul>"]
    ],
    markdown: [
      ["B", "**", "**"],
      ["I", "_", "_"],
      ["H", "## ", ""],
      ["Link", "[", "](https://)"],
      ["List", "- ", ""]
    ],
    basic: []
  };

  var EDITOR_NAMES = {html: "HTML", markdown: "Markdown", basic: "Plain text"};

  function field(row, name) {
    return row.querySelector(".field-" + name);
  }

  function input(row, name) {
    return row.querySelector("[name$='-" + name + "']");
  }

  function show(element, visible) {
    if (element) {
      element.style.display = visible ? "" : "none";
    }
  }

  function insertAt(target, before, after) {
    var start = target.selectionStart || 0;
    var end = target.selectionEnd || start;
    var value = target.value;
    var selected = value.slice(start, end);
    target.value = value.slice(0, start) + before + selected + (after || "") + value.slice(end);
    var caret = start + before.length + selected.length;
    target.focus();
    target.setSelectionRange(caret, caret);
    target.dispatchEvent(new Event("input", {bubbles: true}));
  }

  function buildToolbar(row, content, editorType) {
    var bar = row.querySelector(".vox-toolbar");
    if (!bar) {
      bar = document.createElement("div");
      bar.className = "vox-toolbar";
      content.parentNode.insertBefore(bar, content);
    }
    bar.textContent = "";
    bar.setAttribute("data-editor", editorType);
    var caption = document.createElement("span");
    caption.className = "vox-editor-name";
    caption.textContent = EDITOR_NAMES[editorType] || editorType;
    bar.appendChild(caption);
    (TOOLBARS[editorType] || []).forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "vox-tool";
      button.textContent = spec[0];
      button.addEventListener("click", function () {
        insertAt(content, spec[1], spec[2]);
      });
      bar.appendChild(button);
    });
  }

  function applyBackend(row) {
    var select = input(row, "backend");
    var info = data.backends[select.value];
    show(field(row, "subject"), !info || info.use_subject);
    show(field(row, "from_address"), !info || info.use_from_address);
    show(field(row, "attachments"), !info || info.use_attachments);
    var content = input(row, "content");
    var editorType = info ? info.editor_type : "basic";
    content.setAttribute("data-editor", editorType);
    content.classList.remove("vox-editor-html", "vox-editor-markdown", "vox-editor-basic");
    content.classList.add("vox-editor-" + editorType);
    buildToolbar(row, content, editorType);
  }

  function checkedRecipients(row) {
    var boxes = row.querySelectorAll(".field-recipients input[type=checkbox]");
    return Array.prototype.filter.call(boxes, function (box) {
      return box.checked;
    }).map(function (box) {
      return box.value;
    });
  }

  function addGroup(select, label, fields) {
    var group = document.createElement("optgroup");
    group.label = label;
    fields.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.path;
      option.textContent = item.label + "  {{ " + item.path + " }}";
      group.appendChild(option);
    });
    select.appendChild(group);
  }

  function fillPicker(row) {
    var picker = row.querySelector(".vox-picker");
    var vars = data.variables;
    picker.textContent = "";
    var prompt = document.createElement("option");
    prompt.value = "";
    prompt.textContent = "Insert a variable…";
    picker.appendChild(prompt);
    vars.groups.forEach(function (group) {
      addGroup(picker, group.label, group.fields);
    });
    var bulk = input(row, "bulk");
    if (bulk && bulk.checked) {
      return;  // one message for everybody: there is no single recipient
    }
    var seen = {};
    checkedRecipients(row).forEach(function (key) {
      var model = vars.recipients[key];
      if (model && !seen[model] && vars.models[model]) {
        seen[model] = true;
        addGroup(picker, "Recipient (" + model + ")", vars.models[model]);
      }
    });
  }

  function buildPicker(row) {
    var content = input(row, "content");
    var wrapper = document.createElement("div");
    wrapper.className = "vox-picker-row";
    var picker = document.createElement("select");
    picker.className = "vox-picker";
    picker.setAttribute("aria-label", "Insert a variable");
    wrapper.appendChild(picker);
    content.parentNode.appendChild(wrapper);
    var lastTarget = content;
    ["subject", "content", "from_address"].forEach(function (name) {
      var element = input(row, name);
      if (element) {
        element.addEventListener("focus", function () {
          lastTarget = element;
        });
      }
    });
    picker.addEventListener("change", function () {
      if (picker.value) {
        insertAt(lastTarget, "{{ " + picker.value + " }}", "");
        picker.value = "";
      }
    });
    row.addEventListener("change", function (event) {
      if (event.target.closest(".field-recipients") || event.target === input(row, "bulk")) {
        fillPicker(row);
      }
    });
    fillPicker(row);
  }

  function csrfToken() {
    var element = document.querySelector("[name=csrfmiddlewaretoken]");
    return element ? element.value : "";
  }

  function buildPreview(row) {
    var content = input(row, "content");
    var box = document.createElement("div");
    box.className = "vox-preview";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button vox-preview-button";
    button.textContent = "Preview";
    var error = document.createElement("p");
    error.className = "errornote vox-preview-error";
    error.style.display = "none";
    var frame = document.createElement("iframe");
    frame.className = "vox-preview-frame";
    frame.setAttribute("sandbox", "");  // no scripts, no forms, no navigation
    frame.setAttribute("title", "Preview");
    frame.style.display = "none";
    box.appendChild(button);
    box.appendChild(error);
    box.appendChild(frame);
    content.parentNode.appendChild(box);

    button.addEventListener("click", function () {
      var body = new FormData();
      body.append("backend", input(row, "backend").value);
      body.append("content", content.value);
      var subject = input(row, "subject");
      body.append("subject", subject ? subject.value : "");
      button.disabled = true;
      fetch(data.preview_url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: {"X-CSRFToken": csrfToken()}
      }).then(function (response) {
        return response.json();
      }).then(function (result) {
        if (result.error) {
          error.textContent = result.error;
          error.style.display = "";
          frame.style.display = "none";
        } else {
          error.style.display = "none";
          frame.srcdoc = '<!DOCTYPE html><meta charset="utf-8"><base target="_blank">' +
            "<style>body{font-family:sans-serif;margin:8px}pre{white-space:pre-wrap}</style>" +
            result.html;
          frame.style.display = "";
        }
      }).catch(function (err) {
        error.textContent = "Preview failed: " + err;
        error.style.display = "";
      }).finally(function () {
        button.disabled = false;
      });
    });
  }

  function initRow(row) {
    if (row.getAttribute("data-vox-ready") || /-empty$/.test(row.id)) {
      return;
    }
    var select = input(row, "backend");
    if (!select || !input(row, "content")) {
      return;
    }
    row.setAttribute("data-vox-ready", "1");
    select.addEventListener("change", function () {
      applyBackend(row);
    });
    applyBackend(row);
    buildPicker(row);
    buildPreview(row);
  }

  function initAll() {
    var element = document.getElementById("vox-editor-data");
    if (!element) {
      return;
    }
    data = JSON.parse(element.textContent);
    document.querySelectorAll(".inline-related").forEach(initRow);
  }

  document.addEventListener("formset:added", function (event) {
    if (data) {
      initRow(event.target);
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
}());

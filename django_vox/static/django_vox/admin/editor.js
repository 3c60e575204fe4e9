/* django-vox template editor: plain script, no build step, no CDN.
 *
 * For each template on a notification's change page it builds one block
 * under the content's label, as wide as the form:
 *  - a toolbar suited to the backend (HTML or Markdown buttons, or none);
 *  - the text area;
 *  - a picker of the notification's variables, inserted at the cursor as
 *    {{ ... }};
 *  - a preview of the unsaved template as the chosen backend builds it,
 *    refreshed as the editor types (debounced) and when the backend or the
 *    recipients change.
 * A template sent in digests gets a second such block for its digest's
 * content, once a digest mode is chosen: its picker offers the digest's
 * variables and its preview shows the digest with sample items rendered from
 * the template's own subject and content.
 * It also shows subject, from address and attachments only when the chosen
 * backend uses them.  The data comes from the page (json_script
 * "vox-editor-data").  Words go through gettext (the admin's jsi18n catalog),
 * so they can be translated.
 */
(function () {
  "use strict";

  var data = null;

  /* gettext and interpolate come from the admin's JavaScript catalog
   * (admin:jsi18n, loaded by the change form); without it, English. */
  function _(text) {
    return typeof window.gettext === "function" ? window.gettext(text) : text;
  }

  function format(text, values) {
    if (typeof window.interpolate === "function") {
      return window.interpolate(text, values, true);
    }
    return text.replace(/%\((\w+)\)s/g, function (match, name) {
      return values[name];
    });
  }

  /* How long the editor may pause before the preview refreshes (ms). */
  var PREVIEW_DELAY = 400;

  /* [label, accessible name, text before, text after]; built when the page
   * is set up, so catalogs loaded after this script still translate them. */
  function toolbars() {
    return {
      html: [
        ["B", _("Bold"), "<strong>", "</strong>"],
        ["I", _("Italic"), "<em>", "</em>"],
        ["¶", _("Paragraph"), "<p>", "</p>"],
        [_("Link"), _("Link"), '<a href="https://">', "</a>"],
        [_("List"), _("Bulleted list"), "<ul>\n  <li>", "</li>\n</ul>"]
      ],
      markdown: [
        ["B", _("Bold"), "**", "**"],
        ["I", _("Italic"), "_", "_"],
        ["H", _("Heading"), "## ", ""],
        [_("Link"), _("Link"), "[", "](https://)"],
        [_("List"), _("Bulleted list"), "- ", ""]
      ],
      basic: []
    };
  }

  function editorName(editorType) {
    var names = {html: _("HTML"), markdown: _("Markdown"), basic: _("Plain text")};
    return names[editorType] || editorType;
  }

  function field(row, name) {
    return row.querySelector(".field-" + name);
  }

  /* A template's field (named "<prefix>-<name>" in the admin's inlines), or
   * the field a form marks with data-vox-field (the one-time message). */
  function input(row, name) {
    return row.querySelector("[name$='-" + name + "'], [data-vox-field='" + name + "']");
  }

  function show(element, visible) {
    if (element) {
      element.style.display = visible ? "" : "none";
    }
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
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

  /* -- the block under the label ---------------------------------------- */

  function buildBlock(row, content) {
    var holder = content.parentNode;  // the label's row in the admin's markup
    var block = element("div", "vox-editor");
    holder.parentNode.insertBefore(block, holder.nextSibling);
    holder.classList.add("vox-editor-label");
    block.appendChild(element("div", "vox-toolbar"));
    block.appendChild(content);
    return block;
  }

  function buildToolbar(block, content, editorType) {
    var bar = block.querySelector(".vox-toolbar");
    bar.textContent = "";
    bar.setAttribute("data-editor", editorType);
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", _("Formatting"));
    bar.appendChild(element("span", "vox-editor-name", editorName(editorType)));
    (toolbars()[editorType] || []).forEach(function (spec) {
      var button = element("button", "vox-tool", spec[0]);
      button.type = "button";
      button.setAttribute("aria-label", spec[1]);
      button.title = spec[1];
      button.addEventListener("click", function () {
        insertAt(content, spec[2], spec[3]);
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
    (row.voxEditors || []).forEach(function (editor) {
      styleEditor(row, editor);
    });
    showHelp(row, input(row, "content"), info ? info.help : "");
    applyDeliveryMode(row);
  }

  /* The text area's class and the toolbar of one editor, for the backend. */
  function styleEditor(row, editor) {
    var info = data.backends[input(row, "backend").value];
    var editorType = info ? info.editor_type : "basic";
    var content = editor.content;
    content.setAttribute("data-editor", editorType);
    content.classList.remove("vox-editor-html", "vox-editor-markdown", "vox-editor-basic");
    content.classList.add("vox-editor-" + editorType);
    buildToolbar(editor.block, content, editorType);
  }

  function digestsChosen(row) {
    var mode = input(row, "delivery_mode");
    return !!mode && mode.value !== "immediately";
  }

  /* The digest fields matter only when the template gathers messages into
   * digests: the window fields, the digest's own subject and content. */
  function applyDeliveryMode(row) {
    var mode = input(row, "delivery_mode");
    if (!mode) {
      return;
    }
    var digests = digestsChosen(row);
    var windowField = input(row, "digest_window");
    var every = windowField ? windowField.value : "";
    var info = data.backends[(input(row, "backend") || {}).value];
    ["digest_window", "digest_content"].forEach(function (name) {
      show(field(row, name), digests);
    });
    show(field(row, "digest_subject"), digests && (!info || info.use_subject));
    show(field(row, "digest_time"), digests && every !== "hourly");
    show(field(row, "digest_weekday"), digests && every === "weekly");
    var digestContent = input(row, "digest_content");
    if (digests && row.voxEditors && !row.voxDigestEditor && digestContent &&
        digestContent.tagName === "TEXTAREA" && data.digest_variables) {
      row.voxDigestEditor = addEditor(row, DIGEST_EDITOR);
    }
  }

  /* What the backend expects of the content (e.g. "key: value" lines). */
  function showHelp(row, content, text) {
    var help = row.querySelector(".vox-backend-help");
    if (!help) {
      help = element("div", "help vox-backend-help");
      help.id = content.id + "-backend-help";
      content.parentNode.insertBefore(help, content.nextSibling);
      content.setAttribute("aria-describedby", help.id);
    }
    help.textContent = text || "";
    show(help, !!text);
  }

  /* -- the variable picker ----------------------------------------------- */

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
      if (item.hidden) {
        return;  // reachable, but named twice or a developer's name (see describe_model)
      }
      var option = element("option", "", item.label + "  {{ " + item.path + " }}");
      option.value = item.path;
      if (item.type === "list") {  // inserted as a loop over its items
        option.setAttribute("data-list", item.loop || "{{ item }}");
        option.textContent = format(_("%(label)s (a list)"), {label: item.label});
      }
      group.appendChild(option);
    });
    select.appendChild(group);
  }

  function recipientGroupLabel(model) {
    var names = data.variables.model_names || {};
    return format(_("The recipient (%(model)s)"), {model: names[model] || model});
  }

  function fillPicker(row, editor) {
    var picker = editor.picker;
    var vars = editor.spec.variables();
    picker.textContent = "";
    var prompt = element("option", "", _("Insert a variable…"));
    prompt.value = "";
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
        addGroup(picker, recipientGroupLabel(model), vars.models[model]);
      }
    });
  }

  function buildPicker(row, editor) {
    var wrapper = element("div", "vox-picker-row");
    var picker = element("select", "vox-picker");
    picker.setAttribute("aria-label", editor.spec.pickerLabel());
    wrapper.appendChild(picker);
    editor.block.appendChild(wrapper);
    editor.picker = picker;
    var lastTarget = editor.content;
    editor.spec.fields.forEach(function (name) {
      var target = input(row, name);
      if (target) {
        target.addEventListener("focus", function () {
          lastTarget = target;
        });
      }
    });
    picker.addEventListener("change", function () {
      var option = picker.options[picker.selectedIndex];
      if (option && option.getAttribute("data-list")) {
        insertAt(lastTarget, "{% for item in " + picker.value + " %}" +
                 option.getAttribute("data-list"), "{% endfor %}");
      } else if (picker.value) {
        insertAt(lastTarget, "{{ " + picker.value + " }}", "");
      }
      picker.value = "";
    });
    fillPicker(row, editor);
  }

  /* -- the preview ------------------------------------------------------- */

  function csrfToken() {
    var token = document.querySelector("[name=csrfmiddlewaretoken]");
    return token ? token.value : "";
  }

  /* The words to show for a failed request: the server's message when it sent
   * one as JSON, else the HTTP status (a 403 page is not JSON). */
  function readResponse(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") !== -1) {
      return response.json().then(function (result) {
        if (!response.ok && !result.error) {
          result.error = format(_("The server answered %(status)s."),
                                {status: response.status + " " + response.statusText});
        }
        return result;
      });
    }
    var text;
    if (response.status === 403) {
      text = _("The preview was refused (403 Forbidden): your session may have ended. " +
               "Reload the page and log in again.");
    } else {
      text = format(_("The preview could not be loaded: the server answered %(status)s."),
                    {status: response.status + " " + response.statusText});
    }
    return Promise.resolve({error: text});
  }

  function previewDocument(html) {
    return '<!DOCTYPE html><meta charset="utf-8"><base target="_blank">' +
      "<style>body{font-family:sans-serif;margin:12px}pre{white-space:pre-wrap}" +
      "iframe{display:block}</style>" + html;
  }

  /* Grow the frame to its content, never below the CSS minimum.  The frame
   * may be read by this page (allow-same-origin) but runs no script. */
  function fitFrame(frame) {
    try {
      var doc = frame.contentDocument;
      if (doc && doc.documentElement) {
        frame.style.height = (doc.documentElement.scrollHeight + 4) + "px";
      }
    } catch (err) {
      frame.style.height = "";
    }
  }

  /* The sample chooser: the admin's select2 over the objects the editor may
   * view when the admin's autocomplete script is on the page, else a plain
   * list filled with the samples the preview names. */
  function buildObjectChooser(onChange) {
    var select = element("select", "vox-sample-object");
    select.setAttribute("aria-label", _("Sample object"));
    var $ = window.django && window.django.jQuery;
    var searching = !!(data.search_url && $ && $.fn.select2);
    if (searching) {
      // Not the class admin-autocomplete: the admin's script would set it up twice.
      select.setAttribute("data-ajax--url", data.search_url);
      select.setAttribute("data-ajax--cache", "true");
      select.setAttribute("data-ajax--delay", "250");
      select.setAttribute("data-theme", "admin-autocomplete");
      select.setAttribute("data-placeholder", _("Search…"));
    }
    select.voxInit = function () {
      if (searching) {
        $(select).select2({ajax: {data: function (params) {
          return {term: params.term, page: params.page};
        }}});
        $(select).on("change", onChange);
      } else {
        select.addEventListener("change", onChange);
      }
    };
    return select;
  }

  function labelled(text, control) {
    var label = element("label", "vox-sample", text);
    label.appendChild(control);
    return label;
  }

  function buildHeaderLine(name, text) {
    var line = element("div", "vox-message-" + name);
    line.appendChild(element("span", "vox-message-label", text));
    line.appendChild(element("span", "vox-message-value"));
    return line;
  }

  function buildPreviewBox(block, refresh, titleText) {
    var box = element("section", "vox-preview");
    var header = element("div", "vox-preview-header");
    var title = element("strong", "vox-preview-title", titleText);
    var status = element("span", "vox-preview-status");
    status.setAttribute("aria-live", "polite");
    var button = element("button", "button vox-preview-button", _("Refresh"));
    button.type = "button";
    button.setAttribute("aria-label", _("Refresh the preview"));
    header.appendChild(title);
    header.appendChild(status);
    header.appendChild(button);
    var samples = element("div", "vox-preview-samples");
    var object = buildObjectChooser(refresh);
    var recipient = element("select", "vox-sample-recipient");
    recipient.setAttribute("aria-label", _("Sample recipient"));
    recipient.addEventListener("change", refresh);
    samples.appendChild(labelled(_("Sample:"), object));
    samples.appendChild(labelled(_("Recipient:"), recipient));
    var note = element("p", "help vox-preview-note");
    var error = element("p", "errornote vox-preview-error");
    error.setAttribute("role", "alert");
    error.style.display = "none";
    var warnings = element("ul", "vox-preview-warnings");
    warnings.style.display = "none";
    var message = element("div", "vox-message-header");
    message.appendChild(buildHeaderLine("from", _("From:")));
    message.appendChild(buildHeaderLine("to", _("To:")));
    message.appendChild(buildHeaderLine("subject", _("Subject:")));
    var frame = element("iframe", "vox-preview-frame");
    // No scripts, forms or navigation of the page; same origin only so the
    // page can read the height of what was rendered.
    frame.setAttribute("sandbox", "allow-same-origin");
    frame.setAttribute("title", titleText);
    frame.addEventListener("load", function () {
      fitFrame(frame);
    });
    [header, samples, note, error, warnings, message, frame].forEach(function (part) {
      box.appendChild(part);
    });
    block.appendChild(box);
    object.voxInit();
    return {box: box, status: status, button: button, error: error, frame: frame,
            object: object, recipient: recipient, recipientLabel: recipient.parentNode,
            samples: samples,
            note: note, warnings: warnings, message: message};
  }

  function setOptions(select, choices, chosen) {
    select.textContent = "";
    choices.forEach(function (choice) {
      var option = element("option", "", choice.text);
      option.value = choice.id;
      option.selected = String(choice.id) === String(chosen);
      select.appendChild(option);
    });
  }

  function showSamples(parts, sample) {
    sample = sample || {};
    var object = sample.object;
    if (sample.objects) {  // a fixed set to choose from (the one-time message)
      setOptions(parts.object, sample.objects, object ? object.id : "");
    } else if (object && parts.object.value !== String(object.id)) {
      setOptions(parts.object, [object], object.id);
    }
    show(parts.samples, !!(object || parts.object.value));
    var recipients = sample.recipients || [];
    setOptions(parts.recipient, recipients, sample.recipient ? sample.recipient.id : "");
    show(parts.recipientLabel, recipients.length > 0);
    parts.note.textContent = sample.note || "";
    show(parts.note, !!sample.note);
  }

  function showHeader(parts, header) {
    header = header || {};
    ["from", "to", "subject"].forEach(function (name) {
      var line = parts.message.querySelector(".vox-message-" + name);
      var value = header[name];
      line.querySelector(".vox-message-value").textContent = value || "";
      show(line, value !== undefined && value !== null);
    });
  }

  function showWarnings(parts, warnings) {
    parts.warnings.textContent = "";
    (warnings || []).forEach(function (text) {
      parts.warnings.appendChild(element("li", "warning", text));
    });
    show(parts.warnings, !!(warnings && warnings.length));
  }

  function showResult(parts, result, backend) {
    if (result.error) {
      parts.error.textContent = result.error;
      parts.error.style.display = "";
      parts.frame.classList.add("vox-stale");
      parts.status.textContent = _("Showing the last preview that worked.");
      if (result.sample) {
        showSamples(parts, result.sample);
      }
      return;
    }
    parts.error.style.display = "none";
    parts.frame.classList.remove("vox-stale");
    parts.frame.srcdoc = previewDocument(result.html);
    parts.box.setAttribute("data-backend", backend);
    parts.status.textContent = "";
    showSamples(parts, result.sample);
    showHeader(parts, result.header);
    showWarnings(parts, result.warnings);
  }

  function previewBody(row, parts) {
    var body = new FormData();
    ["backend", "content", "subject", "from_address"].forEach(function (name) {
      var control = input(row, name);
      body.append(name, control ? control.value : "");
    });
    checkedRecipients(row).forEach(function (key) {
      body.append("recipients", key);
    });
    var bulk = input(row, "bulk");
    body.append("bulk", bulk && bulk.checked ? "1" : "");
    var extra = data.preview_fields || {};  // e.g. the selected objects of a one-time message
    Object.keys(extra).forEach(function (name) {
      [].concat(extra[name]).forEach(function (value) {
        body.append(name, value);
      });
    });
    body.append("object", parts.object.value || "");
    body.append("recipient", parts.recipient.value || "");
    return body;
  }

  /* What the digest's preview posts: all the main preview posts (the
   * template's own subject and content render the items, for the sample and
   * recipient chosen in the digest's own choosers), and the digest's fields. */
  function digestBody(row, parts) {
    var body = previewBody(row, parts);
    body.append("digest", "1");
    ["digest_subject", "digest_content", "digest_window"].forEach(function (name) {
      var control = input(row, name);
      body.append(name, control ? control.value : "");
    });
    return body;
  }

  function buildPreview(row, editor) {
    var sequence = 0;
    var timer = null;
    var spec = editor.spec;
    var parts = buildPreviewBox(editor.block, function () {
      refresh();
    }, spec.previewTitle());

    function refresh() {
      window.clearTimeout(timer);
      if (!spec.active(row)) {
        return;  // e.g. the digest's, while the template is sent immediately
      }
      var backend = input(row, "backend").value;
      var mine = ++sequence;
      if (!backend) {
        parts.error.style.display = "none";
        parts.frame.style.display = "none";
        parts.status.textContent = _("Choose a backend to see the preview.");
        return;
      }
      parts.frame.style.display = "";
      parts.status.textContent = _("Updating…");
      fetch(data.preview_url, {
        method: "POST",
        body: spec.body(row, parts),
        credentials: "same-origin",
        headers: {"X-CSRFToken": csrfToken(), "Accept": "application/json"}
      }).then(readResponse).then(function (result) {
        if (mine === sequence) {  // an older answer must not replace a newer one
          showResult(parts, result, backend);
        }
      }).catch(function (err) {
        if (mine === sequence) {
          showResult(parts, {error: format(_("The preview could not be loaded: %(error)s"),
                                           {error: err.message || String(err)})}, backend);
        }
      });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, PREVIEW_DELAY);
    }

    parts.button.addEventListener("click", refresh);
    row.addEventListener("input", function (event) {
      if (event.target.matches("textarea, input[type=text]") && spec.watches(event.target)) {
        later();
      }
    });
    row.addEventListener("change", function (event) {
      if (event.target.matches("select, input[type=checkbox]") &&
          !event.target.closest(".vox-picker, .vox-preview")) {
        later();
      }
    });
    refresh();
    return refresh;
  }

  /* -- the two editors of a template --------------------------------------- */

  /* The template's own message: the preview ignores the digest's fields. */
  var MAIN_EDITOR = {
    content: "content",
    fields: ["subject", "content", "from_address"],
    pickerLabel: function () { return _("Insert a variable"); },
    previewTitle: function () { return _("Preview"); },
    variables: function () { return data.variables; },
    body: previewBody,
    active: function () { return true; },
    watches: function (target) { return !/digest_/.test(target.name || ""); }
  };

  /* The digest: its items are rendered from the template's own subject and
   * content, so typing in those refreshes it too. */
  var DIGEST_EDITOR = {
    content: "digest_content",
    fields: ["digest_subject", "digest_content"],
    pickerLabel: function () { return _("Insert a digest variable"); },
    previewTitle: function () { return _("Digest preview"); },
    variables: function () { return data.digest_variables; },
    body: digestBody,
    active: digestsChosen,
    watches: function () { return true; }
  };

  /* One editor block (toolbar, text area, picker, preview) for spec's field. */
  function addEditor(row, spec) {
    var content = input(row, spec.content);
    var editor = {spec: spec, content: content, block: buildBlock(row, content)};
    row.voxEditors.push(editor);
    styleEditor(row, editor);
    buildPicker(row, editor);
    if (data.preview_url) {
      editor.refresh = buildPreview(row, editor);
    }
    return editor;
  }

  /* -- the template's heading, in words ---------------------------------- */

  function recipientWords(row) {
    var boxes = row.querySelectorAll(".field-recipients input[type=checkbox]");
    var words = [];
    Array.prototype.forEach.call(boxes, function (box) {
      if (box.checked) {
        var label = box.closest("label") || row.querySelector("label[for='" + box.id + "']");
        words.push(label ? label.textContent.trim() : box.value);
      }
    });
    return words.length ? words.join(", ") : _("nobody");
  }

  /* "Email (HTML) → All subscribers of the article", kept up to date as the
   * backend and the recipients change (the stored heading shows codes). */
  function updateHeading(row) {
    var label = row.querySelector("h3 .inline_label");
    var select = input(row, "backend");
    if (!label || !select) {
      return;
    }
    var info = data.backends[select.value];
    var backend = info ? info.label : (select.value ? select.options[select.selectedIndex].text :
                                       _("No backend chosen"));
    var text = format(_("%(backend)s → %(recipients)s"),
                      {backend: backend, recipients: recipientWords(row)});
    var node = label.firstChild;
    if (node && node.nodeType === Node.TEXT_NODE) {
      node.textContent = text + " ";
    } else {
      label.insertBefore(document.createTextNode(text + " "), label.firstChild);
    }
  }

  /* -- wiring -------------------------------------------------------------- */

  function initRow(row) {
    if (row.getAttribute("data-vox-ready") || /-empty$/.test(row.id)) {
      return;
    }
    var select = input(row, "backend");
    var content = input(row, "content");
    if (!select || !content || content.tagName !== "TEXTAREA") {
      return;  // read-only (view permission only)
    }
    row.setAttribute("data-vox-ready", "1");
    row.voxEditors = [];
    select.addEventListener("change", function () {
      applyBackend(row);
    });
    row.addEventListener("change", function (event) {
      if (event.target.closest(".field-recipients") || event.target === input(row, "bulk")) {
        row.voxEditors.forEach(function (editor) {
          fillPicker(row, editor);
        });
      }
      if (event.target.closest(".field-recipients") || event.target === select) {
        updateHeading(row);
      }
      if (event.target === input(row, "delivery_mode") ||
          event.target === input(row, "digest_window")) {
        applyDeliveryMode(row);
      }
    });
    updateHeading(row);
    addEditor(row, MAIN_EDITOR);
    applyBackend(row);  // also shows the digest's fields (and editor) when chosen
  }

  function initAll() {
    var source = document.getElementById("vox-editor-data");
    if (!source) {
      return;
    }
    data = JSON.parse(source.textContent);
    document.querySelectorAll(".inline-related, .vox-editor-form").forEach(initRow);
    showFirstError();
  }

  /* After a refused save the admin says "Please correct the error below" at
   * the top of the page, which can be far above the field: move that note to
   * just above the first field in error, and bring it into view. */
  function showFirstError() {
    var note = document.querySelector("#content-main .errornote");
    var field = document.querySelector(".inline-related .form-row.errors, " +
                                       ".inline-related .errorlist");
    if (!note || !field) {
      return;
    }
    var row = field.closest(".form-row") || field;
    row.parentNode.insertBefore(note, row);
    note.classList.add("vox-error-here");
    note.scrollIntoView({block: "start"});
    window.scrollBy(0, -24);  // a little room above it
    var control = row.querySelector("textarea, input:not([type=hidden]), select");
    if (control) {
      control.focus({preventScroll: true});
    }
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

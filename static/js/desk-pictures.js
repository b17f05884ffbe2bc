// Pictures where you write: upload one, drop or paste one, or pick one from the library, and
// it goes into the body at the cursor. Without this file the post form's own picture fields
// store a picture and put it at the end of the body on Save.
(function () {
  "use strict";
  var form = document.querySelector("form.desk");
  var dialog = document.getElementById("picture-dialog");
  if (!form || !dialog || typeof dialog.showModal !== "function") return;
  var body = form.querySelector("textarea[name=body]");
  var opener = document.getElementById("insert-picture");
  var fileInput = document.getElementById("picture-file");
  var search = document.getElementById("picture-search");
  var grid = document.getElementById("picture-grid");
  var more = document.getElementById("picture-more");
  var chosenText = document.getElementById("picture-chosen");
  var alt = document.getElementById("picture-alt");
  var caption = document.getElementById("picture-caption");
  var credit = document.getElementById("picture-credit");
  var error = document.getElementById("picture-error");
  var IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"];
  var chosen = null; // {file: File} or {id: number}
  var range = [0, 0]; // where the picture goes: the body's selection when the dialog opened
  var offset = 0;
  var searchTimer = null;

  document.getElementById("desk-insert").hidden = false;

  function choose(choice, label) {
    chosen = choice;
    chosenText.textContent = label;
    error.textContent = "";
  }

  function item(picture) {
    var li = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.setAttribute("aria-pressed", "false");
    var img = document.createElement("img");
    img.src = picture.thumb;
    img.alt = "";
    img.width = 96;
    img.height = Math.max(1, Math.round((96 * picture.height) / picture.width));
    img.loading = "lazy";
    var name = document.createElement("span");
    name.textContent = picture.alt ? picture.name + " — " + picture.alt : picture.name;
    button.append(img, name);
    button.addEventListener("click", function () {
      grid.querySelectorAll("button[aria-pressed=true]").forEach(function (b) {
        b.setAttribute("aria-pressed", "false");
      });
      button.setAttribute("aria-pressed", "true");
      fileInput.value = "";
      choose({ id: picture.id }, "Chosen: " + picture.name);
      alt.value = picture.alt;
      caption.value = picture.caption;
      credit.value = picture.credit;
    });
    li.append(button);
    return li;
  }

  function load(reset) {
    if (reset) offset = 0;
    var url = dialog.dataset.library + "?q=" + encodeURIComponent(search.value) + "&offset=" + offset;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (answer) {
        if (reset) grid.replaceChildren();
        answer.items.forEach(function (picture) {
          grid.append(item(picture));
        });
        offset += answer.items.length;
        more.hidden = !answer.more;
        if (reset && !answer.items.length) {
          var none = document.createElement("li");
          none.className = "empty";
          none.textContent = search.value ? "No picture matches." : "The library is empty.";
          grid.append(none);
        }
      })
      .catch(function () {
        error.textContent = "The library cannot be listed now; you can still upload a picture.";
      });
  }

  function open(file) {
    range = [body.selectionStart, body.selectionEnd];
    chosen = null;
    chosenText.textContent = "No picture chosen yet.";
    error.textContent = "";
    alt.value = caption.value = credit.value = "";
    fileInput.value = "";
    search.value = "";
    if (file) choose({ file: file }, "To upload: " + (file.name || "pasted picture"));
    dialog.showModal();
    (file ? alt : fileInput).focus();
    load(true);
  }

  function around(before, after, snippet) {
    // A picture is a block of its own: a blank line before and after it.
    var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    var tail = after === "" ? "\n" : /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
    return lead + snippet + tail;
  }

  function insert(snippet) {
    var text = around(body.value.slice(0, range[0]), body.value.slice(range[1]), snippet);
    body.focus();
    body.setRangeText(text, range[0], range[1], "end");
    // The caret goes past the blank line after the picture: typing starts a new paragraph.
    var caret = range[0] + text.length;
    if (body.value.slice(caret, caret + 2) === "\n\n") caret += 2;
    body.setSelectionRange(caret, caret);
    form.dispatchEvent(new CustomEvent("desk:changed"));
  }

  function send() {
    if (!chosen) {
      error.textContent = "Choose a picture: upload one, or pick one from the library.";
      return;
    }
    if (!alt.value.trim()) {
      error.textContent = "Describe the picture for readers who cannot see it.";
      alt.focus();
      return;
    }
    var data = new FormData();
    data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    var format = form.querySelector("input[name=body_format]:checked");
    data.append("body_format", format ? format.value : "markdown");
    data.append("alt", alt.value);
    data.append("caption", caption.value);
    data.append("credit", credit.value);
    if (chosen.file) data.append("image", chosen.file, chosen.file.name || "pasted.png");
    else data.append("media_id", String(chosen.id));
    error.textContent = "";
    chosenText.textContent = chosen.file ? "Uploading…" : chosenText.textContent;
    fetch(dialog.dataset.insert, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) {
          throw new Error("You were signed out. Save the post to sign in again, then insert it.");
        }
        return response.json().then(function (answer) {
          if (!response.ok) throw new Error(answer.error || "The picture was not inserted.");
          insert(answer.snippet);
          dialog.close();
        });
      })
      .catch(function (problem) {
        error.textContent = problem.message || "The picture was not inserted.";
      });
  }

  opener.addEventListener("click", function () {
    open(null);
  });
  fileInput.addEventListener("change", function () {
    var file = fileInput.files[0];
    if (!file) return;
    grid.querySelectorAll("button[aria-pressed=true]").forEach(function (b) {
      b.setAttribute("aria-pressed", "false");
    });
    choose({ file: file }, "To upload: " + file.name);
    alt.value = caption.value = credit.value = "";
  });
  search.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      load(true);
    }, 250);
  });
  more.addEventListener("click", function () {
    load(false);
  });
  document.getElementById("picture-insert").addEventListener("click", send);
  document.getElementById("picture-cancel").addEventListener("click", function () {
    dialog.close();
  });
  [alt, caption, credit].forEach(function (input) {
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        send();
      }
    });
  });
  dialog.addEventListener("close", function () {
    body.focus();
  });

  function imageIn(list) {
    for (var i = 0; list && i < list.length; i++) {
      if (IMAGE_TYPES.indexOf(list[i].type) !== -1) return list[i];
    }
    return null;
  }
  body.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    }
  });
  body.addEventListener("drop", function (event) {
    var file = imageIn(event.dataTransfer && event.dataTransfer.files);
    if (!file) return;
    event.preventDefault();
    open(file);
  });
  body.addEventListener("paste", function (event) {
    var file = imageIn(event.clipboardData && event.clipboardData.files);
    if (!file) return;
    event.preventDefault();
    open(file);
  });
})();

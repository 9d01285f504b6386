/* Forum behaviour that is not live: draft autosave, quoting a selected passage, htmx error messages.
   Everything works without this file; it only saves typing and clicks. */
(function () {
  "use strict";
  var SAVE_EVERY_MS = 4000;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function autosave(form) {
    var url = form.getAttribute("data-draft-url");
    var status = form.querySelector("[data-draft-status]");
    var raw = form.querySelector("textarea[name=raw]");
    if (!url || !raw) { return; }
    var title = form.querySelector("input[name=title]");
    var category = form.querySelector("select[name=category]");
    var last = raw.value + "\u0000" + (title ? title.value : "");
    var timer = null;

    function save() {
      timer = null;
      var current = raw.value + "\u0000" + (title ? title.value : "");
      if (current === last) { return; }
      var body = new FormData();
      body.append("raw", raw.value);
      if (title) { body.append("title", title.value); }
      if (category) { body.append("category", category.value); }
      fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } })
        .then(function (response) {
          if (response.ok) {
            last = current;
            if (status) { status.textContent = status.getAttribute("data-saved-text") || "Draft saved"; }
          }
        })
        .catch(function () { /* offline: try again on the next change */ });
    }

    function schedule() { if (!timer) { timer = window.setTimeout(save, SAVE_EVERY_MS); } }
    form.addEventListener("input", schedule);
    form.addEventListener("submit", function () { if (timer) { window.clearTimeout(timer); timer = null; } });
  }

  function quoteSelection() {
    // "Quote" on a post: with a text selection inside that post, quote just the selected passage.
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[data-quote]");
      if (!link) { return; }
      var form = document.getElementById("reply");
      var selection = window.getSelection ? String(window.getSelection()) : "";
      var post = link.closest("article.post");
      if (!form || !post || !selection.trim()) { return; }
      var anchor = window.getSelection().anchorNode;
      if (!anchor || !post.contains(anchor)) { return; }
      event.preventDefault();
      var number = link.getAttribute("data-quote");
      var quotePost = form.querySelector("input[name=quote_post]");
      var replyTo = form.querySelector("input[name=reply_to]");
      var raw = form.querySelector("textarea[name=raw]");
      if (quotePost) { quotePost.value = number; }
      if (replyTo) { replyTo.value = number; }
      var quoteText = form.querySelector("textarea[name=quote_text]");
      if (!quoteText) {
        quoteText = document.createElement("input");
        quoteText.type = "hidden";
        quoteText.name = "quote_text";
        form.appendChild(quoteText);
      }
      quoteText.value = selection.trim().slice(0, 2000);
      raw.focus();
    });
  }

  function htmxErrors() {
    document.body.addEventListener("htmx:responseError", function (event) {
      var toasts = document.getElementById("toasts");
      var text = event.detail && event.detail.xhr ? event.detail.xhr.responseText : "";
      if (!toasts || !text || text.length > 500) { return; }
      var toast = document.createElement("p");
      toast.className = "toast";
      toast.textContent = text;
      toasts.appendChild(toast);
      window.setTimeout(function () { toast.remove(); }, 6000);
    });
  }

  document.querySelectorAll("form[data-draft-url]").forEach(autosave);
  quoteSelection();
  htmxErrors();
})();

// Errors of htmx requests where they happened. htmx swaps successes and 400s (a form's validation
// error, rendered in place by the server; see the htmx-config meta in base.html) and nothing else:
// for a 403, 404 or 500 this puts the message of the site's error page (its role=alert line, or
// its heading and first paragraph) on the item or form that asked, focused, instead of nothing
// happening. A static file because the CSP allows no inline script.
(function () {
  function messageOf(xhr) {
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var alert = doc.querySelector("main [role=alert]");
    if (alert && alert.textContent.trim()) {
      return alert.textContent.trim();
    }
    var heading = doc.querySelector("main h1");
    var paragraph = doc.querySelector("main h1 + p");
    if (heading) {
      return heading.textContent.trim() + (paragraph ? ": " + paragraph.textContent.trim() : ".");
    }
    return "The request failed (" + xhr.status + "). Reload the page and try again.";
  }

  function show(elt, text) {
    var item = elt.closest("li.item");
    var holder = (item && (item.querySelector(".item-body") || item)) || elt.closest("form, section") || document.querySelector("main");
    var old = holder.querySelector(":scope > .htmx-error");
    if (old) {
      old.remove();
    }
    var box = document.createElement("p");
    box.className = "error htmx-error";
    box.setAttribute("role", "alert");
    box.setAttribute("tabindex", "-1");
    box.textContent = text;
    holder.insertBefore(box, holder.firstChild);
    box.focus();
  }

  document.addEventListener("htmx:responseError", function (event) {
    show(event.detail.elt, messageOf(event.detail.xhr));
  });
  document.addEventListener("htmx:sendError", function (event) {
    show(event.detail.elt, "The server could not be reached. Check the connection and try again.");
  });
})();

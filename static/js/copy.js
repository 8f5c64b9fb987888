// Copy buttons: <button type="button" data-copy-target="ID"> copies the text of element ID.
// A static file because the CSP allows no inline script; one listener serves every button,
// including those htmx swaps in later.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy-target]");
  if (!button) {
    return;
  }
  var source = document.getElementById(button.getAttribute("data-copy-target"));
  if (!source || !navigator.clipboard) {
    button.textContent = "Select and copy";
    return;
  }
  var label = button.getAttribute("data-label") || button.textContent;
  button.setAttribute("data-label", label);
  navigator.clipboard.writeText(source.textContent).then(
    function () {
      button.textContent = "Copied";
      button.setAttribute("data-copied", "true");  // stays: the label goes back after 2 s
      setTimeout(function () { button.textContent = label; }, 2000);
    },
    function () {
      button.textContent = "Copy failed: select the text";
    }
  );
});

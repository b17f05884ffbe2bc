// Embeds load nothing from their provider until the reader asks: a card's "Play it here" link
// becomes the provider's player, in a sandboxed frame (the CSP allows only known players).
// Without this file the link opens the player itself.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("figure.embed a.embed-play");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var url;
    try {
      url = new URL(link.href);
    } catch (e) {
      return;
    }
    if (url.protocol !== "https:") return;
    event.preventDefault();
    var figure = link.closest("figure.embed");
    var provider = figure.querySelector("figcaption strong");
    var frame = document.createElement("iframe");
    frame.src = url.href;
    frame.title = (provider ? provider.textContent : "Embedded") + " player";
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-popups allow-presentation");
    frame.setAttribute("allow", "fullscreen; encrypted-media; picture-in-picture");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    frame.className = "embed-frame";
    link.parentNode.replaceWith(frame);
    frame.focus();
  });
})();

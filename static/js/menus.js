// Menus: drag an item to its place. Each item's Up, Down and Remove buttons are plain forms
// and do the same without this file; a drop sends that item's form with change=move and
// to=the new place, and the page comes back in the new order.
(function () {
  "use strict";
  document.querySelectorAll("ol.menu-items").forEach(function (list) {
    var dragged = null;
    var items = function () {
      return Array.prototype.slice.call(list.children);
    };
    list.classList.add("draggable");
    items().forEach(function (item) {
      item.draggable = true;
      item.addEventListener("dragstart", function (event) {
        dragged = item;
        item.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", item.querySelector(".menu-label").textContent);
      });
      item.addEventListener("dragend", function () {
        item.classList.remove("dragging");
        dragged = null;
      });
    });
    list.addEventListener("dragover", function (event) {
      if (!dragged) return;
      event.preventDefault();
      var over = event.target.closest("li");
      if (!over || over === dragged || over.parentNode !== list) return;
      var box = over.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextSibling : over);
    });
    list.addEventListener("drop", function (event) {
      if (!dragged) return;
      event.preventDefault();
      var form = dragged.querySelector("form");
      var place = document.createElement("input");
      place.type = "hidden";
      place.name = "to";
      place.value = String(items().indexOf(dragged));
      var change = document.createElement("input");
      change.type = "hidden";
      change.name = "change";
      change.value = "move";
      form.appendChild(place);
      form.appendChild(change);
      form.submit();
    });
  });
})();

/* django-vox preferences admin: the owner's search box searches the kind of
 * record chosen above it (the admin's autocomplete script sends the box's
 * data-app-label and data-model-name with each search); the address is only
 * for an owner with no record, so it shows only while no kind is chosen. */
(function () {
  "use strict";

  function setUp() {
    var kind = document.querySelector("select.vox-owner-type");
    var owner = document.querySelector("select.vox-owner");
    if (!kind || !owner) {
      return;
    }
    var names = JSON.parse(kind.getAttribute("data-types") || "{}");
    function apply(clear) {
      var type = names[kind.value];
      var row = owner.closest(".form-row");
      var address = document.querySelector(".form-row.field-address");
      if (type) {
        owner.dataset.appLabel = type[0];
        owner.dataset.modelName = type[1];
      }
      if (row) {
        row.style.display = type ? "" : "none";
      }
      if (address) {
        address.style.display = type ? "none" : "";
        if (type && clear) {
          address.querySelector("input").value = "";
        }
      }
      if (clear && window.django && window.django.jQuery) {
        window.django.jQuery(owner).val(null).trigger("change");
      }
    }
    kind.addEventListener("change", function () {
      apply(true);
    });
    apply(false);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
}());

// 更正表单 (signed-in curators only): while typing a township or county, the list of official
// names (GET /api/gazetteer) follows what is typed. Without this script the form still works,
// with the names the page lists for the report.
(function () {
  "use strict";

  function setup(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var level = input.getAttribute("data-gazetteer");
    if (!list || !window.fetch) return;
    var timer = null;
    var controller = null;

    function fill(places) {
      var seen = {};
      list.textContent = "";
      places.forEach(function (place) {
        if (seen[place.name]) return;
        seen[place.name] = true;
        var option = document.createElement("option");
        option.value = place.name;
        var where = [place.province, place.city, place.county].filter(Boolean);
        if (level === "township" && where.length) option.label = place.name + "（" + where.join(" ") + "）";
        // 芷江侗族自治县（又作芷江县、芷江自治县）: typing the common form finds it, saving writes the official name
        if (level === "county" && place.forms && place.forms.length) option.label = place.name + "（又作" + place.forms.join("、") + "）";
        list.appendChild(option);
      });
    }

    function ask() {
      var q = input.value.trim();
      if (!q) return;
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      fetch("/api/gazetteer?limit=20&level=" + level + "&q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          return response.ok ? response.json() : { places: [] };
        })
        .then(function (data) {
          if (data.places && data.places.length) fill(data.places);
        })
        .catch(function () {});
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
  }

  function ready() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-gazetteer]"), setup);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();

// 乡镇工作报告全文检索: progressive enhancement only. Every page works without this file
// (plain GET forms and links); with it, facets apply on click, "/" focuses the search box,
// the search box suggests completions, and the document page steps through its matches.
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.add("js");

  // -- single-key shortcuts (/, n, p): listed in the footer, off with its checkbox (remembered in
  //    this browser), and never while focus is in a text field (WCAG 2.1.4)
  var SHORTCUTS_KEY = "township-search.shortcuts";

  function storage(kind) {
    try {
      return window[kind]; // throws when storage is blocked
    } catch (error) {
      return null;
    }
  }

  var shortcutsOn = !(storage("localStorage") && storage("localStorage").getItem(SHORTCUTS_KEY) === "off");

  function applyShortcuts() {
    root.classList.toggle("shortcuts-off", !shortcutsOn);
    var toggle = document.getElementById("shortcuts-enabled");
    if (toggle) toggle.checked = shortcutsOn;
    Array.prototype.forEach.call(document.querySelectorAll("[data-shortcut]"), function (element) {
      if (shortcutsOn) element.setAttribute("aria-keyshortcuts", element.getAttribute("data-shortcut"));
      else element.removeAttribute("aria-keyshortcuts");
    });
  }

  function setupShortcutToggle() {
    var toggle = document.getElementById("shortcuts-enabled");
    if (toggle) {
      toggle.addEventListener("change", function () {
        shortcutsOn = toggle.checked;
        var local = storage("localStorage");
        if (local) {
          try {
            if (shortcutsOn) local.removeItem(SHORTCUTS_KEY);
            else local.setItem(SHORTCUTS_KEY, "off");
          } catch (error) {
            /* storage full or blocked: the choice holds for this page */
          }
        }
        applyShortcuts();
      });
    }
    applyShortcuts();
  }

  function isTyping(element) {
    return !!element && (element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName));
  }

  function shortcut(event) {
    return shortcutsOn && !(event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTyping(document.activeElement));
  }

  // -- "/" focuses the search box
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || !shortcut(event)) return;
    var input = document.getElementById("q");
    if (!input) return;
    event.preventDefault();
    input.focus();
    input.select();
  });

  // -- a facet checkbox applies at once (the hint above the facets says so): its toggle URL is the
  //    same as submitting the form. Focus comes back to the same box on the new page, so keyboard
  //    and screen-reader users stay where they were. (No #fragment for this: Chrome clears focus
  //    when a page opens at a fragment that is not itself focusable.)
  var FOCUS_KEY = "township-search.facet-focus";

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[type=checkbox][data-toggle]")) return;
    var url = box.getAttribute("data-toggle");
    var session = storage("sessionStorage");
    try {
      if (session) session.setItem(FOCUS_KEY, JSON.stringify({ facet: box.name, value: box.value, url: url }));
    } catch (error) {
      /* without storage the new page starts at the top, as any link does */
    }
    document.body.classList.add("is-loading");
    window.location.assign(url);
  });

  function samePage(url) {
    try {
      var expected = new URL(url, window.location.href);
      return expected.pathname === window.location.pathname && expected.search === window.location.search;
    } catch (error) {
      return false;
    }
  }

  function restoreFacetFocus() {
    var session = storage("sessionStorage");
    var saved = null;
    try {
      saved = session && JSON.parse(session.getItem(FOCUS_KEY) || "null");
      if (session) session.removeItem(FOCUS_KEY);
    } catch (error) {
      return;
    }
    if (!saved || !samePage(saved.url)) return;
    var group = document.getElementById("facet-" + saved.facet);
    if (!group) return;
    var boxes = group.querySelectorAll("input[type=checkbox]");
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].name === saved.facet && boxes[i].value === saved.value) {
        // An unticked value may now sit behind 更多 / 无匹配: open that first.
        for (var parent = boxes[i].parentElement; parent && parent !== group; parent = parent.parentElement) {
          if (parent.tagName === "DETAILS") parent.open = true;
        }
        boxes[i].scrollIntoView({ block: "center" });
        boxes[i].focus({ preventScroll: true });
        return;
      }
    }
  }

  // -- suggestions while typing (GET /api/suggest?q=), an ARIA combobox over the search box
  function setupSuggestions(input) {
    var list = document.getElementById(input.getAttribute("data-suggestions"));
    var endpoint = input.getAttribute("data-suggest");
    if (!list || !endpoint || !window.fetch) return;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    var status = document.getElementById(list.id + "-status"); // a live region: how many there are
    var timer = null;
    var controller = null;
    var active = -1;
    var options = [];

    function announce(text) {
      if (status && status.textContent !== text) status.textContent = text;
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      options = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      options.forEach(function (option, i) {
        option.element.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) input.setAttribute("aria-activedescendant", options[index].element.id);
      else input.removeAttribute("aria-activedescendant");
    }

    function choose(index) {
      input.value = options[index].value;
      close();
      if (input.form) input.form.submit();
    }

    // Complete only the last word: "光伏 百" asks for 百…, and keeps "光伏 " in front.
    function lastWord(value) {
      var match = /[^\s()（）"“”\-]+$/.exec(value);
      return match ? { head: value.slice(0, match.index), word: match[0] } : null;
    }

    function show(head, word, suggestions) {
      close();
      suggestions.forEach(function (suggestion, i) {
        var item = document.createElement("li");
        item.id = list.id + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        if (suggestion.indexOf(word) === 0) {
          var typed = document.createElement("span");
          typed.className = "typed";
          typed.textContent = word;
          item.appendChild(typed);
          item.appendChild(document.createTextNode(suggestion.slice(word.length)));
        } else {
          item.textContent = suggestion;
        }
        item.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep focus in the box
          choose(i);
        });
        list.appendChild(item);
        options.push({ element: item, value: head + suggestion });
      });
      if (options.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        announce(options.length + " 条建议，按上下方向键选择");
      } else {
        announce("");
      }
    }

    function ask() {
      var parts = lastWord(input.value);
      if (!parts) return close();
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      var asked = input.value;
      fetch(endpoint + "?limit=8&q=" + encodeURIComponent(parts.word), {
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        })
        .then(function (data) {
          if (input.value !== asked || document.activeElement !== input) return;
          show(parts.head, parts.word, (data.suggestions || []).filter(function (s) {
            return s !== parts.word;
          }));
        })
        .catch(function () {});
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden || !options.length) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % options.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active <= 0 ? options.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      clearTimeout(timer);
      close();
      announce("");
    });
  }

  // -- document page: the target passage in view, previous/next match, back to the same search

  // Scrolling keeps clear of the sticky match bar: the height it covers (measured, it wraps on
  // narrow screens) becomes the page's scroll padding, which the browser's own jump to #passage
  // and scrollIntoView both honour. The linked passage starts just below the bar.
  function clearOfMatchBar() {
    var bar = document.getElementById("match-bar");
    var covered = bar ? bar.offsetHeight + 8 : 0;
    root.style.scrollPaddingTop = covered ? covered + "px" : "";
  }

  function setupDocument() {
    var target = document.querySelector(".report .is-target");
    var marks = Array.prototype.slice.call(document.querySelectorAll(".report mark"));
    var previous = document.getElementById("prev-match");
    var next = document.getElementById("next-match");
    var position = document.getElementById("match-position");
    var stepping = marks.length && previous && next;
    if (stepping) {
      previous.hidden = false; // before measuring: the buttons make the bar taller
      next.hidden = false;
    }
    clearOfMatchBar();
    window.addEventListener("resize", clearOfMatchBar);
    if (target) target.scrollIntoView({ block: "start" });

    var back = document.getElementById("back-link");
    if (back && document.referrer) {
      try {
        var from = new URL(document.referrer);
        // Came from a search page of this site: go back to exactly that view (filters, page).
        if (from.origin === window.location.origin && from.pathname === "/" && from.search) {
          back.href = from.pathname + from.search;
        }
      } catch (error) {
        /* keep the server's link */
      }
    }

    if (!stepping) return;

    var start = 0; // the first match at or after the target passage
    if (target) {
      for (var i = 0; i < marks.length; i++) {
        if (target.contains(marks[i]) || target.compareDocumentPosition(marks[i]) & Node.DOCUMENT_POSITION_FOLLOWING) {
          start = i;
          break;
        }
      }
    }
    var current = -1;

    function go(index) {
      if (current >= 0) marks[current].classList.remove("is-current");
      current = (index + marks.length) % marks.length;
      var mark = marks[current];
      mark.classList.add("is-current");
      mark.scrollIntoView({ block: "center" });
      if (position) position.textContent = "第 " + (current + 1) + " / " + marks.length + " 处";
    }

    function forward() {
      go(current < 0 ? start : current + 1);
    }

    function backward() {
      go(current < 0 ? start - 1 : current - 1);
    }

    next.addEventListener("click", forward);
    previous.addEventListener("click", backward);
    document.addEventListener("keydown", function (event) {
      if (!shortcut(event)) return;
      if (event.key === "n") forward();
      else if (event.key === "p") backward();
    });
  }

  function ready() {
    setupShortcutToggle();
    var input = document.getElementById("q");
    if (input) setupSuggestions(input);
    if (document.querySelector(".report")) setupDocument();
    restoreFacetFocus();
    window.addEventListener("pageshow", function () {
      // Back from a facet click: the page may come from the cache with the box still ticked.
      document.body.classList.remove("is-loading");
      Array.prototype.forEach.call(document.querySelectorAll("input[data-toggle]"), function (box) {
        box.checked = box.defaultChecked;
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();

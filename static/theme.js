// The theme's only script. Every page works without it; with it, cart changes go through htmx
// without a page load, the cart drawer opens after an add, and the variant picker updates the
// price, the stock and the URL. No inline code anywhere: the server's CSP allows none.
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.add("js");

  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  function byId(id) {
    return document.getElementById(id);
  }

  // --- Cart requests --------------------------------------------------------------------------
  // Every cart change is sent from #cart-sync (hx-sync="this:queue all"): one request at a time,
  // in the order they were asked for. Sending from that one element, and not from the clicked
  // control, matters: each answer replaces the cart sections, and htmx drops a queued request
  // whose element has left the page. The values are read when the control is used, and each
  // answer re-renders every cart section from what the server held after that request.

  function sendCart(path, values, target) {
    var sync = byId("cart-sync");
    if (!window.htmx || !sync) {
      return false;
    }
    var context = { source: sync, values: values, swap: "none" };
    if (target && document.querySelector(target)) {
      context.target = target;
      context.swap = "innerHTML";
    }
    busy(1);
    window.htmx.ajax("POST", path, context);
    return true;
  }

  // While cart requests are pending the cart regions say so (aria-busy, and a class to style).
  var pending = 0;

  function busy(change) {
    pending = Math.max(0, pending + change);
    root.classList.toggle("cart-busy", pending > 0);
    ["cart-drawer", "main-cart-items", "main-cart-footer"].forEach(function (id) {
      var region = byId(id);
      if (region) {
        region.setAttribute("aria-busy", pending > 0 ? "true" : "false");
      }
    });
  }

  // The htmx config swaps no 5xx answer, but a cart change the server failed to save still
  // comes with the cart sections (the cart as it is, and the message): swap those. A crash's
  // JSON answer is left out.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail || {};
    var xhr = detail.xhr;
    if (detail.elt !== byId("cart-sync") || !xhr || xhr.status < 500) {
      return;
    }
    if (/^text\/html/.test(xhr.getResponseHeader("Content-Type") || "")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.elt === byId("cart-sync")) {
      busy(-1);
      // The answer re-rendered the lines as they were after its own request.
      showAsked(pending === 0);
    }
  });

  function formValues(form, submitter) {
    var values = {};
    new FormData(form).forEach(function (value, name) {
      if (name in values) {
        values[name] = [].concat(values[name], value);
      } else {
        values[name] = value;
      }
    });
    if (submitter && submitter.name) {
      values[submitter.name] = submitter.value;
    }
    return values;
  }

  function changeUrl() {
    var routes = globals().routes || {};
    return (routes.root || "/") + "cart/change";
  }

  function globals() {
    var data = byId("shopify-globals");
    try {
      return data ? JSON.parse(data.textContent) : {};
    } catch (e) {
      return {};
    }
  }

  // --- Line quantities ------------------------------------------------------------------------
  // A line's quantity field shows the quantity the visitor asked for last, at once, and every
  // change is sent as that absolute quantity. The -/+ links' own data-quantity was computed when
  // the line was rendered (the no-JS link needs one) and is stale once a change is on its way:
  // three quick clicks on + would all ask for the same quantity. So a click steps the field.
  // While requests are pending, each answer re-renders the lines from an older cart; the
  // quantities asked for since are put back over it, so the fields never go backwards and the
  // next click counts from the newest one.

  var asked = {}; // line key -> the quantity last sent for it, while cart requests are pending

  function changeLine(key, quantity) {
    var n = parseInt(quantity, 10);
    if (isNaN(n) || n < 0) {
      return false;
    }
    if (asked[key] === n) {
      return true; // already on its way, e.g. more clicks on - at 0
    }
    if (!sendCart(changeUrl(), { id: key, quantity: n })) {
      return false;
    }
    asked[key] = n;
    showAsked(false);
    return true;
  }

  // Every field of an asked-for line (the drawer and the cart page may both show it) gets that
  // quantity. Once all is answered, they get the quantity the server last rendered (their
  // default value): the asked one, unless stock cut it down or a request failed.
  function showAsked(answered) {
    document.querySelectorAll("input[data-cart-line]").forEach(function (field) {
      var key = field.dataset.cartLine;
      if (key in asked) {
        field.value = answered ? field.defaultValue : asked[key];
      }
    });
    if (answered) {
      asked = {};
    }
  }

  // The quantity a -/+ link asks for: its step from what the line's field shows, or the link's
  // own quantity when the field holds no number.
  function steppedQuantity(link) {
    var line = link.closest("[data-line-key]");
    var field = line && line.querySelector("input[data-cart-line]");
    var from = field ? parseInt(field.value, 10) : NaN;
    if (isNaN(from)) {
      return parseInt(link.dataset.quantity, 10);
    }
    return Math.max(0, from + parseInt(link.dataset.quantityStep, 10));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-cart-form]")) {
      return;
    }
    if (sendCart(form.getAttribute("action"), formValues(form, event.submitter), form.dataset.cartTarget)) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-cart-line]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) {
      return;
    }
    var quantity = link.dataset.quantityStep ? steppedQuantity(link) : link.dataset.quantity;
    if (changeLine(link.dataset.cartLine, quantity)) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches("input[data-cart-line]")) {
      changeLine(field.dataset.cartLine, field.value);
      return;
    }
    var autosave = field.closest("[data-cart-autosave]");
    if (autosave && field.name) {
      var values = {};
      values[field.name] = field.type === "checkbox" ? (field.checked ? field.value : "") : field.value;
      sendCart(autosave.dataset.cartAutosave, values);
    }
  });

  // Enter in a line's quantity field would submit the whole no-JS cart form: send the line.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key === "Enter" && field.matches && field.matches("input[data-cart-line]")) {
      event.preventDefault();
      field.blur();
    }
  });

  // --- The cart drawer ------------------------------------------------------------------------
  // A non-modal <dialog> with its own backdrop, focus trap and Escape: a modal one would make
  // the rest of the page inert, and with it the aria-live region that announces cart changes.

  var opener = null;

  function drawer() {
    return byId("CartDrawer");
  }

  function onCartPage() {
    return document.body.classList.contains("template-cart");
  }

  function openDrawer() {
    var dialog = drawer();
    if (!dialog || onCartPage()) {
      return false;
    }
    if (!dialog.open) {
      opener = document.activeElement;
      dialog.show();
      document.body.classList.add("drawer-open");
      var backdrop = document.querySelector(".drawer-backdrop");
      if (backdrop) {
        backdrop.hidden = false;
      }
    }
    var focus = byId("CartDrawer-Close");
    if (focus) {
      focus.focus();
    }
    return true;
  }

  function closeDrawer() {
    var dialog = drawer();
    if (dialog && dialog.open) {
      dialog.close();
    }
  }

  function drawerClosed() {
    document.body.classList.remove("drawer-open");
    var backdrop = document.querySelector(".drawer-backdrop");
    if (backdrop) {
      backdrop.hidden = true;
    }
    if (opener && document.body.contains(opener)) {
      opener.focus();
    } else {
      var bubble = byId("cart-icon-bubble");
      if (bubble) {
        bubble.focus();
      }
    }
    opener = null;
  }

  ready(function () {
    var dialog = drawer();
    if (dialog) {
      dialog.addEventListener("close", drawerClosed);
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest(".drawer-backdrop")) {
      closeDrawer();
      return;
    }
    var bubble = event.target.closest("#cart-icon-bubble");
    if (bubble && event.button === 0 && !event.metaKey && !event.ctrlKey && openDrawer()) {
      event.preventDefault();
    }
  });

  document.addEventListener("keydown", function (event) {
    var dialog = drawer();
    if (!dialog || !dialog.open) {
      return;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      closeDrawer();
    } else if (event.key === "Tab") {
      trapFocus(dialog, event);
    }
  });

  function trapFocus(container, event) {
    var focusable = Array.prototype.filter.call(
      container.querySelectorAll("a[href], button:not([disabled]), input:not([disabled]), select, textarea, [tabindex]:not([tabindex='-1'])"),
      function (el) {
        return el.offsetParent !== null;
      }
    );
    if (!focusable.length) {
      return;
    }
    var first = focusable[0];
    var last = focusable[focusable.length - 1];
    if (!container.contains(document.activeElement)) {
      event.preventDefault();
      first.focus();
    } else if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  // The server sends `cart:updated` (HX-Trigger) after every cart change, with the item count
  // and whether something was added.
  document.addEventListener("cart:updated", function (event) {
    var detail = event.detail || {};
    if (detail.added) {
      openDrawer();
    }
  });

  // After a swap, a control that had focus may be gone (a removed line): keep focus in the
  // drawer, or on the cart's heading, rather than losing it to the page's start.
  document.addEventListener("htmx:afterSettle", function () {
    if (document.activeElement && document.activeElement !== document.body) {
      return;
    }
    var dialog = drawer();
    var target = dialog && dialog.open ? byId("CartDrawer-Title") : onCartPage() ? byId("CartItems-Title") : null;
    if (target) {
      target.focus();
    }
  });

  // --- Variant picker -------------------------------------------------------------------------
  // Fetches the product section for the picked variant (Section Rendering API) and swaps the
  // parts that depend on it; the URL follows with ?variant=, as the no-JS page reads it.

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches("[data-variant-picker]")) {
      return;
    }
    var product = select.closest("[data-section]");
    if (!product) {
      return;
    }
    var url = product.dataset.productUrl.split("?")[0] + "?variant=" + encodeURIComponent(select.value);
    var sectionUrl = url + "&section_id=" + encodeURIComponent(product.dataset.section);
    var plan = product.querySelector("input[name='selling_plan']:checked");
    var planValue = plan ? plan.value : null;
    fetch(sectionUrl, { headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        fresh.querySelectorAll("[data-variant-part]").forEach(function (part) {
          var current = part.id && byId(part.id);
          if (current) {
            current.replaceWith(document.adoptNode(part));
          }
        });
        if (planValue !== null) {
          var again = product.querySelector("input[name='selling_plan'][value='" + CSS.escape(planValue) + "']");
          if (again) {
            again.checked = true;
          }
        }
        history.replaceState(history.state, "", url);
      })
      .catch(function () {
        // Keep the page as it is: the form still posts the picked variant's id.
      });
  });

  // --- Small things ---------------------------------------------------------------------------

  // Sorting a collection applies as soon as an option is picked.
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.matches("[data-auto-submit]")) {
      form.requestSubmit();
    }
  });
})();

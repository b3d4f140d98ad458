/* Helpdesk: the little JavaScript the pages need. Loaded with `defer`; no inline scripts. */
(function () {
  "use strict";

  var TZ_COOKIE = "tz";
  var RELOAD_FLAG = "helpdesk-tz-reloaded";

  function readCookie(name) {
    var pairs = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < pairs.length; i++) {
      var eq = pairs[i].indexOf("=");
      if (pairs[i].slice(0, eq) === name) {
        return pairs[i].slice(eq + 1);
      }
    }
    return null;
  }

  /* IANA names ("Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+3") are safe
     in a cookie as they are; the server reads the value without URL-decoding it. */
  var ZONE_PATTERN = /^[A-Za-z0-9_+\-]+(\/[A-Za-z0-9_+\-]+)*$/;

  function browserZone() {
    var zone = null;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || null;
    } catch (e) {
      return null;
    }
    return zone && zone.length <= 64 && ZONE_PATTERN.test(zone) ? zone : null;
  }

  /* Tell the server the browser's time zone (the middleware reads the `tz` cookie), and
     reload once when this page was rendered in another zone, so times read right. */
  function syncTimeZone() {
    var zone = browserZone();
    if (!zone || readCookie(TZ_COOKIE) === zone) {
      return;
    }
    document.cookie =
      TZ_COOKIE + "=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    if (readCookie(TZ_COOKIE) !== zone) {
      return; // cookies are blocked: reloading would not help
    }
    var body = document.body;
    var rendered = body.getAttribute("data-tz");
    var fixedByProfile = body.hasAttribute("data-tz-profile");
    var showsTimes = document.querySelector("time[datetime]") !== null;
    var alreadyReloaded = false;
    try {
      alreadyReloaded = sessionStorage.getItem(RELOAD_FLAG) === zone;
      sessionStorage.setItem(RELOAD_FLAG, zone);
    } catch (e) {
      alreadyReloaded = true; // no sessionStorage: never risk a reload loop
    }
    if (rendered !== zone && !fixedByProfile && showsTimes && !alreadyReloaded) {
      // A GET of the same address: never re-submits a form.
      window.location.replace(window.location.href);
    }
  }

  /* Flash messages fade out after a while; an htmx swap may bring new ones. */
  function dismissFlashes(root) {
    var flashes = (root || document).querySelectorAll(".flash:not([data-timer])");
    Array.prototype.forEach.call(flashes, function (flash) {
      flash.setAttribute("data-timer", "1");
      window.setTimeout(function () {
        flash.classList.add("is-leaving");
        window.setTimeout(function () {
          if (flash.parentNode) {
            flash.parentNode.removeChild(flash);
          }
        }, 450);
      }, 5000);
    });
  }

  /* Close the user menu when clicking elsewhere. */
  function closeMenusOnOutsideClick(event) {
    var menus = document.querySelectorAll("details.user-menu[open]");
    Array.prototype.forEach.call(menus, function (menu) {
      if (!menu.contains(event.target)) {
        menu.removeAttribute("open");
      }
    });
  }

  /* A table or list that scrolls must be reachable from the keyboard to be scrolled
     (WCAG 2.1.1): the scrolling box is a tab stop only while its content overflows it. */
  function focusableScrollers() {
    var boxes = document.querySelectorAll(".table-wrap, .live-list");
    Array.prototype.forEach.call(boxes, function (box) {
      var scrolls =
        box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
      } else if (!scrolls && box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
      }
    });
  }

  var resizeFrame = null;
  function onResize() {
    if (resizeFrame === null) {
      resizeFrame = window.requestAnimationFrame(function () {
        resizeFrame = null;
        focusableScrollers();
      });
    }
  }

  syncTimeZone();
  dismissFlashes(document);
  focusableScrollers();
  document.addEventListener("click", closeMenusOnOutsideClick);
  window.addEventListener("resize", onResize);
  document.body.addEventListener("htmx:afterSettle", function () {
    dismissFlashes(document);
    focusableScrollers();
  });
})();

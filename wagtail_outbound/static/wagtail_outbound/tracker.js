/*
 * wagtail-outbound tracker: counts clicks on links to other hostnames.
 * Configuration comes from the data- attributes of its own <script> tag.
 * It never changes navigation: no preventDefault, no delay, no rewritten
 * href, target or rel. tracker.min.js is this file minified (make tracker).
 */
(function (win, doc) {
  "use strict";
  // Included twice (hook and template tag): only the first copy listens.
  if (win.wagtailOutbound) return;

  var nav = navigator;
  var script = doc.currentScript;
  var config = (script && script.dataset) || {};
  var collect = config.outboundCollect;
  var internal = (config.outboundInternal || "").split(" ");
  var excluded = (config.outboundExclude || "").split(" ");
  var NO_TRACK = "[data-insights-no-track],[data-outbound-no-track]";
  // Do Not Track and Global Privacy Control are honoured unless the site opts out.
  var optedOut =
    config.outboundDnt != "0" &&
    (nav.doNotTrack == "1" || win.doNotTrack == "1" || nav.globalPrivacyControl);

  // "*.example.com" matches example.com and its sub-domains, nothing else.
  function listed(host, patterns) {
    return patterns.some(function (pattern) {
      var base = pattern.replace(/^\*\./, "");
      return (
        host == pattern ||
        (base != pattern && (host == base || host.slice(-base.length - 1) == "." + base))
      );
    });
  }

  // Trimmed, whitespace collapsed, at most 255 characters, never half a character.
  function cut(text) {
    return Array.from(String(text || "").replace(/\s+/g, " ").trim())
      .slice(0, 255)
      .join("");
  }

  function send(href, text, link) {
    try {
      // Resolving against baseURI honours <base href>.
      var url = new URL(href, doc.baseURI);
      var host = url.hostname;
      if (
        optedOut ||
        !collect ||
        !/^https?:$/.test(url.protocol) ||
        host == location.hostname ||
        listed(host, internal) ||
        listed(host, excluded)
      ) return;
      url.hash = "";
      var body = JSON.stringify({
        url: url.href,
        text: cut(text),
        source: location.origin + location.pathname,
        page: config.outboundPage,
        event: link && link.getAttribute("data-insights-event"),
        category: link && link.getAttribute("data-insights-category"),
      });
      // sendBeacon survives the page unloading; fetch keepalive is the fallback.
      if (!(nav.sendBeacon && nav.sendBeacon(collect, body))) {
        fetch(collect, { method: "POST", body: body, keepalive: true }).catch(function () {});
      }
    } catch (error) {
      // A tracker must never break the page.
    }
  }

  function textOf(link) {
    var image = link.querySelector("img[alt]");
    return (
      cut(link.textContent) ||
      link.getAttribute("aria-label") ||
      link.getAttribute("title") ||
      (image && image.alt)
    );
  }

  function onClick(event) {
    // auxclick: only the middle button (1); a right click opens a menu, not a link.
    // detail > 1: the second click of a double click is the same visit.
    if ((event.type == "auxclick" && event.button != 1) || event.detail > 1) return;
    // composedPath() reaches into open shadow roots, unlike event.target.
    var path = event.composedPath();
    for (var i = 0; i < path.length; i++) {
      var link = path[i];
      var name = link.localName;
      if (name != "a" && name != "area") continue;
      // SVG links keep their href in an SVGAnimatedString.
      var href = link.href && (link.href.baseVal == null ? link.href : link.href.baseVal);
      if (!href) return;
      // Opt-out on the link, on an ancestor, or on an element inside the link.
      for (var j = i; j < path.length; j++) {
        if (path[j].matches && path[j].matches(NO_TRACK)) return;
      }
      if (link.querySelector(NO_TRACK)) return;
      return send(href, textOf(link), link);
    }
  }

  // Capture phase on window: a page's stopPropagation cannot hide the click.
  win.addEventListener("click", onClick, true);
  win.addEventListener("auxclick", onClick, true);

  // Manual tracking, as documented for Craft Insights: insights.trackOutbound(url, text).
  var api = {
    trackOutbound: function (url, text) {
      send(url, text);
    },
  };
  win.wagtailOutbound = api;
  (win.insights = win.insights || {}).trackOutbound = api.trackOutbound;
})(window, document);

/*
 * wagtail-outbound tracker: counts clicks on links to other hostnames.
 * Configuration comes from the data- attributes of its own <script> tag.
 * It never changes navigation: no preventDefault, no delay, no rewritten
 * href, target or rel. tracker.min.js is this file minified (make tracker).
 */
((win, doc) => {
  "use strict";
  // Included twice (hook and template tag): only the first copy listens.
  if (win.wagtailOutbound) return;

  const nav = navigator;
  const script = doc.currentScript;
  const config = (script && script.dataset) || {};
  // Resolved against the page's address, not document.baseURI: a <base href>
  // pointing to another host must not send the beacon there.
  const collect = config.outboundCollect && new URL(config.outboundCollect, location).href;
  // The site's own hosts, internal domains and excluded domains are all skipped.
  const skipped = [config.outboundInternal, config.outboundExclude].join(" ").split(" ");
  const NO_TRACK = "[data-insights-no-track],[data-outbound-no-track]";
  // Do Not Track and Global Privacy Control are honoured unless the site opts out.
  const optedOut =
    config.outboundDnt != "0" &&
    (nav.doNotTrack == "1" || win.doNotTrack == "1" || nav.globalPrivacyControl);

  // "*.example.com" matches example.com and its sub-domains, nothing else.
  const listed = (host) =>
    skipped.some(
      (pattern) =>
        host == pattern || (pattern[0] == "*" && ("." + host).endsWith(pattern.slice(1)))
    );

  // Trimmed, whitespace collapsed, at most `max` characters, never half of one
  // (Array.from splits by code point, so an emoji is kept or dropped whole).
  const cut = (text, max) =>
    Array.from(String(text || "").replace(/\s+/g, " ").trim())
      .slice(0, max)
      .join("");

  const send = (href, text, link) => {
    try {
      // Resolving against baseURI honours <base href>.
      const url = new URL(href, doc.baseURI);
      const host = url.hostname;
      if (
        optedOut ||
        !collect ||
        !/^https?:$/.test(url.protocol) ||
        host == location.hostname ||
        listed(host)
      ) return;
      url.hash = "";
      // The seed's affiliate pattern; cut to the server's 64 characters so a
      // long value cannot make the click rejected.
      const label = (name) => cut(link && link.getAttribute("data-insights-" + name), 64);
      const body = JSON.stringify({
        url: url.href,
        text: cut(text, 255),
        source: location.origin + location.pathname,
        page: config.outboundPage,
        event: label("event"),
        category: label("category"),
      });
      // sendBeacon survives the page unloading; fetch keepalive is the fallback.
      (nav.sendBeacon && nav.sendBeacon(collect, body)) ||
        fetch(collect, { method: "POST", body, keepalive: true }).catch(() => {});
    } catch (error) {
      // A tracker must never break the page.
    }
  };

  const onClick = (event) => {
    // auxclick: only the middle button (1); a right click opens a menu, not a link.
    // detail > 1: the second click of a double click is the same visit.
    if ((event.type == "auxclick" && event.button != 1) || event.detail > 1) return;
    // composedPath() reaches into open shadow roots, unlike event.target.
    const path = event.composedPath();
    for (let i = 0; i < path.length; i++) {
      const link = path[i];
      if (link.localName != "a" && link.localName != "area") continue;
      // SVG links keep their href (or xlink:href) in an SVGAnimatedString.
      const href = link.href && (link.href.baseVal == null ? link.href : link.href.baseVal);
      // Opt-out on the link, on an ancestor, or on an element inside the link.
      if (
        !href ||
        path.slice(i).some((element) => element.matches && element.matches(NO_TRACK)) ||
        link.querySelector(NO_TRACK)
      ) return;
      // Without text: aria-label, title, then the alt of an <area> or an image.
      const image = link.querySelector("img[alt]") || link;
      return send(
        href,
        link.textContent.trim() ||
          link.getAttribute("aria-label") ||
          link.getAttribute("title") ||
          image.getAttribute("alt"),
        link
      );
    }
  };

  // Capture phase on window: a page's stopPropagation cannot hide the click.
  win.addEventListener("click", onClick, true);
  win.addEventListener("auxclick", onClick, true);

  // Manual tracking, as the seed documents it: insights.trackOutbound(url, text).
  // An existing window.insights object is extended, not replaced.
  const trackOutbound = (url, text) => send(url, text);
  win.wagtailOutbound = { trackOutbound };
  (win.insights = win.insights || {}).trackOutbound = trackOutbound;
})(window, document);

/*
 * wagtail-outbound overlay: draws the clicks of each outbound link on the page
 * itself, for editors who may see the reports. The "Outbound clicks" item of
 * Wagtail's userbar loads it (visitors never get it) and holds its settings
 * in data- attributes. Previews show the counts at once; on the live page the
 * item toggles them.
 *
 * It never changes the page: no attribute, style or listener of the page is
 * touched. The badges live in a shadow root of their own, appended after
 * <body> and positioned absolutely, so the page's layout cannot move; their
 * styles come from overlay.css (no inline script or style: a strict
 * Content-Security-Policy is fine). The server decides which links are
 * outbound and which stored URL each one is (the collect endpoint's rules),
 * so this script only sends the addresses it finds.
 */
((win, doc) => {
  "use strict";
  if (win.wagtailOutboundOverlay) return;

  // The item's button, in the userbar's (open) shadow root.
  const findToggle = () => {
    for (const bar of doc.querySelectorAll("wagtail-userbar")) {
      const button = bar.shadowRoot && bar.shadowRoot.querySelector("[data-outbound-overlay]");
      if (button) return button;
    }
    return null;
  };
  const toggle = findToggle();
  if (!toggle) return;
  const config = toggle.dataset;
  const preview = "outboundOverlayPreview" in config;

  // The tracker's opt-out markers: such links get a badge that says so.
  const NO_TRACK = "[data-insights-no-track],[data-outbound-no-track]";
  // Characters of url= parameters per request: every server and proxy
  // accepts the request line. More addresses take more requests.
  const MAX_QUERY = 1800;
  const MAX_PER_REQUEST = 100;
  const MAX_REQUESTS = 20;
  const STORE = "wagtail-outbound-overlay";

  // The period and whether the live page shows the counts, kept per tab.
  const remembered = () => {
    try {
      return JSON.parse(win.sessionStorage.getItem(STORE)) || {};
    } catch (error) {
      return {};
    }
  };
  const state = Object.assign({ days: 30, on: false, collapsed: false }, remembered());
  const remember = () => {
    try {
      win.sessionStorage.setItem(STORE, JSON.stringify(state));
    } catch (error) {
      // Storage refused (private mode, sandbox): the state lasts this page.
    }
  };

  const element = (name, className, text) => {
    const node = doc.createElement(name);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  };

  // The page's links by absolute address, resolved as the tracker resolves
  // them: against document.baseURI, SVG links by href.baseVal, fragment left
  // out, http(s) only.
  const pageLinks = () => {
    const links = new Map();
    for (const link of doc.querySelectorAll("a, area")) {
      const raw = link.href && (link.href.baseVal == null ? link.href : link.href.baseVal);
      if (!raw) continue;
      let url;
      try {
        url = new URL(raw, doc.baseURI);
      } catch (error) {
        continue;
      }
      if (!/^https?:$/.test(url.protocol)) continue;
      url.hash = "";
      if (!links.has(url.href)) links.set(url.href, []);
      links.get(url.href).push(link);
    }
    return links;
  };

  // Addresses cut into requests of a bounded length; always one request,
  // which brings the page's totals and its clicked links.
  const batches = (hrefs) => {
    const all = [[]];
    let size = 0;
    for (const href of hrefs) {
      const length = encodeURIComponent(href).length + 5;
      if (length > MAX_QUERY) continue; // longer than any URL that is stored
      let batch = all[all.length - 1];
      if (batch.length && (size + length > MAX_QUERY || batch.length >= MAX_PER_REQUEST)) {
        if (all.length >= MAX_REQUESTS) break;
        all.push((batch = []));
        size = 0;
      }
      batch.push(href);
      size += length;
    }
    return all;
  };

  const load = (hrefs) =>
    Promise.all(
      batches(hrefs).map((batch) => {
        const query = new URLSearchParams({ days: state.days });
        if (preview) query.set("draft", "1");
        batch.forEach((href) => query.append("url", href));
        return fetch(config.outboundOverlay + "?" + query, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        }).then((response) => {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        });
      })
    ).then((answers) => {
      const data = answers[0];
      answers.slice(1).forEach((answer) => Object.assign(data.matches, answer.matches));
      return data;
    });

  // The overlay: one element after <body>, everything else in its shadow root.
  let host = null;
  let shadow = null;
  let placed = [];
  let frame = 0;

  const build = () => {
    host = element("wagtail-outbound-overlay");
    host.setAttribute("data-theme", config.outboundOverlayTheme || "system");
    // CSSOM, which a strict CSP allows: out of the page's flow from the
    // start, whatever the page's own rules say about unknown elements.
    host.style.cssText =
      "all: initial !important; position: absolute !important; top: 0 !important;" +
      " left: 0 !important; width: 0 !important; height: 0 !important;" +
      " overflow: visible !important; z-index: 2147483000 !important;";
    shadow = host.attachShadow({ mode: "open" });
    const sheet = element("link");
    sheet.rel = "stylesheet";
    sheet.href = config.outboundOverlayStylesheet;
    shadow.append(sheet);
    doc.documentElement.appendChild(host);
    return new Promise((resolve) => {
      sheet.addEventListener("load", resolve);
      sheet.addEventListener("error", resolve);
    });
  };

  // Short links side by side ("Python, Django") would have their badges
  // cover each other: in document order, a badge that overlaps one already
  // placed rises above it. Every box is read once, after all the writes
  // above, so the page is laid out once, whatever the number of badges.
  const GAP = 2;
  const unstack = (badges) => {
    const boxes = badges.map((badge) => [badge, badge.getBoundingClientRect()]);
    const taken = [];
    for (const [badge, rect] of boxes) {
      let top = rect.top;
      const covers = (other) =>
        rect.left < other.right &&
        other.left < rect.right &&
        top < other.bottom + GAP &&
        other.top < top + rect.height + GAP;
      // A badge ends above each one it hits, so it hits each at most once.
      for (let hit = taken.find(covers); hit; hit = taken.find(covers)) {
        top = hit.top - rect.height - GAP;
      }
      taken.push({ left: rect.left, right: rect.right, top, bottom: top + rect.height });
      if (top !== rect.top) {
        badge.style.top = Math.round(parseFloat(badge.style.top) + top - rect.top) + "px";
      }
    }
  };

  const place = () => {
    frame = 0;
    if (!host) return;
    const origin = host.getBoundingClientRect();
    const shown = [];
    for (const { badge, link } of placed) {
      const rect = link.getBoundingClientRect();
      const visible = rect.width > 0 || rect.height > 0;
      badge.hidden = !visible;
      if (visible) {
        badge.style.left = Math.round(rect.right - origin.left) + "px";
        badge.style.top = Math.round(rect.top - origin.top) + "px";
        shown.push(badge);
      }
    }
    unstack(shown);
  };

  const placeSoon = () => {
    if (!frame) frame = win.requestAnimationFrame(place);
  };

  const badgeFor = (link, match, text) => {
    const untracked = !!(link.closest(NO_TRACK) || link.querySelector(NO_TRACK));
    // The link inventory leaves opted-out links out: it cannot tell them new.
    const isNew = match.new && !untracked;
    const badge = element("li", "badge");
    badge.setAttribute("data-outbound-clicks", String(match.clicks));
    if (isNew) badge.classList.add("badge--new");
    if (!match.clicks) badge.classList.add("badge--zero");
    if (untracked) badge.classList.add("badge--untracked");
    const shown = element("span", "badge__text");
    shown.setAttribute("aria-hidden", "true");
    shown.textContent = isNew
      ? text.new
      : match.clicks
        ? match.clicks + " · " + match.percent
        : "0";
    // Screen readers hear which link a badge is about.
    const name =
      (link.textContent || "").replace(/\s+/g, " ").trim() ||
      link.getAttribute("aria-label") ||
      link.getAttribute("title") ||
      "";
    const parts = [name, match.label];
    if (isNew) parts.push(text.new_label);
    if (untracked) parts.push(text.untracked);
    badge.append(shown, element("span", "visually-hidden", parts.filter(Boolean).join(". ")));
    return badge;
  };

  const gone = (data, matched) =>
    data.links.filter((row) => !matched.has(row.link));

  const render = (data, links) => {
    const text = data.text;
    shadow.querySelectorAll(".layer, .summary").forEach((node) => node.remove());
    placed = [];
    const matched = new Set();
    const layer = element("ul", "layer");
    layer.setAttribute("aria-label", text.title);
    links.forEach((elements, href) => {
      const match = data.matches[href];
      if (!match) return;
      if (match.link != null) matched.add(match.link);
      for (const link of elements) {
        const badge = badgeFor(link, match, text);
        placed.push({ badge, link });
        layer.append(badge);
      }
    });

    const summary = element("section", "summary");
    summary.setAttribute("aria-label", text.title);
    const header = element("div", "summary__header");
    const heading = element("button", "summary__toggle", text.title);
    heading.type = "button";
    heading.setAttribute("aria-expanded", String(!state.collapsed));
    const body = element("div", "summary__body");
    body.hidden = state.collapsed;
    layer.hidden = state.collapsed;
    heading.addEventListener("click", () => {
      state.collapsed = !state.collapsed;
      remember();
      heading.setAttribute("aria-expanded", String(!state.collapsed));
      body.hidden = layer.hidden = state.collapsed;
    });
    header.append(heading);

    const period = element("label", "summary__period", text.period + " ");
    const select = element("select");
    for (const [days, label] of text.periods) {
      const option = element("option", null, label);
      option.value = days;
      option.selected = days == data.days;
      select.append(option);
    }
    select.addEventListener("change", () => {
      state.days = Number(select.value);
      remember();
      show();
    });
    period.append(select);
    body.append(period, element("p", "summary__total", text.total));

    const news = placed.filter(({ badge }) => badge.classList.contains("badge--new")).length;
    if (news) {
      body.append(element("p", "summary__new", text.new + ": " + news));
    }
    const missing = gone(data, matched);
    if (missing.length) {
      body.append(element("h2", "summary__heading", text.gone));
      const list = element("ul", "summary__gone");
      for (const row of missing) {
        const item = element("li");
        const name = row.href ? element("a", null, row.url) : element("span", null, row.url);
        if (row.href) {
          name.href = row.href;
          name.target = "_blank";
          name.rel = "noopener noreferrer";
        }
        const count = element("span", "summary__count", row.clicks + " · " + row.percent);
        count.setAttribute("data-outbound-clicks", String(row.clicks));
        item.append(name, " ", count, element("span", "visually-hidden", ". " + row.label));
        list.append(item);
      }
      body.append(list);
    }
    const report = element("a", "summary__report", text.report);
    report.href = text.report_url;
    report.target = "_blank";
    body.append(report);
    summary.append(header, body);
    shadow.append(layer, summary);
    place();
  };

  const fail = () => {
    shadow.querySelectorAll(".layer, .summary").forEach((node) => node.remove());
    const summary = element("section", "summary summary--error");
    summary.setAttribute("role", "alert");
    summary.textContent = config.outboundOverlayError || "";
    shadow.append(summary);
  };

  let ready = null;
  // Only the answer to the latest request is drawn (periods change quickly).
  let latest = 0;
  const show = () => {
    const links = pageLinks();
    const request = ++latest;
    const current = () => request == latest && shadow;
    ready = ready || build();
    return Promise.all([ready, load(links.keys())])
      .then(([, data]) => current() && render(data, links))
      .catch(() => current() && fail());
  };

  const hide = () => {
    latest++;
    if (host) host.remove();
    host = shadow = ready = null;
    placed = [];
  };

  const set = (on) => {
    toggle.setAttribute("aria-checked", String(on));
    return on ? show() : Promise.resolve(hide());
  };

  toggle.addEventListener("click", () => {
    state.on = !host;
    state.collapsed = false;
    remember();
    set(state.on);
    // Close the userbar's menu, as its links do by leaving the page.
    const bar = toggle.closest("[data-wagtail-userbar]");
    const trigger = bar && bar.querySelector("[data-wagtail-userbar-trigger]");
    if (trigger && trigger.getAttribute("aria-expanded") == "true") trigger.click();
  });
  win.addEventListener("resize", placeSoon);
  // Capture: scrolling containers move links too.
  win.addEventListener("scroll", placeSoon, { capture: true, passive: true });
  win.addEventListener("load", placeSoon);
  if (win.ResizeObserver) new win.ResizeObserver(placeSoon).observe(doc.documentElement);

  win.wagtailOutboundOverlay = { show: () => set(true), hide: () => set(false) };
  if (preview || state.on) set(true);
})(window, document);

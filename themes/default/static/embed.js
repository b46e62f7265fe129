/* storyforge wall of love: <div data-storyforge-wall></div><script src="https://YOUR-SITE/embed.js" defer></script>
   Options: data-layout="grid|carousel", data-limit (1-50), data-tag, data-heading (2-6), data-autoplay
   (seconds; never with reduced motion), data-no-style, data-lang="fr" (that language's stories and dates).
   Data goes in as text, never HTML; no eval, no inline style: fine under a strict CSP. */
(function () {
  "use strict";
  var me = document.currentScript;
  var base = me && me.src ? me.src : location.href;
  var dataUrl = new URL("testimonials.json", base).href;
  var motion = window.matchMedia ? matchMedia("(prefers-reduced-motion: reduce)") : { matches: true };
  var loads = {};
  var words = {}, dateLang = "";  // the site's words for this English (testimonials.json)

  function t(text, values) {
    return (typeof words[text] === "string" ? words[text] : text).replace(/%\((\w+)\)s/g, function (all, k) {
      return values && values[k] !== undefined ? String(values[k]) : all;
    });
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // a day in data-lang, else the host page's language, else the browser's: "1 avril 2026"
  function shownDate(value) {
    var m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(value);
    if (!m) return value;
    var day = new Date(Date.UTC(m[1], m[2] - 1, m[3])), opt = { year: "numeric", month: "long", day: "numeric",
      timeZone: "UTC" };
    try { return day.toLocaleDateString(dateLang || document.documentElement.lang || [], opt); } catch (e) { return value; }
  }

  function webUrl(value) {
    try {
      var parsed = new URL(String(value), base);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function slug(value) {
    return String(value || "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  }

  function link(text, href, cls) {
    var a = el("a", cls, text);
    var safe = webUrl(href);
    if (safe) a.href = safe;
    return a;
  }

  // data-lang: /fr/testimonials.json; the default language's (or if none) at the root
  function load(lang) {
    var url = lang ? new URL(lang.toLowerCase() + "/testimonials.json", base).href : dataUrl;
    if (!loads[url]) {
      loads[url] = fetch(url, { credentials: "omit" }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }).then(function (d) { if (d) d.lang = lang; return d; });
      if (lang) loads[url] = loads[url].catch(function () { return load(""); });
    }
    return loads[url];
  }

  function addStyle(host) {
    if (host.hasAttribute("data-no-style") || document.querySelector("link[data-storyforge-style]")) return;
    var sheet = document.createElement("link");
    sheet.rel = "stylesheet";
    sheet.href = new URL("css/embed.css", base).href;
    sheet.setAttribute("data-storyforge-style", "");
    document.head.appendChild(sheet);
  }

  // their photo (with consent), else initials
  function face(s) {
    var p = s.photo || {}, src = p.url && webUrl(p.url), f = el(src ? "img" : "span", "sf-face");
    if (src) {
      f.src = src; f.alt = p.alt || ""; f.width = f.height = 40; f.loading = "lazy";
      if (p.srcset) { f.srcset = p.srcset; f.sizes = "40px"; }
    } else {
      f.textContent = String(s.author || "").replace(/(\S)\S*\s*/g, "$1").slice(0, 2).toUpperCase();
      f.setAttribute("aria-hidden", "true");
    }
    return f;
  }

  function card(story, level) {
    var item = el("li", "sf-story"), box = el("article", "sf-card"), heading = el("h" + level, "sf-title");
    heading.appendChild(link(story.title, story.url));
    box.appendChild(heading);
    var rating = Number(story.rating);
    if (rating >= 1 && rating <= 5 && Math.floor(rating) === rating) {
      var stars = el("p", "sf-stars");
      stars.setAttribute("role", "img");
      stars.setAttribute("aria-label", t("Rated %(rating)s out of 5", { rating: rating }));
      var shown = el("span", null, "★★★★★".slice(0, rating) + "☆☆☆☆☆".slice(0, 5 - rating));
      shown.setAttribute("aria-hidden", "true");
      stars.appendChild(shown);
      box.appendChild(stars);
    }
    var quote = el("blockquote", "sf-quote");
    quote.appendChild(el("p", null, story.text));
    box.appendChild(quote);
    var by = el("p", "sf-byline", "— " + (story.byline || story.author || "") + (story.date ? ", " + shownDate(story.date) : ""));
    by.prepend(face(story));
    box.appendChild(by);
    var labels = story.labels || {}, names = [];
    if (labels.verified === true) names.push(["sf-verified", t("Verified customer")]);
    if (labels.incentive) names.push(["sf-disclosure", t("Disclosure:") + " " + labels.incentive]);
    if (labels.relationship) names.push(["sf-disclosure", t("Connection:") + " " + labels.relationship]);
    if (labels.featured === true) names.push(["sf-featured", t("Hand-picked by the business")]);
    if (names.length) {
      var list = el("ul", "sf-labels");
      list.setAttribute("aria-label", t("About this story"));
      names.forEach(function (pair) { list.appendChild(el("li", "sf-label " + pair[0], pair[1])); });
      box.appendChild(list);
    }
    var more = link(t("Read the full story"), story.url, "sf-more");
    more.appendChild(el("span", "sf-hidden", ": " + story.title));
    box.appendChild(more);
    item.appendChild(box);
    return item;
  }

  function carousel(host, list) {
    var controls = el("div", "sf-controls"), timer = null;
    function step(direction) {
      var width = list.clientWidth * 0.9 * direction;
      var atEnd = list.scrollLeft + list.clientWidth >= list.scrollWidth - 2;
      var behavior = motion.matches ? "auto" : "smooth";
      if (direction > 0 && atEnd) list.scrollTo({ left: 0, behavior: behavior });
      else list.scrollBy({ left: width, behavior: behavior });
    }
    [["Previous stories", "‹", -1], ["Next stories", "›", 1]].forEach(function (b) {
      var button = el("button", "sf-button", b[1]);
      button.type = "button";
      button.setAttribute("aria-label", t(b[0]));
      button.addEventListener("click", function () { stop(); step(b[2]); });
      controls.appendChild(button);
    });
    list.tabIndex = 0;
    host.appendChild(controls);
    function stop() { if (timer) { clearInterval(timer); timer = null; } }
    var seconds = parseInt(host.getAttribute("data-autoplay"), 10);
    function start() {
      if (!timer && seconds >= 3 && !motion.matches) timer = setInterval(function () { step(1); }, seconds * 1000);
    }
    ["mouseenter", "focusin"].forEach(function (name) { host.addEventListener(name, stop); });
    host.addEventListener("mouseleave", start);
    if (motion.addEventListener) motion.addEventListener("change", function () { if (motion.matches) stop(); });
    start();
  }

  function render(host, data, lang) {
    var tag = slug(host.getAttribute("data-tag"));
    var limit = Math.min(50, Math.max(1, parseInt(host.getAttribute("data-limit"), 10) || 6));
    var level = /^[2-6]$/.test(host.getAttribute("data-heading") || "") ? host.getAttribute("data-heading") : "3";
    var layout = host.getAttribute("data-layout") === "carousel" ? "carousel" : "grid";
    var stories = (Array.isArray(data.stories) ? data.stories : []).filter(function (s) {
      return s && typeof s === "object" && (!tag || (Array.isArray(s.tags) && s.tags.map(slug).indexOf(tag) >= 0));
    }).slice(0, limit);
    var business = data.business || {};
    words = data.words || {};
    dateLang = lang;
    if (data.lang) host.lang = data.lang;
    host.textContent = "";
    host.classList.add("sf-wall", "sf-" + layout);
    var list = el("ul", "sf-list");
    list.setAttribute("aria-label", business.name ? t("Customer stories about %(business)s", { business: business.name })
      : t("Customer stories"));
    stories.forEach(function (s) { list.appendChild(card(s, level)); });
    if (!stories.length) host.appendChild(el("p", "sf-empty", t("No stories to show yet.")));
    else host.appendChild(list);
    var source = el("p", "sf-source");
    var sentence = t("Stories sent by customers of %(business)s and read by a person before publishing.").split("%(business)s");
    source.appendChild(document.createTextNode(sentence[0]));
    source.appendChild(link(business.name || t("this business"), business.url));
    source.appendChild(document.createTextNode(sentence.slice(1).join("") + " "));
    source.appendChild(link(t("How stories are checked"), business.policy));
    host.appendChild(source);
    if (layout === "carousel" && stories.length > 1) carousel(host, list);
  }

  function start() {
    var hosts = document.querySelectorAll("[data-storyforge-wall]:not(.sf-wall)");
    if (!hosts.length) return;
    Array.prototype.forEach.call(hosts, function (host) {
      addStyle(host);
      host.setAttribute("aria-busy", "true");
      var lang = host.getAttribute("data-lang") || "";
      lang = /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i.test(lang) ? lang : "";
      load(lang).then(function (data) { render(host, data || {}, lang); }, function () {
        host.textContent = "";
        host.appendChild(el("p", "sf-empty", "The customer stories could not be loaded just now."));
      }).then(function () { host.removeAttribute("aria-busy"); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

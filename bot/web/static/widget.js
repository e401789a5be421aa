/*! Omnibot web chat widget. One tag, no dependencies, no build step:
 *   <script src="https://shop.example/widget.js" defer></script>
 * Options (data-* attributes on that tag): data-omnibot-url, data-lang, data-title,
 * data-color, data-position ("left" | "right"), data-open ("true").
 * JS API: window.Omnibot.open() / .close() / .toggle() / .send(text) / .forget().
 */
(function () {
  "use strict";
  if (window.Omnibot && window.Omnibot.version) return; // the tag was included twice

  const script = document.currentScript;
  const option = (name) => (script && script.getAttribute("data-" + name)) || "";
  // The API lives where the script came from, unless the page says otherwise.
  const BASE = option("omnibot-url")
    ? new URL(option("omnibot-url").replace(/\/*$/, "/"), location.href).href
    : new URL(".", (script && script.src) || location.href).href;
  const PAGE_LANG = /^en\b/i.test(option("lang") || navigator.language || "") ? "en" : "pl";
  const STORAGE_KEY = "omnibot:" + BASE;
  const MAX_LENGTH = 4000;
  const SOCKET_ANSWER_TIMEOUT_MS = 8000; // no echo over the socket by then: send again over REST

  const STRINGS = {
    pl: {
      title: "Czat", open: "Otwórz czat", close: "Zamknij czat", messages: "Wiadomości",
      online: "Odpowiada bot", agentOnline: "Konsultant jest dostępny",
      withAgent: (name) => "Rozmawiasz z: " + name + " z obsługi", withSomeone: "Rozmawiasz z konsultantem",
      botOnly: (hours) => ["Odpowiada bot ·", "konsultanci " + hours], connecting: "Łączenie…", offline: "Brak połączenia — ponawiam…",
      placeholder: "Napisz wiadomość…", input: "Treść wiadomości", send: "Wyślij",
      empty: "Dzień dobry! Napisz, w czym możemy pomóc — np. „pokaż menu”.",
      typing: "Bot pisze…", agent: "Konsultant", via: "przez", sending: "Wysyłanie…",
      failed: "Nie udało się wysłać.", retry: "Spróbuj ponownie", tooLong: "Wiadomość jest za długa.",
      rejected: "Tej wiadomości nie da się wysłać.",
      jump: "Przewiń do najnowszej wiadomości", earlier: "Pokaż wcześniejsze wiadomości",
      end: "Zakończ czat", endAsk: "Zakończyć czat i zapomnieć go na tym urządzeniu? To, co napisano, zostaje w sklepie.",
      endYes: "Zakończ", endNo: "Wróć",
      unread: (n) => n + (n === 1 ? " nowa wiadomość" : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14) ? " nowe wiadomości" : " nowych wiadomości"),
    },
    en: {
      title: "Chat", open: "Open chat", close: "Close chat", messages: "Messages",
      online: "The bot answers", agentOnline: "An agent is online",
      withAgent: (name) => name + " from the team is replying", withSomeone: "A person from the team is replying",
      botOnly: (hours) => ["The bot answers ·", "agents " + hours], connecting: "Connecting…", offline: "Offline — retrying…",
      placeholder: "Type a message…", input: "Message", send: "Send",
      empty: "Hello! Tell us how we can help — e.g. “show the menu”.",
      typing: "The bot is typing…", agent: "Agent", via: "via", sending: "Sending…",
      failed: "Couldn't send.", retry: "Try again", tooLong: "This message is too long.",
      rejected: "This message can't be sent.",
      jump: "Scroll to the newest message", earlier: "Show earlier messages",
      end: "End chat", endAsk: "End this chat and forget it on this device? The shop keeps what was written.",
      endYes: "End chat", endNo: "Back",
      unread: (n) => n + (n === 1 ? " new message" : " new messages"),
    },
  };
  const CHANNELS = { telegram: "Telegram", sms: "SMS", cli: "CLI", webchat: "Web" };

  const CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.omnibot-root { --accent: #c2410c; --ink: #1f2328; --muted: #5f6b7a; --line: #e2e5ea;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); }
.omnibot-launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 60px; height: 60px;
  border: 0; border-radius: 50%; background: var(--accent); color: #fff; cursor: pointer; display: grid; place-items: center;
  box-shadow: 0 6px 20px rgba(0,0,0,.25); transition: transform .15s ease; }
.omnibot-launcher:hover { transform: scale(1.06); }
.omnibot-launcher:focus-visible, .omnibot-root button:focus-visible, .omnibot-input:focus-visible {
  outline: 3px solid #2563eb; outline-offset: 2px; }
.omnibot-badge { position: absolute; top: -4px; right: -4px; min-width: 22px; height: 22px; padding: 0 6px;
  border-radius: 11px; border: 2px solid #fff; background: #16a34a; color: #fff; font: 700 12px/18px system-ui, sans-serif; text-align: center; }
.omnibot-panel { position: fixed; right: 20px; bottom: 92px; z-index: 2147483001; width: 400px;
  height: min(620px, calc(100vh - 112px)); display: flex; flex-direction: column; overflow: hidden;
  background: #fff; border-radius: 16px; box-shadow: 0 12px 48px rgba(0,0,0,.28); }
.omnibot-left .omnibot-launcher, .omnibot-left .omnibot-panel { right: auto; left: 20px; }
.omnibot-header { display: flex; align-items: center; gap: 4px; padding: 14px 8px 14px 18px; background: var(--accent); color: #fff; }
.omnibot-heading { flex: 1; min-width: 0; }
.omnibot-title { margin: 0; font-size: 17px; font-weight: 650; }
.omnibot-status { margin: 0; font-size: 12.5px; opacity: .9; }
.omnibot-phrase { white-space: nowrap; }
.omnibot-status::before { content: ""; display: inline-block; width: 8px; height: 8px; margin-right: 6px; border-radius: 50%; background: #86efac; }
.omnibot-root[data-state="connecting"] .omnibot-status::before { background: #fde047; }
.omnibot-root[data-state="offline"] .omnibot-status::before { background: #fca5a5; }
.omnibot-close { width: 40px; height: 40px; border: 0; border-radius: 50%; background: transparent; color: #fff; cursor: pointer; display: grid; place-items: center; }
.omnibot-close:hover { background: rgba(255,255,255,.18); }
.omnibot-confirm { padding: 12px 16px; border-bottom: 1px solid var(--line); background: #fff7ed; font-size: 14px; }
.omnibot-confirm p { margin: 0 0 8px; }
.omnibot-confirm button { margin-right: 8px; padding: 6px 14px; border: 1px solid var(--accent); border-radius: 999px;
  background: #fff; color: var(--accent); font: inherit; font-weight: 600; cursor: pointer; }
.omnibot-confirm .omnibot-end-yes { background: var(--accent); color: #fff; }
.omnibot-body { position: relative; flex: 1; min-height: 0; display: flex; flex-direction: column; }
.omnibot-jump { position: absolute; left: 50%; bottom: 10px; transform: translateX(-50%); z-index: 1; padding: 7px 14px;
  border: 0; border-radius: 999px; background: var(--ink); color: #fff; font: inherit; font-size: 13.5px; font-weight: 600;
  cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); white-space: nowrap; }
.omnibot-scroll { flex: 1; overflow-y: auto; overscroll-behavior: contain; padding: 14px 12px 6px; background: #f6f7f9; }
.omnibot-empty { margin: 24px 18px; color: var(--muted); text-align: center; }
.omnibot-earlier { display: block; margin: 0 auto 12px; padding: 6px 14px; border: 1px solid var(--line); border-radius: 999px;
  background: #fff; color: var(--ink); font: inherit; font-size: 13.5px; cursor: pointer; }
.omnibot-msg { display: flex; flex-direction: column; align-items: flex-start; margin: 0 0 10px; }
.omnibot-from-customer { align-items: flex-end; }
.omnibot-from-system { align-items: center; }
.omnibot-author { margin: 0 8px 2px; font-size: 12px; font-weight: 600; color: var(--muted); }
.omnibot-text { max-width: 84%; padding: 9px 13px; border-radius: 16px; border: 1px solid var(--line); background: #fff;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.omnibot-from-bot .omnibot-text, .omnibot-from-agent .omnibot-text { border-bottom-left-radius: 4px; }
.omnibot-from-agent .omnibot-text { background: #eef5ff; border-color: #cfe0fa; }
.omnibot-from-customer .omnibot-text { border-color: transparent; border-bottom-right-radius: 4px; background: var(--accent); color: #fff; }
.omnibot-from-system .omnibot-text { border: 0; background: transparent; color: var(--muted); font-size: 13px; text-align: center; }
.omnibot-pending .omnibot-text { opacity: .65; }
.omnibot-failed .omnibot-text { background: #fff; color: var(--ink); border: 1px solid #f0a39b; }
.omnibot-meta { margin: 3px 8px 0; font-size: 11.5px; color: var(--muted); }
.omnibot-error { margin: 4px 8px 0; font-size: 13px; color: #b42318; }
.omnibot-error button { margin-left: 6px; padding: 0; border: 0; background: none; color: inherit; font: inherit; font-weight: 600; text-decoration: underline; cursor: pointer; }
.omnibot-chips { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; max-width: 96%; }
.omnibot-chip { padding: 6px 13px; border: 1.5px solid var(--accent); border-radius: 999px; background: #fff; color: var(--accent);
  font: inherit; font-size: 14px; cursor: pointer; }
.omnibot-chip:hover { background: var(--accent); color: #fff; }
.omnibot-typing { display: inline-flex; gap: 4px; margin: 0 0 10px; padding: 12px 14px; border: 1px solid var(--line); border-radius: 16px; background: #fff; }
.omnibot-typing span { width: 7px; height: 7px; border-radius: 50%; background: #9aa3ad; animation: omnibot-blink 1.2s infinite; }
.omnibot-typing span:nth-child(2) { animation-delay: .2s; } .omnibot-typing span:nth-child(3) { animation-delay: .4s; }
@keyframes omnibot-blink { 0%, 80%, 100% { opacity: .3; } 40% { opacity: 1; } }
.omnibot-form { display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px; border-top: 1px solid var(--line); background: #fff; }
.omnibot-input { flex: 1; min-height: 40px; max-height: 120px; padding: 9px 14px; resize: none; border: 1px solid #cdd2d8; border-radius: 20px;
  font: inherit; font-size: 16px; color: var(--ink); background: #fff; }
.omnibot-send { flex: none; width: 40px; height: 40px; border: 0; border-radius: 50%; background: var(--accent); color: #fff; cursor: pointer; display: grid; place-items: center; }
.omnibot-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 480px) {
  .omnibot-panel, .omnibot-left .omnibot-panel { inset: 0; width: 100%; height: 100%; height: 100dvh; border-radius: 0; }
  .omnibot-open .omnibot-launcher { display: none; }
}
@media (prefers-reduced-motion: reduce) { .omnibot-typing span { animation: none; } .omnibot-launcher { transition: none; } }`;

  const ICON_CHAT = '<svg width="28" height="28" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2z"/></svg>';
  const ICON_CLOSE = '<svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true"><path stroke="currentColor" stroke-width="2.2" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/></svg>';
  const ICON_END = '<svg width="20" height="20" viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" d="M10 4H5v16h5M14 8l4 4-4 4M18 12H9"/></svg>';
  const ICON_SEND = '<svg width="20" height="20" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M3 20.5l18-8.5L3 3.5v6.6l12 1.9-12 1.9z"/></svg>';

  // ---- persistent state: the session token and the id of the last message the user has seen
  const storage = {
    load() { try { return JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}") || {}; } catch (e) { return {}; } },
    save(value) { try { localStorage.setItem(STORAGE_KEY, JSON.stringify(value)); } catch (e) { /* private mode */ } },
  };
  const saved = storage.load();
  // The widget speaks the conversation's language: the page's at first, then whatever the
  // conversation switched to ("switch to english please"), remembered for this session.
  let LANG = saved.lang === "pl" || saved.lang === "en" ? saved.lang : PAGE_LANG;
  let T = STRINGS[LANG];
  const state = {
    token: typeof saved.token === "string" ? saved.token : null,
    seen: Number(saved.seen) || 0,  // last message id read with the panel open (unread badge)
    lastId: 0,                      // newest message id rendered (resume point for history/socket)
    older: false,                   // the server has messages before the oldest one rendered
    customerId: null, open: false, unread: 0, started: false,
    ws: null, retries: 0, retryTimer: 0, syncing: false, typingTimer: 0,
    pinned: true,  // the view follows the newest message until the visitor scrolls up to read
    below: 0,      // messages that arrived below the fold while the visitor was reading above
    availabilityTimer: 0,
    // The shop's time zone (the session says it): a message's time reads as the shop's clock,
    // like every time the bot gives ("ready at 18:30", opening hours). Until then, the device's.
    timezone: undefined,
  };
  const persist = () => storage.save({ token: state.token, seen: state.seen, lang: state.token ? LANG : undefined });
  const pending = new Map();  // client_message_id -> {cmid, text, payload, node, via, timer}
  const rendered = new Map(); // message id -> node

  // ---- DOM
  function h(tag, className, attrs) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else if (key === "svg") node.innerHTML = value; // static icons only, never message text
      else node.setAttribute(key, value);
    }
    return node;
  }
  const host = h("div", "", { id: "omnibot-widget" });
  const shadow = host.attachShadow({ mode: "open" });
  // Styles go in as a constructed stylesheet, which the host page's CSP allows without
  // 'unsafe-inline'; older browsers get a <style> carrying this script's nonce.
  let style = null;
  if (shadow.adoptedStyleSheets !== undefined && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    style = h("style");
    if (script && script.nonce) style.nonce = script.nonce;
    style.textContent = CSS;
  }
  const root = h("div", "omnibot-root" + (option("position") === "left" ? " omnibot-left" : ""), { "data-state": "idle", lang: LANG });
  if (/^#[0-9a-f]{3,8}$|^[a-z]+$|^(rgb|hsl)a?\([\d\s.,%]+\)$/i.test(option("color"))) root.style.setProperty("--accent", option("color"));

  const launcher = h("button", "omnibot-launcher", { type: "button", "aria-expanded": "false", "aria-controls": "omnibot-panel", svg: ICON_CHAT });
  const badge = h("span", "omnibot-badge", { "aria-hidden": "true", hidden: "" });
  launcher.append(badge);
  const panel = h("section", "omnibot-panel", { id: "omnibot-panel", role: "dialog", hidden: "" });
  const header = h("header", "omnibot-header");
  const heading = h("div", "omnibot-heading");
  const statusLine = h("p", "omnibot-status", { text: T.connecting });
  const titleLine = h("h2", "omnibot-title");
  heading.append(titleLine, statusLine);
  const closeButton = h("button", "omnibot-close", { type: "button", svg: ICON_CLOSE });
  // "Forget me": ends the session for good and clears this device (a shared computer).
  const endButton = h("button", "omnibot-close omnibot-end", { type: "button", svg: ICON_END });
  header.append(heading, endButton, closeButton);
  const confirmBar = h("div", "omnibot-confirm", { role: "group", hidden: "" });
  const endYes = h("button", "omnibot-end-yes", { type: "button" });
  const endNo = h("button", "omnibot-end-no", { type: "button" });
  const endAsk = h("p");
  confirmBar.append(endAsk, endYes, endNo);
  const scroller = h("div", "omnibot-scroll");
  const empty = h("p", "omnibot-empty");
  // A long history comes newest first: the visitor reads back a page at a time.
  const earlier = h("button", "omnibot-earlier", { type: "button", hidden: "" });
  const log = h("div", "omnibot-log", { role: "log", "aria-live": "polite" });
  const typing = h("div", "omnibot-typing", { role: "status", hidden: "" });
  typing.append(h("span"), h("span"), h("span"));
  scroller.append(earlier, empty, log, typing);
  const jump = h("button", "omnibot-jump", { type: "button", hidden: "" });
  const body = h("div", "omnibot-body");
  body.append(scroller, jump);
  const form = h("form", "omnibot-form");
  const input = h("textarea", "omnibot-input", { rows: "1", maxlength: String(MAX_LENGTH), enterkeyhint: "send" });
  const sendButton = h("button", "omnibot-send", { type: "submit", svg: ICON_SEND });
  form.append(input, sendButton);
  panel.append(header, confirmBar, body, form);
  root.append(launcher, panel);
  if (style) shadow.append(style);
  shadow.append(root);

  /** The widget's own words in the current language (at load, and when the conversation's changes). */
  function paintTexts() {
    root.setAttribute("lang", LANG);
    const title = option("title") || T.title;
    titleLine.textContent = title;
    panel.setAttribute("aria-label", title);
    for (const [node, label] of [[closeButton, T.close], [endButton, T.end], [sendButton, T.send]]) {
      node.setAttribute("aria-label", label);
      node.title = label;
    }
    confirmBar.setAttribute("aria-label", T.end);
    endAsk.textContent = T.endAsk;
    endYes.textContent = T.endYes;
    endNo.textContent = T.endNo;
    empty.textContent = T.empty;
    earlier.textContent = T.earlier;
    log.setAttribute("aria-label", T.messages);
    typing.setAttribute("aria-label", T.typing);
    jump.setAttribute("aria-label", T.jump);
    input.placeholder = T.placeholder;
    input.setAttribute("aria-label", T.input);
    log.querySelectorAll(".omnibot-author").forEach((label) => { label.textContent = T.agent; });
    // Times and channels of the messages shown, as this language writes them ("2:05 PM", "14:05").
    log.querySelectorAll(".omnibot-msg[data-id] .omnibot-meta").forEach((meta) => fillMeta(meta, { created_at: meta.dataset.at, channel: meta.dataset.channel }));
    log.querySelectorAll(".omnibot-pending .omnibot-meta").forEach((meta) => { meta.textContent = T.sending; });
    log.querySelectorAll(".omnibot-error").forEach((line) => {
      line.querySelector(".omnibot-error-text").textContent = T[line.dataset.words];
      line.querySelectorAll(".omnibot-retry").forEach((retry) => { retry.textContent = T.retry; });
    });
  }
  paintTexts();
  /** The conversation now speaks `lang` (the server says so): the widget follows, and remembers. */
  function setLanguage(lang) {
    if ((lang !== "pl" && lang !== "en") || lang === LANG) return;
    LANG = lang;
    T = STRINGS[lang];
    paintTexts();
    if (root.dataset.state === "idle") statusLine.textContent = T.connecting;
    else setStatus(root.dataset.state);
    updateBadge();
    updateJump();
    persist();
  }

  // ---- rendering (message text only ever through textContent)
  function buildMessage(message) {
    const author = ["customer", "bot", "agent", "system"].includes(message.author) ? message.author : "bot";
    const node = h("div", "omnibot-msg omnibot-from-" + author);
    if (author === "agent") node.append(h("div", "omnibot-author", { text: T.agent }));
    node.append(h("div", "omnibot-text", { text: String(message.text || "") }));
    const meta = h("div", "omnibot-meta");
    node.append(meta);
    fillMeta(meta, message);
    const buttons = Array.isArray(message.buttons) ? message.buttons : [];
    if (buttons.length && author !== "customer") {
      const chips = h("div", "omnibot-chips", { role: "group" });
      for (const button of buttons) {
        const chip = h("button", "omnibot-chip", { type: "button", text: String(button.title) });
        chip.addEventListener("click", () => send(String(button.title), String(button.payload)));
        chips.append(chip);
      }
      node.append(chips);
    }
    return node;
  }

  function clock(when) {
    const options = { hour: "2-digit", minute: "2-digit", timeZone: state.timezone };
    try { return when.toLocaleTimeString(LANG, options); } catch (e) { /* a zone this browser lacks */ }
    return when.toLocaleTimeString(LANG, { hour: "2-digit", minute: "2-digit" });
  }

  function fillMeta(meta, message) {
    // Kept on the node: a change of language writes them again.
    meta.dataset.at = message.created_at || "";
    meta.dataset.channel = message.channel || "";
    const parts = [];
    const when = message.created_at ? new Date(message.created_at) : null;
    if (when && !isNaN(when)) parts.push(clock(when));
    if (message.channel && message.channel !== "webchat") parts.push(T.via + " " + (CHANNELS[message.channel] || message.channel));
    meta.textContent = parts.join(" · ");
    meta.hidden = !parts.length;
  }

  /** Show a stored message once, in id order; a customer message settles its optimistic bubble. */
  function render(message) {
    if (!message || typeof message.id !== "number") return;
    if (message.author === "bot" && message.id >= state.lastId) setLanguage(message.language);
    state.lastId = Math.max(state.lastId, message.id);
    const draft = message.client_message_id && pending.get(message.client_message_id);
    if (draft) {
      pending.delete(draft.cmid);
      clearTimeout(draft.timer);
    }
    if (rendered.has(message.id)) {
      if (draft) draft.node.remove();
      return;
    }
    let node;
    if (draft) {
      node = draft.node;
      node.classList.remove("omnibot-pending", "omnibot-failed");
      node.querySelectorAll(".omnibot-error").forEach((el) => el.remove());
      node.querySelector(".omnibot-text").textContent = String(message.text || "");
      fillMeta(node.querySelector(".omnibot-meta"), message);
    } else {
      node = buildMessage(message);
    }
    node.dataset.id = String(message.id);
    node.dataset.author = String(message.author);
    rendered.set(message.id, node);
    // Decided before the message is inserted: a tall reply must not push the view off the bottom.
    // A message this visitor just sent always brings the view down; one from elsewhere (another
    // tab, an agent, a reminder) does only if the visitor was not scrolled up reading.
    const follow = state.pinned || Boolean(draft);
    place(node, message.id);
    if (message.author !== "customer") {
      setTyping(false);
      if (message.id > state.seen) {
        if (isReading()) markSeen();
        else { state.unread += 1; updateBadge(); }
      }
    }
    if (!follow && state.open) { state.below += 1; updateJump(); }
    refreshView(follow);
  }

  function place(node, id) {
    // Stored messages keep id order; optimistic (unsent) bubbles stay at the end.
    let before = null;
    for (let el = log.lastElementChild; el; el = el.previousElementSibling) {
      if (el !== node && el.dataset.id && Number(el.dataset.id) < id) break;
      if (el !== node) before = el;
    }
    if (node.parentNode !== log || node.nextElementSibling !== before) log.insertBefore(node, before);
  }

  /** Older messages read back: above all that is shown, the view kept on what the visitor was reading. */
  function renderEarlier(messages) {
    const fragment = document.createDocumentFragment();
    for (const message of messages) {
      if (!message || typeof message.id !== "number" || rendered.has(message.id)) continue;
      const node = buildMessage(message);
      node.dataset.id = String(message.id);
      node.dataset.author = String(message.author);
      rendered.set(message.id, node);
      fragment.append(node);
    }
    // Whether or not the browser anchors the scroll itself, the message that was first stays put.
    const anchor = log.firstElementChild;
    const top = anchor ? anchor.getBoundingClientRect().top : 0;
    log.insertBefore(fragment, anchor);
    refreshView(false);
    if (anchor && !state.pinned) scroller.scrollTop += anchor.getBoundingClientRect().top - top;
  }
  function showEarlier(older) {
    state.older = older;
    earlier.hidden = !older;
    earlier.disabled = false;
  }
  earlier.addEventListener("click", async () => {
    const first = log.querySelector(".omnibot-msg[data-id]");
    if (!first || !state.token) return;
    earlier.disabled = true;
    try {
      const query = new URLSearchParams({ token: state.token, before: first.dataset.id });
      const data = await api("api/webchat/history?" + query);
      renderEarlier(data.messages || []);
      showEarlier(Boolean(data.older));
    } catch (error) {
      earlier.disabled = false; // offline: the visitor may try again
    }
  });

  /** Update what is shown, then (after the DOM has the new content) follow the newest message. */
  function refreshView(follow) {
    // Only the newest message's quick replies stay: older choices are history, not options.
    const last = log.lastElementChild;
    log.querySelectorAll(".omnibot-chips").forEach((chips) => { chips.hidden = chips.parentNode !== last; });
    empty.hidden = log.childElementCount > 0;
    if (follow || state.pinned) scrollToNewest();
  }

  const distanceFromBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
  function scrollToNewest() {
    state.pinned = true;
    scroller.scrollTop = scroller.scrollHeight; // layout is measured here, after the insert
    state.below = 0;
    updateJump();
  }
  function updateJump() {
    jump.hidden = state.below === 0;
    jump.textContent = "↓ " + T.unread(state.below);
  }
  jump.addEventListener("click", () => { scrollToNewest(); input.focus(); });
  scroller.addEventListener("scroll", () => {
    if (panel.hidden) return;
    state.pinned = distanceFromBottom() < 32;
    if (state.pinned && state.below) { state.below = 0; updateJump(); }
  }, { passive: true });
  if (window.ResizeObserver) {
    // Content or panel size changing later (wrapped lines, the phone keyboard opening, the
    // input growing) keeps a following view at the bottom.
    const keepFollowing = new ResizeObserver(() => { if (state.pinned && !panel.hidden) scroller.scrollTop = scroller.scrollHeight; });
    keepFollowing.observe(log);
    keepFollowing.observe(scroller);
  }

  function clearLog() {
    log.replaceChildren();
    rendered.clear();
    pending.forEach((draft) => clearTimeout(draft.timer));
    pending.clear();
    state.lastId = 0;
    showEarlier(false);
    state.unread = 0;
    state.below = 0;
    updateBadge();
    refreshView(true);
  }

  function setTyping(on) {
    clearTimeout(state.typingTimer);
    typing.hidden = !on;
    if (on) { state.typingTimer = setTimeout(() => setTyping(false), 20000); refreshView(false); }
  }

  function setStatus(value) {
    root.dataset.state = value;
    const text = value === "online" ? availabilityText() : T[value] || T.connecting;
    // A line in phrases ("Odpowiada bot ·" "konsultanci 09:00–21:00"): where the header is too
    // narrow for one line (a phone) it breaks between phrases, never inside the hours.
    if (Array.isArray(text)) statusLine.replaceChildren(...text.flatMap((phrase, i) => [...(i ? [" "] : []), h("span", "omnibot-phrase", { text: phrase })]));
    else statusLine.textContent = text;
  }

  // ---- who answers: a person who took this conversation, an agent online now, or the bot
  // and the hours people answer in. The server says when a person takes the conversation or
  // hands it back ({"type": "status"} over the socket, and once on every connect).
  let availability = null;
  let talk = { status: "bot", agent: null };
  function setTalk(frame) {
    talk = { status: String(frame.status || "bot"), agent: typeof frame.agent === "string" && frame.agent ? frame.agent : null };
    root.dataset.talk = talk.status;
    if (root.dataset.state === "online") setStatus("online");
    if (state.open && talk.status !== "agent") refreshAvailability(); // handed back: who is online now
  }
  function availabilityText() {
    if (talk.status === "agent") return talk.agent ? T.withAgent(talk.agent) : T.withSomeone;
    if (!availability) return T.online;
    if (availability.agents_online) return T.agentOnline;
    return availability.support_hours ? T.botOnly(availability.support_hours) : T.online;
  }
  async function refreshAvailability() {
    clearTimeout(state.availabilityTimer);
    try {
      availability = await api("api/support/availability");
      root.dataset.agents = availability.agents_online ? "online" : "offline";
      if (root.dataset.state === "online") setStatus("online");
    } catch (e) { /* keep the last known state; the next refresh may succeed */ }
    if (state.open) state.availabilityTimer = setTimeout(refreshAvailability, 60000);
  }

  // ---- unread badge
  const isReading = () => state.open && document.visibilityState !== "hidden";
  function markSeen() {
    state.unread = 0;
    if (state.lastId > state.seen) { state.seen = state.lastId; persist(); }
    updateBadge();
  }
  function updateBadge() {
    badge.hidden = state.unread === 0;
    badge.textContent = state.unread > 9 ? "9+" : String(state.unread);
    const label = state.open ? T.close : T.open;
    launcher.setAttribute("aria-label", state.unread ? label + " (" + T.unread(state.unread) + ")" : label);
  }

  // ---- server
  async function api(path, body) {
    const init = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    const response = await fetch(new URL(path, BASE), init);
    let data = null;
    try { data = await response.json(); } catch (e) { /* empty or non-JSON body */ }
    if (!response.ok) {
      const error = new Error((data && typeof data.detail === "string" && data.detail) || "HTTP " + response.status);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  let sessionPromise = null;
  function ensureSession() {
    if (!sessionPromise) sessionPromise = startSession().catch((error) => { sessionPromise = null; throw error; });
    return sessionPromise;
  }
  async function startSession() {
    const body = { language: LANG };
    if (state.token) body.session_token = state.token;
    let data;
    try {
      data = await api("api/webchat/sessions", body);
    } catch (error) {
      if (error.status !== 401 || !state.token) throw error;
      dropSession(); // forged or expired: start afresh
      data = await api("api/webchat/sessions", { language: LANG });
    }
    if (state.customerId !== null && data.customer_id !== state.customerId) clearLog();
    state.token = data.session_token;
    state.customerId = data.customer_id;
    persist();
    if (typeof data.timezone === "string" && data.timezone !== state.timezone) {
      state.timezone = data.timezone;
      paintTexts(); // times already shown, on the shop's clock
    }
    setLanguage(data.language);
  }
  function dropSession() {
    const ws = state.ws;
    state.ws = null;
    if (ws) ws.close();
    state.token = null;
    state.seen = 0;
    sessionPromise = null;
    clearLog();
    persist();
  }

  /** (Re)connect: session, then REST catch-up after the last id, then the live socket. */
  async function sync() {
    if (state.syncing || state.ws) return;
    state.syncing = true;
    clearTimeout(state.retryTimer);
    if (root.dataset.state !== "offline") setStatus("connecting");
    try {
      await ensureSession();
      const query = new URLSearchParams({ token: state.token });
      const returning = state.lastId > 0;
      if (returning) query.set("after", String(state.lastId));
      log.setAttribute("aria-busy", "true");
      // First the newest page (older pages on request), then what came after the last shown.
      const data = await api("api/webchat/history?" + query);
      (data.messages || []).forEach(render);
      if (!returning) showEarlier(Boolean(data.older));
      openSocket();
    } catch (error) {
      if (error.status === 401) dropSession();
      scheduleSync();
    } finally {
      log.removeAttribute("aria-busy");
      state.syncing = false;
    }
  }
  function scheduleSync() {
    setStatus("offline");
    clearTimeout(state.retryTimer);
    const delay = Math.min(15000, 500 * 2 ** Math.min(state.retries++, 5)) * (0.8 + Math.random() * 0.4);
    state.retryTimer = setTimeout(sync, delay);
  }

  function openSocket() {
    const url = new URL("ws/webchat", BASE);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("token", state.token);
    url.searchParams.set("after", String(state.lastId));
    const ws = new WebSocket(url.href);
    state.ws = ws;
    // The bot answers unless the server says a person has the conversation (right after
    // the catch-up, and whenever that changes).
    ws.onopen = () => { state.retries = 0; talk = { status: "bot", agent: null }; root.dataset.talk = "bot"; setStatus("online"); };
    ws.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "message") render(frame.message);
      else if (frame.type === "typing") setTyping(Boolean(frame.typing));
      else if (frame.type === "status") setTalk(frame);
      else if (frame.type === "error") resendOverRest();
    };
    ws.onclose = () => {
      if (state.ws !== ws) return;
      state.ws = null;
      setTyping(false);
      resendOverRest();
      scheduleSync();
    };
  }
  function resendOverRest() {
    pending.forEach((draft) => { if (draft.via === "socket") sendOverRest(draft); });
  }

  // ---- sending
  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function send(text, payload) {
    text = String(text || "").trim();
    if (!text && !payload) return;
    start();
    const draft = { cmid: newClientId(), text, payload: payload || null, via: null, timer: 0 };
    draft.node = buildMessage({ author: "customer", text, channel: "webchat" });
    draft.node.classList.add("omnibot-pending");
    draft.node.querySelector(".omnibot-meta").textContent = T.sending;
    pending.set(draft.cmid, draft);
    log.append(draft.node);
    refreshView(true); // what the visitor just sent is what they look at
    dispatch(draft);
  }

  function dispatch(draft) {
    draft.node.classList.remove("omnibot-failed");
    draft.node.classList.add("omnibot-pending");
    draft.node.querySelectorAll(".omnibot-error").forEach((el) => el.remove());
    const ws = state.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      draft.via = "socket";
      ws.send(JSON.stringify(wireMessage(draft, { type: "message" })));
      clearTimeout(draft.timer);
      draft.timer = setTimeout(() => sendOverRest(draft), SOCKET_ANSWER_TIMEOUT_MS);
    } else {
      sendOverRest(draft);
    }
  }

  function wireMessage(draft, extra) {
    const body = Object.assign(extra, { client_message_id: draft.cmid });
    if (draft.text) body.text = draft.text;
    if (draft.payload) body.payload = draft.payload;
    return body;
  }

  async function sendOverRest(draft) {
    clearTimeout(draft.timer);
    if (pending.get(draft.cmid) !== draft || draft.via === "rest") return;
    draft.via = "rest"; // same client_message_id: the server stores and answers it once
    setTyping(true);
    try {
      await ensureSession();
      const data = await api("api/webchat/messages", wireMessage(draft, { session_token: state.token }));
      render(Object.assign({ client_message_id: draft.cmid }, data.message));
      (data.replies || []).forEach(render);
    } catch (error) {
      if (pending.get(draft.cmid) === draft) showFailure(draft, error);
      if (error.status === 401) { dropSession(); sync(); }
    } finally {
      setTyping(false);
      if (pending.get(draft.cmid) === draft) draft.via = null;
    }
  }

  function showFailure(draft, error) {
    const retryable = !error.status || error.status >= 500 || error.status === 401 || error.status === 408 || error.status === 429;
    draft.node.classList.remove("omnibot-pending");
    draft.node.classList.add("omnibot-failed");
    draft.node.querySelector(".omnibot-meta").textContent = "";
    const line = h("div", "omnibot-error", { role: "status" });
    // Its words by name: a change of language writes them again (paintTexts).
    line.dataset.words = retryable ? "failed" : error.status === 413 || error.status === 422 ? "tooLong" : "rejected";
    line.append(h("span", "omnibot-error-text", { text: T[line.dataset.words] }));
    if (retryable) {
      const retry = h("button", "omnibot-retry", { type: "button", text: T.retry });
      retry.addEventListener("click", () => { input.focus(); dispatch(draft); });
      line.append(retry);
    }
    draft.node.append(line);
    refreshView(true);
  }

  // ---- open / close / keyboard
  function start() {
    if (state.started) return;
    state.started = true;
    sync();
  }
  function open() {
    if (state.open) return;
    state.open = true;
    panel.hidden = false;
    root.classList.add("omnibot-open");
    launcher.setAttribute("aria-expanded", "true");
    start();
    markSeen();
    refreshView(true);
    refreshAvailability();
    input.focus();
  }
  function close() {
    if (!state.open) return;
    state.open = false;
    panel.hidden = true;
    root.classList.remove("omnibot-open");
    launcher.setAttribute("aria-expanded", "false");
    clearTimeout(state.availabilityTimer);
    updateBadge();
    launcher.focus();
  }
  const toggle = () => (state.open ? close() : open());

  launcher.addEventListener("click", toggle);
  closeButton.addEventListener("click", close);
  endButton.addEventListener("click", () => { confirmBar.hidden = !confirmBar.hidden; if (!confirmBar.hidden) endNo.focus(); });
  endNo.addEventListener("click", () => { confirmBar.hidden = true; endButton.focus(); });
  endYes.addEventListener("click", async () => { endYes.disabled = true; await forget(); endYes.disabled = false; close(); });
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.open) { event.preventDefault(); close(); }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    autosize();
    send(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
  });
  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 120) + "px";
  }
  input.addEventListener("input", autosize);
  document.addEventListener("visibilitychange", () => { if (isReading()) markSeen(); });
  window.addEventListener("online", () => { if (state.started && !state.ws) { state.retries = 0; sync(); } });

  function mount() {
    document.body.append(host);
    updateBadge();
    refreshView(false);
    if (option("open") === "true") open();
    else if (state.token) start(); // a returning visitor: resume, so replies can raise the badge
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  /** "Forget me" on this device: the server ends the session for good, the widget starts afresh. */
  async function forget() {
    if (state.token) {
      try { await api("api/webchat/sessions/forget", { session_token: state.token }); } catch (e) { /* ended already */ }
    }
    dropSession();
    clearTimeout(state.retryTimer);
    state.started = false; // nothing reconnects: the next message starts a new session
    confirmBar.hidden = true;
    try { localStorage.removeItem(STORAGE_KEY); } catch (e) { /* private mode */ }
  }
  window.Omnibot = { version: "1", open, close, toggle, send: (text) => send(text), forget };
})();

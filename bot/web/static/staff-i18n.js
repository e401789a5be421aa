// Every word the staff pages show (the orders board, the agent console), in Polish and English,
// and how a page picks its language: the one its user chose on this device (remembered per
// login, and the last one chosen for the login form), else the browser's languages (what it
// sends as Accept-Language), else English. Served as /staff-i18n.js; no build step.
(() => {
  "use strict";
  const ago = {
    pl: (m) => m < 1 ? "przed chwilą" : m < 60 ? m + " min temu" : Math.floor(m / 60) + " h " + (m % 60) + " min temu",
    en: (m) => m < 1 ? "just now" : m < 60 ? m + " min ago" : Math.floor(m / 60) + " h " + (m % 60) + " min ago",
  };
  // Shared by both pages: an order's status, payment, channel, money.
  const common = {
    pl: {
      login: "Zaloguj się", email: "E-mail", password: "Hasło", logout: "Wyloguj", loginFailed: "Nie udało się zalogować",
      loginAgain: "Zaloguj się ponownie.", failed: (status) => "Nie udało się (" + status + ")",
      status: { new: "nowe", confirmed: "przyjęte", preparing: "w przygotowaniu", out_for_delivery: "w drodze", ready_for_pickup: "do odbioru", completed: "zrealizowane", cancelled: "anulowane", rejected: "odrzucone" },
      pay: { cash: "gotówka", card: "karta", blik: "BLIK" },
      channel: { webchat: "czat", telegram: "Telegram", sms: "SMS", cli: "terminal" },
      money: (grosze) => (grosze / 100).toFixed(2).replace(".", ",") + " zł",
      ago: ago.pl,
    },
    en: {
      login: "Log in", email: "E-mail", password: "Password", logout: "Log out", loginFailed: "Login failed",
      loginAgain: "Please log in again.", failed: (status) => "Request failed (" + status + ")",
      status: { new: "new", confirmed: "accepted", preparing: "preparing", out_for_delivery: "out for delivery", ready_for_pickup: "ready for pickup", completed: "completed", cancelled: "cancelled", rejected: "rejected" },
      pay: { cash: "cash", card: "card", blik: "BLIK" },
      channel: { webchat: "web chat", telegram: "Telegram", sms: "SMS", cli: "terminal" },
      money: (grosze) => "PLN " + (grosze / 100).toFixed(2),
      ago: ago.en,
    },
  };
  const pages = {
    board: {
      pl: {
        title: "Omnibot · zamówienia", tab: "Zamówienia", soundOn: "Dźwięk: wł.", soundOff: "Dźwięk: wył.", live: "na żywo", down: "łączę ponownie…",
        columns: { new: "Nowe", confirmed: "Przyjęte", preparing: "W przygotowaniu", out: "W drodze / do odbioru", completed: "Zrealizowane" },
        next: { confirmed: "Przyjmij", preparing: "Przygotowujemy →", out_for_delivery: "Wydane kierowcy →", ready_for_pickup: "Gotowe do odbioru →", completed: "Zrealizowane ✓" },
        folded: "Anulowane i odrzucone", none: "Brak",
        delivery: "Dostawa", pickup: "Odbiór osobisty", payment: "Płatność", total: "Razem", accept: "Przyjmij na:", min: "min", ok: "OK",
        reject: "Odrzuć", reasonPick: "Powód…", reasons: { ingredient: "brak składnika", too_far: "za daleko", closed: "zamknięte", busy: "za dużo zamówień", other: "inny…" },
        otherReason: "Powód odrzucenia (klient go zobaczy):", cancel: "Anuluj", cancelAsk: "Anulować zamówienie? Klient dostanie wiadomość.", print: "Drukuj",
        readyAt: "Gotowe ok.", note: "Uwagi",
      },
      en: {
        title: "Omnibot · orders", tab: "Orders", soundOn: "Sound: on", soundOff: "Sound: off", live: "live", down: "reconnecting…",
        columns: { new: "New", confirmed: "Accepted", preparing: "Preparing", out: "Out / ready for pickup", completed: "Completed" },
        next: { confirmed: "Accept", preparing: "Start preparing →", out_for_delivery: "Out for delivery →", ready_for_pickup: "Ready for pickup →", completed: "Completed ✓" },
        folded: "Cancelled and rejected", none: "None",
        delivery: "Delivery", pickup: "Pickup", payment: "Payment", total: "Total", accept: "Accept for:", min: "min", ok: "OK",
        reject: "Reject", reasonPick: "Reason…", reasons: { ingredient: "out of an ingredient", too_far: "too far", closed: "closed", busy: "too busy", other: "other…" },
        otherReason: "Why is it rejected (the customer sees this):", cancel: "Cancel", cancelAsk: "Cancel this order? The customer will be told.", print: "Print",
        readyAt: "Ready at about", note: "Note",
      },
    },
    agent: {
      pl: {
        title: "Omnibot · konsola konsultanta", tab: "Konsola konsultanta — Omnibot", conversations: "Rozmowy", waiting: "Czekają", mine: "Moje", withBot: "Z botem",
        conversation: "Rozmowa", pick: "Wybierz rozmowę.", back: "← Rozmowy", customerShow: "Klient →", conversationShow: "← Rozmowa",
        replyLabel: "Odpowiedź dla klienta", replyPlaceholder: "Odpowiedź — pójdzie kanałem, którego klient używa teraz (Ctrl+Enter wysyła)",
        canned: "Gotowe odpowiedzi…", send: "Wyślij", note: "Dodaj notatkę prywatną", noteTitle: "Notatki widzą tylko konsultanci",
        assign: "Przejmij rozmowę", resolve: "Oddaj botowi",
        customerNo: (id) => "Klient #" + id, waitingFor: (t) => "czeka " + t,
        author: { customer: "klient", bot: "bot", agent: "konsultant", system: "system" }, privateNote: "notatka prywatna", throttled: "bez odpowiedzi: za szybko wysłane",
        customer: "Klient", name: "Imię", phone: "Telefon", language: "Język", lastChannel: "Ostatni kanał", channels: "Kanały", unreachable: "nieosiągalny",
        fromCheckout: (v, order) => v + " (z zamówienia " + order + ")", cart: "Koszyk", empty: "pusty", orders: "Zamówienia", none: "brak", pickup: "odbiór osobisty",
        pastHandoffs: "Wcześniejsze przekazania",
        reasons: { customer_request: "prośba klienta", complaint: "reklamacja", fallback: "bot nie zrozumiał", message_for_team: "wiadomość dla zespołu", question: "pytanie, na które bot nie zna odpowiedzi" },
        summary: {
          handoff: (r) => "Przekazanie: " + r + ".", left: (m) => "Wiadomość klienta: „" + m + "”.", intents: (list) => "Ostatnie intencje: " + list + ".",
          cart: (lines, total) => "Koszyk: " + lines + " = " + total + ".", cartEmpty: "Koszyk pusty.",
          order: (n, s, total) => "Otwarte zamówienie " + n + ": " + s + ", " + total + ".", channels: (list) => "Kanały: " + list + ".",
        },
        endSessions: "Zakończ sesje czatu", endSessionsTitle: "Klient zostaje wylogowany z czatu na każdym urządzeniu; historia zostaje, nowy czat zaczyna się od zera",
        endSessionsAsk: "Zakończyć wszystkie sesje czatu tego klienta? Zostanie wylogowany na każdym urządzeniu.",
        ended: (n) => "Zakończone sesje czatu: " + n + ".",
      },
      en: {
        title: "Omnibot · agent console", tab: "Agent console — Omnibot", conversations: "Conversations", waiting: "Waiting", mine: "Mine", withBot: "With the bot",
        conversation: "Conversation", pick: "Pick a conversation.", back: "← Conversations", customerShow: "Customer →", conversationShow: "← Conversation",
        replyLabel: "Reply to the customer", replyPlaceholder: "Reply — sent in the customer's current channel (Ctrl+Enter sends)",
        canned: "Canned responses…", send: "Send", note: "Add private note", noteTitle: "Only agents see notes",
        assign: "Assign to me", resolve: "Resolve (back to bot)",
        customerNo: (id) => "Customer #" + id, waitingFor: (t) => "waiting " + t,
        author: { customer: "customer", bot: "bot", agent: "agent", system: "system" }, privateNote: "private note", throttled: "not answered: sent too fast",
        customer: "Customer", name: "Name", phone: "Phone", language: "Language", lastChannel: "Last channel", channels: "Channels", unreachable: "unreachable",
        fromCheckout: (v, order) => v + " (checkout " + order + ")", cart: "Cart", empty: "empty", orders: "Orders", none: "none", pickup: "pickup",
        pastHandoffs: "Past handoffs",
        reasons: { customer_request: "customer request", complaint: "complaint", fallback: "not understood", message_for_team: "message for team", question: "a question the bot cannot answer" },
        summary: {
          handoff: (r) => "Handoff: " + r + ".", left: (m) => "Their message: “" + m + "”.", intents: (list) => "Recent intents: " + list + ".",
          cart: (lines, total) => "Cart: " + lines + " = " + total + ".", cartEmpty: "Cart empty.",
          order: (n, s, total) => "Open order " + n + ": " + s + ", " + total + ".", channels: (list) => "Channels: " + list + ".",
        },
        endSessions: "End web chat sessions", endSessionsTitle: "Every device this customer chats on is signed out; history stays, a new chat starts afresh",
        endSessionsAsk: "End all of this customer's web chat sessions? Every device they chat on is signed out.",
        ended: (n) => "Ended " + n + " web chat session" + (n === 1 ? "" : "s") + ".",
      },
    },
  };
  const LANGUAGES = { pl: "Polski", en: "English" };
  const LAST = "omnibot.staff.lang";
  const userKey = (email) => LAST + "." + email;

  function fromBrowser() {
    for (const tag of navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""]) {
      const lang = tag.slice(0, 2).toLowerCase();
      if (LANGUAGES[lang]) return lang;
    }
    return "en";
  }

  window.OmnibotStaff = {
    languages: LANGUAGES,
    // The words of one page in one language (the shared ones included).
    strings(page, lang) { return Object.assign({}, common[lang], pages[page][lang]); },
    // The language to show: this login's choice on this device, else the last choice made here
    // (the login form has no user yet), else the browser's.
    language(email) {
      const saved = (email && localStorage.getItem(userKey(email))) || localStorage.getItem(LAST);
      return LANGUAGES[saved] ? saved : fromBrowser();
    },
    remember(email, lang) {
      localStorage.setItem(LAST, lang);
      if (email) localStorage.setItem(userKey(email), lang);
    },
    // A <select> offering the languages, showing `lang`.
    fillPicker(select, lang) {
      if (!select.options.length) for (const [code, name] of Object.entries(LANGUAGES)) select.append(new Option(name, code));
      select.value = lang;
    },
  };
})();

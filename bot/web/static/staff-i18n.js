// Every word the staff pages show (the orders board, the agent console), in Polish and English,
// and how a page picks its language: the one its user chose on this device (remembered per
// login, and the last one chosen for the login form), else the browser's languages (what it
// sends as Accept-Language), else English. Served as /staff-i18n.js; no build step.
(() => {
  "use strict";
  // A wait the server named in seconds, as staff read it: "45 s", "15 min".
  const wait = (seconds) => (seconds < 60 ? seconds + " s" : Math.ceil(seconds / 60) + " min");
  const ago = {
    pl: (m) => m < 1 ? "przed chwilą" : m < 60 ? m + " min temu" : Math.floor(m / 60) + " h " + (m % 60) + " min temu",
    en: (m) => m < 1 ? "just now" : m < 60 ? m + " min ago" : Math.floor(m / 60) + " h " + (m % 60) + " min ago",
  };
  // An intent as staff read it: its name in the page's language with the technical name
  // beside it ("powitanie (greet)"); one the operator added and named shows that name alone.
  const shownIntent = (name, w) => (w.intentNames[name] && w.intentNames[name] !== name ? w.intentNames[name] + " (" + name + ")" : name);
  // "12 intent, 3 faq" (the server's counts of an import) as "intencje: 12, FAQ: 3".
  const counted = (counts, kinds) => counts.split(", ").map((part) => {
    const [n, kind] = part.split(" ");
    return (kinds[kind] || kind) + ": " + n;
  }).join(", ");
  // A sentence that ends with words it quotes or names gets its own mark only when those do
  // not end one already: "Usunąć wpis FAQ „Czy dowozicie?”", never „Czy dowozicie?”?.
  const ended = (text, mark) => (/[.?!…]["”“»)]*$/.test(text) ? text : text + mark);
  // A FAQ entry or a product as staff know it: by its label in `lang` as the version left it
  // (a product's name; a FAQ entry's first question, quoted), by its key when it has none.
  const quotes = { pl: (s) => "„" + s + "”", en: (s) => "“" + s + "”" };
  const itemName = (kind, key, labels, lang) => {
    const label = labels && (labels[lang] || Object.values(labels)[0]);
    return !label ? key : kind === "faq" ? quotes[lang](label) : label;
  };
  // The item a version changed: an intent by its shown name, the shop's facts by their words,
  // a FAQ entry or a product by its label.
  const changed = (c, w, kinds, shop, lang) => c.kind === "intent" ? kinds.intent + shownIntent(c.key, w)
    : c.kind === "setting" ? (c.key === "catalog" ? shop : c.key) : (kinds[c.kind] || c.kind + " ") + itemName(c.kind, c.key, c.labels, lang);
  // Where in an item a refusal is (the server's kind, key, field and lang): "Intencja powitanie
  // (greet), przykłady (pl)" / "Intent greeting (greet), examples (pl)".
  const itemWhere = (kinds, fields) => (p, w) => (kinds[p.kind] || p.kind) + " " + (p.kind === "intent" ? shownIntent(p.key, w) : p.key)
    + (p.field ? ", " + (fields[p.field] || p.field) + (p.lang ? " (" + p.lang + ")" : "") : "");
  const plWhere = itemWhere({ intent: "Intencja", faq: "FAQ", product: "Produkt", size: "Rozmiar", category: "Kategoria" },
    { examples: "przykłady", responses: "odpowiedzi", questions: "pytania", answer: "odpowiedź", aliases: "inne nazwy", allergens: "alergeny", names: "nazwy" });
  const enWhere = itemWhere({ intent: "Intent", faq: "FAQ", product: "Product", size: "Size", category: "Category" },
    { examples: "examples", responses: "responses", questions: "questions", answer: "answer", aliases: "aliases", allergens: "allergens", names: "names" });
  // What is wrong in a Rasa NLU file and where: ": line 7, intent greet: a broken entity annotation …".
  const rasaWhere = (p, w, problems, line, intent) => {
    if (!problems[p.problem]) return "";
    const where = [p.line ? line + p.line : "", p.intent ? intent + shownIntent(p.intent, w) : ""].filter(Boolean).join(", ");
    return ": " + (where ? where + ": " : "") + problems[p.problem](p);
  };
  // A content language by its name, as each page's sentence needs it ("w języku polskim",
  // "in Polish"); the server names it by its code.
  const languageIn = {
    pl: (code) => ({ pl: "polskim", en: "angielskim" })[code] || code,
    en: (code) => ({ pl: "Polish", en: "English" })[code] || code,
  };
  // A Polish count with its noun's form: 1 konflikt, 2 konflikty, 5 konfliktów (12–14: many).
  const plCount = (n, one, few, many) => n + " " + (n === 1 ? one : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14) ? few : many);
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
      roles: { kitchen: "kuchnia", agent: "konsultant", operator: "operator", admin: "administrator" },
      // Why a conversation was handed to a person (the agent console, the operator's "try it").
      handoffReasons: { customer_request: "prośba klienta", complaint: "reklamacja", fallback: "bot nie zrozumiał", message_for_team: "wiadomość dla zespołu", question: "pytanie, na które bot nie zna odpowiedzi", order_change: "zmiana złożonego zamówienia" },
      // What a customer's message was about, by the intent the bot read (one the operator added
      // and named is shown by its name).
      intentNames: {
        greet: "powitanie", goodbye: "pożegnanie", thanks: "podziękowanie", affirm: "potwierdzenie", deny: "odmowa", help: "pomoc",
        browse_menu: "menu", product_info: "pytanie o produkt", prices: "ceny", allergens: "alergeny", add_to_cart: "dodanie do koszyka",
        remove_from_cart: "usunięcie z koszyka", change_item: "zmiana pozycji", clear_cart: "opróżnienie koszyka", show_cart: "podgląd koszyka",
        checkout: "składanie zamówienia", order_status: "status zamówienia", cancel_order: "anulowanie zamówienia", reorder: "ponowne zamówienie",
        rate_order: "ocena zamówienia", complaint: "reklamacja", human_handoff: "prośba o konsultanta", leave_message: "wiadomość dla zespołu",
        link_channels: "połączenie kanałów", change_language: "zmiana języka", opening_hours: "godziny otwarcia", delivery_area: "strefa dostawy",
        delivery_time: "czas dostawy", payment_methods: "metody płatności", contact_details: "dane kontaktowe", facilities: "udogodnienia",
        faq: "pytanie z FAQ", oos: "poza tematem", nlu_fallback: "niezrozumiane", with_agent: "rozmowa z konsultantem",
        // Answers to the bot's questions are about the conversation they answer (its name).
        ask_size: "wybór rozmiaru", rate: "ocena zamówienia",
      },
      tooManyLogins: "Za dużo prób logowania — spróbuj ponownie za kilka minut.",
      // An invalid field of a request (the server's list of them: where, and the kind as named by
      // pydantic, with its limits as params).
      fields: { text: "Tekst", reason: "Powód", eta_minutes: "Czas przyjęcia", status: "Status", title: "Tytuł", payload: "Przycisk", buttons: "Przyciski", lang: "Język", intent: "Intencja" },
      fieldProblems: {
        missing: () => "brak wartości", string_too_short: (p) => p.min_length === "1" ? "nie może być puste" : "co najmniej " + p.min_length + " znaków",
        string_too_long: (p) => "najwyżej " + p.max_length + " znaków", too_long: (p) => "najwyżej " + p.max_length + " pozycji",
        greater_than_equal: (p) => "co najmniej " + p.ge, less_than_equal: (p) => "najwyżej " + p.le,
        int_parsing: () => "to nie liczba całkowita", int_type: () => "to nie liczba całkowita", string_type: () => "to nie tekst",
        string_pattern_mismatch: () => "niedozwolona wartość", json_invalid: () => "niepoprawny JSON",
      },
      badField: "niepoprawna wartość",
      // What the server refused, by its code (the English `detail` is for other API clients).
      errors: {
        wrong_credentials: () => "Nieprawidłowy e-mail lub hasło.",
        too_many_logins: (p) => "Za dużo prób logowania — spróbuj ponownie za " + wait(p.seconds) + ".",
        login_required: () => "Sesja wygasła albo konto wyłączono — zaloguj się ponownie.",
        role_needed: (p, w) => "Do tego potrzebna jest rola: " + (w.roles[p.role] || p.role) + ".",
        no_order: (p) => "Nie ma zamówienia " + p.number + ".",
        order_already: (p, w) => "Zamówienie " + p.number + " jest już " + (w.status[p.status] || p.status) + ".",
        order_changed: (p) => "Zamówienie " + p.number + " ktoś zmienił w tej samej chwili — sprawdź je jeszcze raz.",
        order_too_late_to_reject: (p, w) => "Zamówienie " + p.number + " jest już " + (w.status[p.status] || p.status) + " — za późno, by je odrzucić.",
        order_status_not_for_fulfilment: (p, w) => "„" + (w.status[p.status] || p.status) + "” nie dotyczy zamówienia " + (p.fulfilment === "pickup" ? "z odbiorem osobistym" : "z dostawą") + ".",
        order_cannot_go_back: (p, w) => "Zamówienie " + p.number + " jest już " + (w.status[p.status] || p.status) + " — nie da się go cofnąć.",
        eta_range: (p) => "Czas przyjęcia to od 1 do " + p.most + " minut.",
        reason_needed: () => "Podaj powód odrzucenia.",
        no_conversation: () => "Nie ma takiej rozmowy.",
        conversation_taken: (p) => "Tę rozmowę prowadzi już " + p.agent + ".",
        conversation_not_waiting: () => "Ta rozmowa nie czeka na konsultanta.",
        assign_first: () => "Najpierw przejmij rozmowę.",
        fact_stated_literally: (p) => (p.kind === "faq" ? "FAQ " + p.key + ": odpowiedź (" + p.lang + ")" : "Intencja " + p.key + ": odpowiedź") + " podaje fakty o lokalu wprost; napisz zamiast tego " + p.write + ", żeby tekst zmieniał się razem z danymi lokalu.",
        unknown_variable: (p) => (p.kind === "faq" ? "FAQ " + p.key + ": odpowiedź (" + p.lang + ")" : "Intencja " + p.key + ": odpowiedź") + " używa nieznanej zmiennej " + p.variable + "; znane: " + p.known + ".",
        needs_example: () => "Intencja potrzebuje co najmniej jednego przykładu.",
        dialogue_owned_intent: (p) => "Na intencję " + p.intent + " odpowiada dialog zamówień; jej odpowiedzi nie da się zastąpić (edytuj tylko przykłady).",
        needs_question: () => "Wpis FAQ potrzebuje co najmniej jednego pytania.",
        needs_answer: (p) => "Wpis FAQ potrzebuje odpowiedzi w języku " + languageIn.pl(p.lang) + " (domyślnym).",
        needs_name: (p) => "Produkt potrzebuje nazwy w języku " + languageIn.pl(p.lang) + " (domyślnym).",
        needs_price: () => "Produkt potrzebuje ceny.",
        intent_exists: (p) => "Intencja " + p.name + " już istnieje — otwórz ją z listy, żeby ją zmienić.",
        bad_intent_name: (p) => "Nazwa intencji „" + p.name + "” jest niepoprawna: małe litery, cyfry i _ (na początku litera, najwyżej 64 znaki).",
        bad_id: (p) => "Identyfikator „" + p.id + "” jest niepoprawny: małe litery, cyfry, - i _ (najwyżej 64 znaki).",
        bad_timezone: (p) => "Nieznana strefa czasowa „" + p.value + "” (np. Europe/Warsaw).",
        bad_hours: (p, w) => "Godziny (" + (w.days[p.day] || p.day) + "): „" + p.value + "” to nie przedział GG:MM-GG:MM (ani „closed”).",
        bad_minutes: (p) => (p.what === "pickup" ? "Czas do odbioru" : "Czas dostawy") + ": „" + p.value + "” to nie minuty jak 30 albo 45-60 (od 1 do 600, od mniejszej).",
        faq_exists: (p) => "Wpis FAQ " + p.id + " już istnieje — otwórz go z listy albo podaj inny identyfikator.",
        product_exists: (p) => "Produkt " + p.id + " już istnieje — otwórz go z listy albo podaj inny identyfikator.",
        unknown_shop_fact: (p) => "Lokal: nieznana dana „" + p.fact + "”; znane: " + p.known + ".",
        needs_shop_name: () => "Lokal potrzebuje nazwy.",
        bad_meta_id: (p) => (p.kind === "size" ? "Identyfikator rozmiaru" : "Identyfikator kategorii") + " „" + p.id + "” jest niepoprawny: małe litery, cyfry, - i _.",
        category_twice: (p) => "Kategoria " + p.id + " jest na liście dwa razy.",
        needs_category: () => "Katalog potrzebuje co najmniej jednej kategorii.",
        needs_meta_name: (p) => (p.kind === "size" ? "Rozmiar " : "Kategoria ") + p.id + " potrzebuje nazwy w języku " + languageIn.pl(p.lang) + " (domyślnym).",
        category_in_use: (p) => "Kategorii " + p.id + " używa produkt " + p.product + " — najpierw przenieś go do innej.",
        size_in_use: (p) => "Rozmiaru " + p.id + " używa produkt " + p.product + " — najpierw usuń jego cenę w tym rozmiarze.",
        unknown_category: (p) => "Produkt " + p.product + ": nieznana kategoria „" + p.category + "”.",
        unknown_size: (p) => "Produkt " + p.product + ": nieznany rozmiar „" + p.size + "”.",
        bad_grosze: (p) => "Produkt " + p.product + ": cena (" + p.size + ") „" + p.value + "” to nie nieujemna liczba groszy (32,90 zł = 3290).",
        default_or_sizes: (p) => "Produkt " + p.product + ": albo jedna cena, albo ceny w rozmiarach — nie jedno i drugie.",
        unknown_tag: (p) => "Produkt " + p.product + ": nieznana cecha „" + p.tag + "” (znane: " + p.known + ").",
        unknown_payment_method: (p) => "Płatność (" + (p.way === "pickup" ? "odbiór" : "dostawa") + "): nieznana metoda „" + p.method + "” (znane: " + p.known + ").",
        needs_payment_method: (p) => "Zaznacz co najmniej jedną metodę płatności przy " + (p.way === "pickup" ? "odbiorze osobistym" : "dostawie") + ".",
        bad_postcode: (p) => "Strefa dostawy: „" + p.value + "” to nie początek kodu pocztowego jak 30- albo 31-5.",
        file_too_large: (p) => "Plik jest większy niż " + Number(p.bytes).toLocaleString("pl-PL") + " bajtów.",
        import_not_text: () => "To nie plik tekstowy UTF-8 ani zip.",
        import_no_yaml: () => "W pliku nie ma żadnego pliku YAML.",
        zip_too_many_files: (p) => "Zip ma " + p.count + " plików; najwyżej " + p.most + ".",
        zip_too_large: (p) => "Zip po rozpakowaniu ma ponad " + Number(p.bytes).toLocaleString("pl-PL") + " bajtów — podziel go.",
        zip_unreadable: () => "Nie da się odczytać zipa (uszkodzony, zaszyfrowany albo nieznana kompresja).",
        yaml_invalid: (p) => p.path + ": niepoprawny YAML" + (p.line ? " (wiersz " + p.line + ")" : "") + ".",
        yaml_not_mapping: (p) => p.path + ": plik YAML powinien być słownikiem (klucz: wartość).",
        rasa_nlu_invalid: (p, w) => p.path + ": niepoprawny plik NLU Rasy" + rasaWhere(p, w, {
          nlu_not_list: () => "klucz „nlu” powinien być listą", bad_annotation: (p) => "niepoprawna adnotacja encji " + p.annotation,
          annotation_without_entity: (p) => "adnotacja encji bez „entity”: " + p.annotation, no_examples: () => "nie ma w nim żadnego przykładu intencji",
        }, "wiersz ", "intencja ") + ".",
        file_shape: (p) => p.path + ": „" + p.field + "” ma niepoprawny format.",
        file_kind_unknown: (p) => p.path + ": to nie plik intencji, odpowiedzi, FAQ, katalogu ani Rasy.",
        import_no_id: (p) => (p.kind === "faq" ? "Wpis FAQ nr " : "Produkt nr ") + p.n + " nie ma identyfikatora.",
        too_few_intents: (p) => "Bot potrzebuje co najmniej " + p.most + " intencji.",
        changed_meanwhile: () => "Ktoś zmienił ten sam element w tej samej chwili — wczytaj go ponownie i spróbuj jeszcze raz.",
        version_is_current: (p) => "Wersja " + p.version + " jest bieżąca.",
        already_at_version: (p) => "Treść jest już taka, jak zaraz po wersji " + p.version + ".",
        not_found: (p, w) => ({ intent: "Nie ma intencji " + shownIntent(p.key, w), faq: "Nie ma wpisu FAQ " + p.key, product: "Nie ma produktu " + p.key, version: "Nie ma wersji " + p.key }[p.kind] || "Nie ma " + p.kind + " " + p.key) + " — odśwież listę.",
        no_customer: () => "Nie ma takiego klienta.",
        broken_text: (p, w) => plWhere(p, w) + ": tekst zawiera niedozwolone znaki.",
        needs_intent_name: () => "Podaj nazwę intencji.",
        needs_id: (p) => "Podaj identyfikator " + (p.what === "product" ? "produktu" : "wpisu FAQ") + ".",
        unknown_language: (p, w) => plWhere(p, w) + ": nieznany język „" + p.language + "” (znane: " + p.known + ").",
        not_a_list: (p, w) => plWhere(p, w) + ": to powinna być lista tekstów.",
        not_text: (p, w) => plWhere(p, w) + ": to nie tekst.",
        text_too_long: (p, w) => plWhere(p, w) + ": „" + p.text + "…” ma więcej niż " + p.most + " znaków.",
        bad_braces: (p, w) => "Intencja " + shownIntent(p.key, w) + ": odpowiedź „" + p.text + "” ma niedomknięty nawias { } — zmienną pisz jak {name}, a nawias jako tekst: {{ albo }}.",
        shop_not_mapping: () => "Lokal: brak danych lokalu.",
        not_names: (p) => (p.kind === "size" ? "Rozmiar " : "Kategoria ") + p.id + ": nazwy powinny być podane w językach.",
      },
    },
    en: {
      login: "Log in", email: "E-mail", password: "Password", logout: "Log out", loginFailed: "Login failed",
      loginAgain: "Please log in again.", failed: (status) => "Request failed (" + status + ")",
      status: { new: "new", confirmed: "accepted", preparing: "preparing", out_for_delivery: "out for delivery", ready_for_pickup: "ready for pickup", completed: "completed", cancelled: "cancelled", rejected: "rejected" },
      pay: { cash: "cash", card: "card", blik: "BLIK" },
      channel: { webchat: "web chat", telegram: "Telegram", sms: "SMS", cli: "terminal" },
      money: (grosze) => "PLN " + (grosze / 100).toFixed(2),
      ago: ago.en,
      roles: { kitchen: "kitchen", agent: "agent", operator: "operator", admin: "admin" },
      handoffReasons: { customer_request: "customer request", complaint: "complaint", fallback: "not understood", message_for_team: "message for team", question: "a question the bot cannot answer", order_change: "a change to a placed order" },
      intentNames: {
        greet: "greeting", goodbye: "goodbye", thanks: "thanks", affirm: "yes", deny: "no", help: "help",
        browse_menu: "menu", product_info: "product question", prices: "prices", allergens: "allergens", add_to_cart: "add to cart",
        remove_from_cart: "remove from cart", change_item: "change an item", clear_cart: "empty the cart", show_cart: "show the cart",
        checkout: "checkout", order_status: "order status", cancel_order: "cancel an order", reorder: "order again",
        rate_order: "rate an order", complaint: "complaint", human_handoff: "asks for a person", leave_message: "message for the team",
        link_channels: "link channels", change_language: "change language", opening_hours: "opening hours", delivery_area: "delivery area",
        delivery_time: "delivery time", payment_methods: "payment methods", contact_details: "contact details", facilities: "facilities",
        faq: "FAQ question", oos: "off topic", nlu_fallback: "not understood", with_agent: "talking to an agent",
        ask_size: "choosing a size", rate: "rating an order",
      },
      tooManyLogins: "Too many login attempts — try again in a few minutes.",
      fields: { text: "Text", reason: "Reason", eta_minutes: "Accept time", status: "Status", title: "Title", payload: "Button", buttons: "Buttons", lang: "Language", intent: "Intent" },
      fieldProblems: {
        missing: () => "missing", string_too_short: (p) => p.min_length === "1" ? "must not be empty" : "at least " + p.min_length + " characters",
        string_too_long: (p) => "at most " + p.max_length + " characters", too_long: (p) => "at most " + p.max_length + " items",
        greater_than_equal: (p) => "at least " + p.ge, less_than_equal: (p) => "at most " + p.le,
        int_parsing: () => "not a whole number", int_type: () => "not a whole number", string_type: () => "not text",
        string_pattern_mismatch: () => "not an allowed value", json_invalid: () => "not valid JSON",
      },
      badField: "not a valid value",
      errors: {
        wrong_credentials: () => "Wrong e-mail or password.",
        too_many_logins: (p) => "Too many login attempts — try again in " + wait(p.seconds) + ".",
        login_required: () => "The session ended or the account was disabled — log in again.",
        role_needed: (p, w) => "This needs the " + (w.roles[p.role] || p.role) + " role.",
        no_order: (p) => "There is no order " + p.number + ".",
        order_already: (p, w) => "Order " + p.number + " is already " + (w.status[p.status] || p.status) + ".",
        order_changed: (p) => "Someone changed order " + p.number + " at the same moment — check it again.",
        order_too_late_to_reject: (p, w) => "Order " + p.number + " is already " + (w.status[p.status] || p.status) + " — too late to reject it.",
        order_status_not_for_fulfilment: (p, w) => "“" + (w.status[p.status] || p.status) + "” does not apply to a " + (p.fulfilment === "pickup" ? "pickup" : "delivery") + " order.",
        order_cannot_go_back: (p, w) => "Order " + p.number + " is already " + (w.status[p.status] || p.status) + " — it cannot go back.",
        eta_range: (p) => "An accept time is 1 to " + p.most + " minutes.",
        reason_needed: () => "Say why the order is rejected.",
        no_conversation: () => "There is no such conversation.",
        conversation_taken: (p) => p.agent + " already has this conversation.",
        conversation_not_waiting: () => "This conversation is not waiting for an agent.",
        assign_first: () => "Assign the conversation to yourself first.",
        fact_stated_literally: (p) => (p.kind === "faq" ? "FAQ " + p.key + ": the answer (" + p.lang + ")" : "Intent " + p.key + ": a response") + " states the shop's facts literally; write " + p.write + " instead, so the text follows the shop's facts when they change.",
        unknown_variable: (p) => (p.kind === "faq" ? "FAQ " + p.key + ": the answer (" + p.lang + ")" : "Intent " + p.key + ": a response") + " uses unknown variable " + p.variable + "; known: " + p.known + ".",
        needs_example: () => "An intent needs at least one example.",
        dialogue_owned_intent: (p) => "Intent " + p.intent + " is answered by the ordering dialogue; its replies cannot be replaced by responses (edit its examples only).",
        needs_question: () => "An FAQ entry needs at least one question.",
        needs_answer: (p) => "An FAQ entry needs an answer in " + languageIn.en(p.lang) + " (the default language).",
        needs_name: (p) => "A product needs a name in " + languageIn.en(p.lang) + " (the default language).",
        needs_price: () => "A product needs a price.",
        intent_exists: (p) => "An intent named " + p.name + " already exists — open it from the list to change it.",
        bad_intent_name: (p) => "The intent name “" + p.name + "” is not valid: lowercase letters, digits and _ (starting with a letter, at most 64 characters).",
        bad_id: (p) => "The id “" + p.id + "” is not valid: lowercase letters, digits, - and _ (at most 64 characters).",
        bad_timezone: (p) => "Unknown time zone “" + p.value + "” (e.g. Europe/Warsaw).",
        bad_hours: (p, w) => "Hours (" + (w.days[p.day] || p.day) + "): “" + p.value + "” is not HH:MM-HH:MM (or closed).",
        bad_minutes: (p) => (p.what === "pickup" ? "Pickup time" : "Delivery time") + ": “" + p.value + "” is not minutes like 30 or 45-60 (1 to 600, low to high).",
        faq_exists: (p) => "An FAQ entry " + p.id + " already exists — open it from the list or give another id.",
        product_exists: (p) => "A product " + p.id + " already exists — open it from the list or give another id.",
        unknown_shop_fact: (p) => "Shop: unknown fact “" + p.fact + "”; known: " + p.known + ".",
        needs_shop_name: () => "The shop needs a name.",
        bad_meta_id: (p) => "The " + (p.kind === "size" ? "size" : "category") + " id “" + p.id + "” is not valid: lowercase letters, digits, - and _.",
        category_twice: (p) => "Category " + p.id + " is listed twice.",
        needs_category: () => "The catalog needs at least one category.",
        needs_meta_name: (p) => (p.kind === "size" ? "Size " : "Category ") + p.id + " needs a name in " + languageIn.en(p.lang) + " (the default language).",
        category_in_use: (p) => "Product " + p.product + " is in category " + p.id + " — move it first.",
        size_in_use: (p) => "Product " + p.product + " has a price in size " + p.id + " — remove that price first.",
        unknown_category: (p) => "Product " + p.product + ": unknown category “" + p.category + "”.",
        unknown_size: (p) => "Product " + p.product + ": unknown size “" + p.size + "”.",
        bad_grosze: (p) => "Product " + p.product + ": the price (" + p.size + ") “" + p.value + "” is not a whole, non-negative number of grosze (32,90 zł = 3290).",
        default_or_sizes: (p) => "Product " + p.product + ": either one price or prices per size, not both.",
        unknown_tag: (p) => "Product " + p.product + ": unknown tag “" + p.tag + "” (known: " + p.known + ").",
        unknown_payment_method: (p) => "Payment (" + p.way + "): unknown method “" + p.method + "” (known: " + p.known + ").",
        needs_payment_method: (p) => "Tick at least one payment method for " + (p.way === "pickup" ? "pickup" : "delivery") + ".",
        bad_postcode: (p) => "Delivery area: “" + p.value + "” is not a postcode prefix like 30- or 31-5.",
        file_too_large: (p) => "The file is larger than " + Number(p.bytes).toLocaleString("en-GB") + " bytes.",
        import_not_text: () => "The file is not UTF-8 text or a zip.",
        import_no_yaml: () => "No YAML files found in the upload.",
        zip_too_many_files: (p) => "The zip has " + p.count + " files; at most " + p.most + ".",
        zip_too_large: (p) => "The zip unpacks to more than " + Number(p.bytes).toLocaleString("en-GB") + " bytes — split it up.",
        zip_unreadable: () => "The zip cannot be read (damaged, encrypted or an unknown compression).",
        yaml_invalid: (p) => p.path + ": not valid YAML" + (p.line ? " (line " + p.line + ")" : "") + ".",
        yaml_not_mapping: (p) => p.path + ": a YAML file should be a mapping (key: value).",
        rasa_nlu_invalid: (p, w) => p.path + ": not a valid Rasa NLU file" + rasaWhere(p, w, {
          nlu_not_list: () => "“nlu” should be a list", bad_annotation: (p) => "a broken entity annotation " + p.annotation,
          annotation_without_entity: (p) => "an entity annotation without “entity”: " + p.annotation, no_examples: () => "it has no intent examples",
        }, "line ", "intent ") + ".",
        file_shape: (p) => p.path + ": “" + p.field + "” is not in the expected format.",
        file_kind_unknown: (p) => p.path + ": not an intent, responses, FAQ, catalog or Rasa file.",
        import_no_id: (p) => (p.kind === "faq" ? "FAQ entry " : "Product ") + p.n + " has no id.",
        too_few_intents: (p) => "The bot needs at least " + p.most + " intents.",
        changed_meanwhile: () => "Someone else changed the same item at the same moment — reload it and try again.",
        version_is_current: (p) => "Version " + p.version + " is the current version.",
        already_at_version: (p) => "The content is already as it was right after version " + p.version + ".",
        not_found: (p, w) => ({ intent: "There is no intent " + shownIntent(p.key, w), faq: "There is no FAQ entry " + p.key, product: "There is no product " + p.key, version: "There is no version " + p.key }[p.kind] || "There is no " + p.kind + " " + p.key) + " — reload the list.",
        no_customer: () => "There is no such customer.",
        broken_text: (p, w) => enWhere(p, w) + ": the text contains invalid characters.",
        needs_intent_name: () => "Give the intent a name.",
        needs_id: (p) => "Give the " + (p.what === "product" ? "product" : "FAQ entry") + " an id.",
        unknown_language: (p, w) => enWhere(p, w) + ": unknown language “" + p.language + "” (known: " + p.known + ").",
        not_a_list: (p, w) => enWhere(p, w) + ": expected a list of texts.",
        not_text: (p, w) => enWhere(p, w) + ": not text.",
        text_too_long: (p, w) => enWhere(p, w) + ": “" + p.text + "…” is longer than " + p.most + " characters.",
        bad_braces: (p, w) => "Intent " + shownIntent(p.key, w) + ": the response “" + p.text + "” has an unmatched brace { } — write a variable as {name} and a literal brace as {{ or }}.",
        shop_not_mapping: () => "Shop: the shop's facts are missing.",
        not_names: (p) => (p.kind === "size" ? "Size " : "Category ") + p.id + ": expected names per language.",
      },
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
        readyAt: "Gotowe ok.", deliveryAt: "Dostawa ok.", note: "Uwagi", badMinutes: "czas przyjęcia to od 1 do 480 minut",
      },
      en: {
        title: "Omnibot · orders", tab: "Orders", soundOn: "Sound: on", soundOff: "Sound: off", live: "live", down: "reconnecting…",
        columns: { new: "New", confirmed: "Accepted", preparing: "Preparing", out: "Out / ready for pickup", completed: "Completed" },
        next: { confirmed: "Accept", preparing: "Start preparing →", out_for_delivery: "Out for delivery →", ready_for_pickup: "Ready for pickup →", completed: "Completed ✓" },
        folded: "Cancelled and rejected", none: "None",
        delivery: "Delivery", pickup: "Pickup", payment: "Payment", total: "Total", accept: "Accept for:", min: "min", ok: "OK",
        reject: "Reject", reasonPick: "Reason…", reasons: { ingredient: "out of an ingredient", too_far: "too far", closed: "closed", busy: "too busy", other: "other…" },
        otherReason: "Why is it rejected (the customer sees this):", cancel: "Cancel", cancelAsk: "Cancel this order? The customer will be told.", print: "Print",
        readyAt: "Ready at about", deliveryAt: "Delivery at about", note: "Note", badMinutes: "an accept time is 1 to 480 minutes",
      },
    },
    agent: {
      pl: {
        title: "Omnibot · konsola konsultanta", tab: "Konsola konsultanta — Omnibot", conversations: "Rozmowy", waiting: "Czekają", mine: "Moje", others: "Prowadzą inni", withBot: "Z botem",
        conversation: "Rozmowa", pick: "Wybierz rozmowę.", back: "← Rozmowy", customerShow: "Klient →", conversationShow: "← Rozmowa",
        replyLabel: "Odpowiedź dla klienta", replyPlaceholder: "Odpowiedź — pójdzie kanałem, którego klient używa teraz (Ctrl+Enter wysyła)",
        canned: "Gotowe odpowiedzi…", send: "Wyślij", note: "Dodaj notatkę prywatną", noteTitle: "Notatki widzą tylko konsultanci",
        assign: "Przejmij rozmowę", resolve: "Oddaj botowi",
        customerNo: (id) => "Klient #" + id, waitingFor: (t) => "czeka " + t, takenBy: (who) => "prowadzi " + who,
        // Another agent's conversation: what this one may do in it (the server's rules).
        othersOwn: (who) => "Tę rozmowę prowadzi " + who + ". Możesz ją czytać i dodać notatkę prywatną; odpowiada i oddaje botowi prowadzący.",
        othersOwnAdmin: (who) => "Tę rozmowę prowadzi " + who + ". Jako administrator możesz też odpowiedzieć klientowi i oddać rozmowę botowi.",
        author: { customer: "klient", bot: "bot", agent: "konsultant", system: "system" }, privateNote: "notatka prywatna", throttled: "bez odpowiedzi: za szybko wysłane", undelivered: "niedostarczone: klient jest nieosiągalny", systemNotes: {
          webchat_ended: () => "Klient zakończył czat.",
          delivery_unknown: (p, w) => "Wysyłanie odpowiedzi przez " + (w.channel[p.channel] || p.channel) + " przerwano w połowie — mogła nie dojść do klienta (nie wysłano jej ponownie): „" + p.text + "”",
          sms_opt_out: (p) => "Klient wysłał SMS-em „" + p.keyword + "” (wypisanie z SMS-ów), gdy zamówienie " + p.number + " można było jeszcze anulować: SMS-y do tego numeru są wyłączone. Jeśli chodziło o zamówienie, skontaktuj się inaczej (odpowiedź START włącza je z powrotem).",
          link_with_agent: (p) => "Tu otwarto link do połączenia innej rozmowy z tą, gdy prowadzi ją konsultant: niczego nie połączono, a klient dostał o tym wiadomość. Link działa jeszcze " + p.minutes + " min; otwarty ponownie, gdy rozmowa wróci do bota, połączy je.",
        },
        customer: "Klient", name: "Imię", phone: "Telefon", language: "Język", lastChannel: "Ostatni kanał", channels: "Kanały", unreachable: "nieosiągalny", lastSeen: (when) => "ostatnio " + when,
        fromCheckout: (v, order) => v + " (z zamówienia " + order + ")", toldHere: (v) => v + " (podane w rozmowie)", cart: "Koszyk", empty: "pusty", orders: "Zamówienia", none: "brak", pickup: "odbiór osobisty",
        pastHandoffs: "Wcześniejsze przekazania",
        kitchenNote: "Uwagi dla kuchni", kitchenNoteAdd: "Dopisz uwagę dla kuchni",
        kitchenNoteAsk: (n) => "Co ma wiedzieć kuchnia o zamówieniu " + n + "? (zobaczy to na tablicy zamówień; klient tego nie dostanie)",
        summary: {
          handoff: (r) => "Przekazanie: " + r + ".", left: (m) => ended("Wiadomość klienta: „" + m + "”", "."), intents: (list) => "Ostatnie tematy: " + list + ".",
          cart: (lines, total) => "Koszyk: " + lines + " = " + total + ".", cartEmpty: "Koszyk pusty.",
          order: (n, s, total) => "Otwarte zamówienie " + n + ": " + s + ", " + total + ".", channels: (list) => "Kanały: " + list + ".",
        },
        endSessions: "Zakończ sesje czatu", endSessionsTitle: "Klient zostaje wylogowany z czatu na każdym urządzeniu; historia zostaje, nowy czat zaczyna się od zera",
        endSessionsAsk: "Zakończyć wszystkie sesje czatu tego klienta? Zostanie wylogowany na każdym urządzeniu.",
        ended: (n) => "Zakończone sesje czatu: " + n + ".",
      },
      en: {
        title: "Omnibot · agent console", tab: "Agent console — Omnibot", conversations: "Conversations", waiting: "Waiting", mine: "Mine", others: "Taken by others", withBot: "With the bot",
        conversation: "Conversation", pick: "Pick a conversation.", back: "← Conversations", customerShow: "Customer →", conversationShow: "← Conversation",
        replyLabel: "Reply to the customer", replyPlaceholder: "Reply — sent in the customer's current channel (Ctrl+Enter sends)",
        canned: "Canned responses…", send: "Send", note: "Add private note", noteTitle: "Only agents see notes",
        assign: "Assign to me", resolve: "Resolve (back to bot)",
        customerNo: (id) => "Customer #" + id, waitingFor: (t) => "waiting " + t, takenBy: (who) => "with " + who,
        othersOwn: (who) => who + " has this conversation. You can read it and add a private note; they reply and hand it back to the bot.",
        othersOwnAdmin: (who) => who + " has this conversation. As an admin you may also reply to the customer and hand it back to the bot.",
        author: { customer: "customer", bot: "bot", agent: "agent", system: "system" }, privateNote: "private note", throttled: "not answered: sent too fast", undelivered: "not delivered: the customer cannot be reached", systemNotes: {
          webchat_ended: () => "The customer ended the web chat.",
          delivery_unknown: (p, w) => "A reply by " + (w.channel[p.channel] || p.channel) + " was interrupted mid-send and may not have reached the customer (not resent automatically): “" + p.text + "”",
          sms_opt_out: (p) => "The customer texted “" + p.keyword + "”, an SMS opt-out keyword, while order " + p.number + " could still be cancelled: texts to this number are off now. If they meant the order, reach them another way (their reply START turns texts back on).",
          link_with_agent: (p) => "A link to join another conversation into this one was opened here while a person has it: nothing was joined, and the customer was told so. The link works for " + p.minutes + " more min; opened again once the conversation is back with the bot, it joins them.",
        },
        customer: "Customer", name: "Name", phone: "Phone", language: "Language", lastChannel: "Last channel", channels: "Channels", unreachable: "unreachable", lastSeen: (when) => "last seen " + when,
        fromCheckout: (v, order) => v + " (checkout " + order + ")", toldHere: (v) => v + " (given in this conversation)", cart: "Cart", empty: "empty", orders: "Orders", none: "none", pickup: "pickup",
        pastHandoffs: "Past handoffs",
        kitchenNote: "Note for the kitchen", kitchenNoteAdd: "Add a note for the kitchen",
        kitchenNoteAsk: (n) => "What must the kitchen know about order " + n + "? (shown on the orders board; the customer is not sent this)",
        summary: {
          handoff: (r) => "Handoff: " + r + ".", left: (m) => ended("Their message: “" + m + "”", "."), intents: (list) => "Recent topics: " + list + ".",
          cart: (lines, total) => "Cart: " + lines + " = " + total + ".", cartEmpty: "Cart empty.",
          order: (n, s, total) => "Open order " + n + ": " + s + ", " + total + ".", channels: (list) => "Channels: " + list + ".",
        },
        endSessions: "End web chat sessions", endSessionsTitle: "Every device this customer chats on is signed out; history stays, a new chat starts afresh",
        endSessionsAsk: "End all of this customer's web chat sessions? Every device they chat on is signed out.",
        ended: (n) => "Ended " + n + " web chat session" + (n === 1 ? "" : "s") + ".",
      },
    },

    admin: {
      pl: {
        title: "Omnibot · konsola operatora", tab: "Konsola operatora — Omnibot", liveTitle: "Zapisana wersja treści / wersja, którą odpowiada bot",
        updating: "aktualizuję bota…", live: (v) => "na żywo: wersja " + v, sections: "Sekcje",
        tabs: { intents: "Intencje", faq: "FAQ", products: "Produkty", shop: "Lokal", history: "Historia", try: "Wypróbuj", conflicts: "Konflikty", files: "Import / eksport", analytics: "Analityka" },
        readonly: "Możesz przeglądać, ale nie edytować (edytuje rola operatora).",
        saved: (what, v) => what + " — wersja " + v + "; za chwilę działa", noChanges: "Nic do zapisania", del: "Usuń",
        intentSearch: "Szukaj intencji i przykładów", intentSearchLabel: "Szukaj intencji", newIntent: "Nowa intencja", intentList: "Intencje", intentName: "Nazwa",
        examples: (l) => "Przykłady (" + l + "), jeden w wierszu", responses: (l) => "Odpowiedzi (" + l + "), jedna w wierszu — opcjonalnie",
        saveIntent: "Zapisz intencję", ownAnswer: "własna odpowiedź", responseVars: "Zmienne w odpowiedziach: ",
        // What each response variable is filled with (the server says it in English).
        responseVarNames: {
          name: "imię klienta albo nic, gdy go nie znamy", shop: "nazwa lokalu", shop_address: "adres lokalu (odbiór osobisty)",
          opening_hours: "godziny otwarcia w poszczególne dni", delivery_area: "miasta, dzielnice i kody pocztowe, do których dowozimy",
          delivery_time: "czas dostawy w minutach, np. 45–60", pickup_time: "czas do odbioru w minutach, np. 20–30",
          payment_delivery: "metody płatności przy dostawie", payment_pickup: "metody płatności przy odbiorze",
          delivery_fee: "opłata za dostawę", free_delivery_from: "kwota, od której dostawa jest darmowa",
          min_order: "minimalne zamówienie z dostawą", hours_mon: "godziny otwarcia w poniedziałek", hours_tue: "godziny otwarcia we wtorek",
          hours_wed: "godziny otwarcia w środę", hours_thu: "godziny otwarcia w czwartek", hours_fri: "godziny otwarcia w piątek",
          hours_sat: "godziny otwarcia w sobotę", hours_sun: "godziny otwarcia w niedzielę",
        },
        savedIntent: (n) => "Zapisano intencję " + n, deletedIntent: (n) => "Usunięto intencję " + n, deleteIntentAsk: (n) => ended("Usunąć intencję " + n, "?") + " (Historia pozwala ją przywrócić.)",
        faqSearch: "Szukaj pytań i odpowiedzi", faqSearchLabel: "Szukaj w FAQ", newFaq: "Nowy wpis FAQ", faqList: "Wpisy FAQ", faqId: "Identyfikator", faqIdHint: "z pierwszego pytania, jeśli puste",
        questions: (l) => "Pytania (" + l + "), jedno w wierszu", answer: (l) => "Odpowiedź (" + l + ")", saveFaq: "Zapisz wpis FAQ",
        deleteFaqAsk: (name) => ended("Usunąć wpis FAQ " + name, "?"),
        productSearch: "Szukaj produktów", newProduct: "Nowy produkt", productList: "Produkty", productId: "Identyfikator", category: "Kategoria",
        productName: (l) => "Nazwa (" + l + ")", description: (l) => "Opis (" + l + ")", aliases: "Inne nazwy, po przecinku", allergens: "Alergeny, po przecinku",
        prices: "Ceny w zł (np. 24,90); puste pole — ten rozmiar nie jest sprzedawany", onePrice: "jedna cena", available: "dostępny", vegetarian: "wegetariański", spicy: "ostry",
        unavailable: "niedostępny", saveProduct: "Zapisz produkt",
        deleteProductAsk: (name) => ended("Usunąć produkt " + name, "?"), badPrice: (what, text) => what + ": „" + text + "” to nie cena — wpisz np. 24,90",
        shopHint: "Fakty o lokalu, w jednym miejscu: odpowiedzi FAQ i bota podają je przez zmienne, zamówienia ich pilnują, tablica zamówień pokazuje czas w strefie lokalu. Zapis działa po chwili.",
        shopName: "Nazwa lokalu", shopAddress: "Adres (odbiór osobisty)", timezone: "Strefa czasowa", currency: "Waluta",
        hours: "Godziny otwarcia (GG:MM-GG:MM albo „closed”, gdy zamknięte)", days: { mon: "pon", tue: "wt", wed: "śr", thu: "czw", fri: "pt", sat: "sob", sun: "nd" },
        cities: "Strefa dostawy: miasta i dzielnice, po przecinku (inne nazwy miejsca po ukośniku: Kraków / Cracow)", postcodes: "Strefa dostawy: początki kodów pocztowych, po przecinku (np. 30-, 31-)",
        deliveryMinutes: "Czas dostawy w minutach (np. 45-60)", pickupMinutes: "Czas do odbioru w minutach (np. 20-30)",
        fee: "Opłata za dostawę (zł)", free: "Darmowa dostawa od (zł; 0 = nigdy)", minimum: "Minimalne zamówienie z dostawą (zł)",
        payments: "Metody płatności", way: { delivery: "dostawa:", pickup: "odbiór:" },
        sizes: "Rozmiary, jeden w wierszu: id | nazwa (pl) | nazwa (en)", categories: "Kategorie, jedna w wierszu: id | nazwa (pl) | nazwa (en)",
        shopVars: "Zmienne do odpowiedzi FAQ i intencji: ", saveShop: "Zapisz dane lokalu", savedShop: "Zapisano dane lokalu",
        version: "Wersja", when: "Kiedy", who: "Kto", what: "Co", rollBack: "Przywróć tę wersję", current: "bieżąca", system: "system",
        rollBackAsk: (v) => "Przywrócić treść taką, jaka była zaraz po wersji " + v + "?", rolledBack: (v) => "Przywrócono wersję " + v,
        tryText: "Wpisz wiadomość klienta", tryLabel: "Wiadomość do wypróbowania", language: "Język", auto: "auto", tryButton: "Wypróbuj",
        tryIntent: (name, pct, lang) => "Intencja: " + name + " (" + pct + "%) · język " + lang, ranking: "Ranking: ", entities: "Encje: ", faqMatch: "Pasujące FAQ: ", none: "brak",
        wouldAnswer: "Bot odpowie", buttons: "Przyciski: ", handsOff: (why) => "…i przekaże rozmowę człowiekowi (" + why + ")",
        conflictsHint: "Ten sam przykład w dwóch intencjach i prawie identyczne przykłady różnych intencji: bot nie odpowie na nie obiema naraz, więc jeden trzeba poprawić lub usunąć. Pierwsze sprawdzenie po zmianie trwa kilka sekund.",
        checkNow: "Sprawdź teraz", checking: "Sprawdzam…",
        conflictsTitle: (n) => "Konflikty do poprawienia: " + n, noConflicts: "Brak konfliktów: żaden przykład nie jest w dwóch intencjach ani prawie taki sam jak przykład innej.",
        pair: (intents, n) => intents.join(" ↔ ") + " — " + plCount(n, "konflikt", "konflikty", "konfliktów"),
        same: (text, intents) => "„" + text + "” jest w każdej z nich: " + intents.join(", "),
        near: (a, ai, b, bi) => "„" + a + "” (" + ai + ") ≈ „" + b + "” (" + bi + ")",
        hintsTitle: (n, pairs) => "Wskazówki: " + plCount(n, "przykład podobny", "przykłady podobne", "przykładów podobnych") + " do innej intencji (par intencji: " + pairs + ")",
        hintsHint: "To nie błędy: bot odpowiada na te przykłady dobrze. Ale model uczony bez nich daje je innej intencji, więc podobnie sformułowana wiadomość klienta może tam trafić — jeśli się to zdarza, dodaj przykładów.",
        hintPair: (intent, predicted, n) => intent + " → " + predicted + " (" + n + ")",
        hint: (text, pct) => "„" + text + "” (" + pct + "%)",
        exportTitle: "Eksport", exportYaml: "Pobierz YAML (intents/, knowledge/)", exportRasa: "Pobierz Rasa (nlu.yml, domain.yml)", importTitle: "Import",
        importHint: "Zip z naszymi plikami YAML albo plikami Rasa, albo jeden plik (intents, responses, faq.yaml, catalog.yaml, nlu.yml, domain.yml). Wszystko albo nic; jedna wersja.",
        importFile: "Plik do importu", importReplace: "usuń elementy, których nie ma w pliku", importButton: "Importuj", chooseFile: "Najpierw wybierz plik.",
        imported: (list) => "Zaimportowano: " + list,
        last: "Ostatnie", daysWord: "dni", perDay: "Rozmowy dziennie w kanałach", intentsChart: "Intencje", ratings: "Oceny", conversion: "Konwersja koszyk → zamówienie w kanałach",
        unmatched: "Najczęstsze niezrozumiane wiadomości", customers: "klienci", multichannel: "w 2+ kanałach", oosRate: "odsetek niezrozumianych", handoffRate: "odsetek przekazań",
        avgRating: "średnia ocena", noConversations: "Jeszcze nie ma rozmów.", noData: "Jeszcze nie ma danych.", intentDistribution: "Rozkład intencji",
        conversionHead: ["kanał", "koszyki", "zamówienia", "konwersja"],
        unmatchedHint: (n) => "Wiadomości, których bot nie zrozumiał. Odpowiedzi na jego pytania (adresy, imiona, uwagi: " + n + " w tym okresie) nie są tu pokazane; numery telefonów i adresy e-mail są ukryte.",
        nothingUnmatched: "Nic niezrozumianego.", intentFor: (text) => "Intencja dla: " + text, chooseIntent: "wybierz intencję…", addExample: "Dodaj jako przykład",
        added: (text, intent) => "Dodano „" + text + "” do " + intent,
        // What a version did (the server's summary_code and summary_params) and each change of it.
        versions: {
          seeded: () => "Treść domyślna z plików YAML",
          intent_added: (p, w) => "Dodano intencję " + shownIntent(p.name, w),
          intent_saved: (p, w) => "Zapisano intencję " + shownIntent(p.name, w),
          intent_renamed: (p, w) => "Zmieniono nazwę intencji " + shownIntent(p.name, w) + " na " + shownIntent(p.new_name, w),
          intent_deleted: (p, w) => "Usunięto intencję " + shownIntent(p.name, w),
          example_added: (p, w) => "Dodano przykład do intencji " + shownIntent(p.name, w),
          faq_added: (p) => "Dodano FAQ " + itemName("faq", p.id, p.labels, "pl"), faq_saved: (p) => "Zapisano FAQ " + itemName("faq", p.id, p.labels, "pl"),
          faq_deleted: (p) => "Usunięto FAQ " + itemName("faq", p.id, p.labels, "pl"),
          product_added: (p) => "Dodano produkt " + itemName("product", p.id, p.labels, "pl"), product_saved: (p) => "Zapisano produkt " + itemName("product", p.id, p.labels, "pl"),
          product_deleted: (p) => "Usunięto produkt " + itemName("product", p.id, p.labels, "pl"),
          shop_saved: () => "Zapisano dane lokalu",
          imported: (p, w) => "Zaimportowano " + p.source + (p.counts ? ": " + counted(p.counts, w.kindsCounted) : ""),
          rolled_back: (p) => "Przywrócono wersję " + p.version,
        },
        kindsCounted: { intent: "intencje", faq: "FAQ", product: "produkty" },
        change: (c, w) => ({ created: "dodano ", updated: "zmieniono ", deleted: "usunięto " }[c.op] || c.op + " ") + changed(c, w, { intent: "intencję ", faq: "FAQ ", product: "produkt " }, "dane lokalu", "pl"),
      },
      en: {
        title: "Omnibot · operator console", tab: "Operator console — Omnibot", liveTitle: "Saved content version / the version the bot answers with",
        updating: "updating the bot…", live: (v) => "live: version " + v, sections: "Sections",
        tabs: { intents: "Intents", faq: "FAQ", products: "Products", shop: "Shop", history: "History", try: "Try it", conflicts: "Conflicts", files: "Import / export", analytics: "Analytics" },
        readonly: "You can read but not edit (the operator role edits).",
        saved: (what, v) => what + " — version " + v + "; live in a moment", noChanges: "No changes to save", del: "Delete",
        intentSearch: "Search intents and examples", intentSearchLabel: "Search intents", newIntent: "New intent", intentList: "Intents", intentName: "Name",
        examples: (l) => "Examples (" + l + "), one per line", responses: (l) => "Responses (" + l + "), one per line — optional",
        saveIntent: "Save intent", ownAnswer: "own answer", responseVars: "Variables in responses: ",
        savedIntent: (n) => "Saved intent " + n, deletedIntent: (n) => "Deleted intent " + n, deleteIntentAsk: (n) => ended("Delete intent " + n, "?") + " (History can restore it.)",
        faqSearch: "Search questions and answers", faqSearchLabel: "Search FAQ", newFaq: "New FAQ entry", faqList: "FAQ entries", faqId: "Id", faqIdHint: "made from the first question if empty",
        questions: (l) => "Questions (" + l + "), one per line", answer: (l) => "Answer (" + l + ")", saveFaq: "Save FAQ entry",
        deleteFaqAsk: (name) => ended("Delete FAQ entry " + name, "?"),
        productSearch: "Search products", newProduct: "New product", productList: "Products", productId: "Id", category: "Category",
        productName: (l) => "Name (" + l + ")", description: (l) => "Description (" + l + ")", aliases: "Aliases, comma-separated", allergens: "Allergens, comma-separated",
        prices: "Prices in zł (e.g. 24,90); leave a size empty if not sold", onePrice: "one price", available: "available", vegetarian: "vegetarian", spicy: "spicy",
        unavailable: "unavailable", saveProduct: "Save product",
        deleteProductAsk: (name) => ended("Delete product " + name, "?"), badPrice: (what, text) => what + ": “" + text + "” is not a price — write e.g. 24,90",
        shopHint: "The shop's facts, one truth: FAQ answers and the bot's replies state them through variables, checkout enforces them, the orders board shows times in the shop's time zone. A save is live in a moment.",
        shopName: "Shop name", shopAddress: "Address (pickup)", timezone: "Time zone", currency: "Currency",
        hours: "Opening hours (HH:MM-HH:MM, or \"closed\")", days: { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" },
        cities: "Delivery area: cities and districts, comma-separated (a place's other names after a slash: Kraków / Cracow)", postcodes: "Delivery area: postcode prefixes, comma-separated (e.g. 30-, 31-)",
        deliveryMinutes: "Delivery time, minutes (e.g. 45-60)", pickupMinutes: "Pickup time, minutes (e.g. 20-30)",
        fee: "Delivery fee (zł)", free: "Free delivery from (zł; 0 = never)", minimum: "Minimum order for delivery (zł)",
        payments: "Payment methods offered", way: { delivery: "delivery:", pickup: "pickup:" },
        sizes: "Sizes, one per line: id | name (pl) | name (en)", categories: "Categories, one per line: id | name (pl) | name (en)",
        shopVars: "Variables for FAQ answers and responses: ", saveShop: "Save shop details", savedShop: "Saved shop details",
        version: "Version", when: "When", who: "Who", what: "What", rollBack: "Roll back to this version", current: "current", system: "system",
        rollBackAsk: (v) => "Restore the content as it was right after version " + v + "?", rolledBack: (v) => "Rolled back to version " + v,
        tryText: "Type a customer message", tryLabel: "Message to try", language: "Language", auto: "auto", tryButton: "Try",
        tryIntent: (name, pct, lang) => "Intent: " + name + " (" + pct + "%) · language " + lang, ranking: "Ranking: ", entities: "Entities: ", faqMatch: "FAQ match: ", none: "none",
        wouldAnswer: "The bot would answer", buttons: "Buttons: ", handsOff: (why) => "…and hand the conversation to a human (" + why + ")",
        conflictsHint: "The same example in two intents, and nearly the same examples of different intents: the bot cannot answer them both ways, so one must be changed or removed. The first check after a change takes a few seconds.",
        checkNow: "Check now", checking: "Checking…",
        conflictsTitle: (n) => "Conflicts to fix: " + n, noConflicts: "No conflicts: no example is in two intents or nearly the same as another intent's.",
        pair: (intents, n) => intents.join(" ↔ ") + " — " + n + (n === 1 ? " conflict" : " conflicts"),
        same: (text, intents) => "“" + text + "” is in each of: " + intents.join(", "),
        near: (a, ai, b, bi) => "“" + a + "” (" + ai + ") ≈ “" + b + "” (" + bi + ")",
        hintsTitle: (n, pairs) => "Hints: " + n + " examples that look like another intent (" + pairs + " intent pairs)",
        hintsHint: "Not mistakes: the bot answers these examples right. But a model trained without them gives them to another intent, so a customer's message worded like them may go there — if it happens, add examples.",
        hintPair: (intent, predicted, n) => intent + " → " + predicted + " (" + n + ")",
        hint: (text, pct) => "“" + text + "” (" + pct + "%)",
        exportTitle: "Export", exportYaml: "Download YAML (intents/, knowledge/)", exportRasa: "Download Rasa (nlu.yml, domain.yml)", importTitle: "Import",
        importHint: "A zip of our YAML or Rasa files, or one file (intents, responses, faq.yaml, catalog.yaml, nlu.yml, domain.yml). All or nothing; one version.",
        importFile: "File to import", importReplace: "delete items the file lacks", importButton: "Import", chooseFile: "Choose a file first.",
        imported: (list) => "Imported " + list,
        last: "Last", daysWord: "days", perDay: "Conversations per channel per day", intentsChart: "Intents", ratings: "Ratings", conversion: "Cart → order conversion per channel",
        unmatched: "Top unmatched messages", customers: "customers", multichannel: "used 2+ channels", oosRate: "out-of-scope rate", handoffRate: "handoff rate",
        avgRating: "average rating", noConversations: "No conversations yet.", noData: "No data yet.", intentDistribution: "Intent distribution",
        conversionHead: ["channel", "carts", "orders", "conversion"],
        unmatchedHint: (n) => "Free text the bot did not understand. Answers to its questions (addresses, names, notes: " + n + " in this period) are not listed; phone numbers and e-mail addresses are masked.",
        nothingUnmatched: "Nothing unmatched.", intentFor: (text) => "Intent for " + text, chooseIntent: "choose an intent…", addExample: "Add as example",
        added: (text, intent) => "Added “" + text + "” to " + intent,
        versions: {
          seeded: () => "Default content from the YAML files",
          intent_added: (p, w) => "Added intent " + shownIntent(p.name, w),
          intent_saved: (p, w) => "Saved intent " + shownIntent(p.name, w),
          intent_renamed: (p, w) => "Renamed intent " + shownIntent(p.name, w) + " to " + shownIntent(p.new_name, w),
          intent_deleted: (p, w) => "Deleted intent " + shownIntent(p.name, w),
          example_added: (p, w) => "Added an example to intent " + shownIntent(p.name, w),
          faq_added: (p) => "Added FAQ " + itemName("faq", p.id, p.labels, "en"), faq_saved: (p) => "Saved FAQ " + itemName("faq", p.id, p.labels, "en"),
          faq_deleted: (p) => "Deleted FAQ " + itemName("faq", p.id, p.labels, "en"),
          product_added: (p) => "Added product " + itemName("product", p.id, p.labels, "en"), product_saved: (p) => "Saved product " + itemName("product", p.id, p.labels, "en"),
          product_deleted: (p) => "Deleted product " + itemName("product", p.id, p.labels, "en"),
          shop_saved: () => "Saved shop details",
          imported: (p, w) => "Imported " + p.source + (p.counts ? ": " + counted(p.counts, w.kindsCounted) : ""),
          rolled_back: (p) => "Rolled back to version " + p.version,
        },
        kindsCounted: { intent: "intents", faq: "FAQ", product: "products" },
        change: (c, w) => c.op + " " + changed(c, w, { intent: "intent ", faq: "FAQ ", product: "product " }, "shop details", "en"),
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
    intentLabel: shownIntent,
    // A FAQ entry or a product by its label in `lang` ({lang: label}), else its key.
    itemName,
    // The labels staff know an item by, from the item: a product's names, a FAQ entry's first
    // question per language (as the server's History gives them).
    itemLabels: (kind, item) => kind === "product" ? Object.assign({}, item.names)
      : Object.fromEntries(Object.entries(item.questions || {}).filter(([, asked]) => asked && asked.length).map(([lang, asked]) => [lang, asked[0]])),
    // Why a person was asked for, in words ("prośba klienta"); one without words, readable.
    handoffReason: (reason, words) => (reason ? words.handoffReasons[reason] || reason.replace(/_/g, " ") : ""),
    // An order or cart line's item as the server wrote it per language ("Margherita, duża
    // (42 cm)"): the one rule lives on the server (Catalog.item_label).
    itemLabel(item, lang) {
      const labels = item.labels || {};
      return labels[lang] || Object.values(labels)[0] || item.name;
    },
    // What the server refused (an error body), in `words`' language when it names the kind
    // (`code`); else its own message, else "failed (status)".
    refusal(body, words, status) {
      const say = body && body.code && words.errors[body.code];
      if (say) return say(body.params || {}, words);
      if (body && Array.isArray(body.detail) && body.detail.length) return body.detail.map((e) => this.fieldRefusal(e, words)).join(" ");
      return body && typeof body.detail === "string" ? body.detail : words.failed(status);
    },
    // One invalid field ("Tekst: najwyżej 4000 znaków."): the field by its name, the problem by
    // its kind; one this page has no words for reads "not a valid value".
    fieldRefusal(error, words) {
      const path = (error.loc || []).filter((k) => k !== "body" && k !== "query");
      const name = path.filter((k) => typeof k === "string").pop();
      const field = (name && words.fields[name]) || path.join(".");
      const problem = words.fieldProblems[error.type];
      const text = problem ? problem(error.params || {}) : words.badField;
      return (field ? field + ": " : "") + text + ".";
    },
    // An Error whose message is made from a page's words by `say(words)`: shown with `tell`,
    // it is said again in the language the page switches to.
    failure(say, words) { return Object.assign(new Error(say(words)), { say }); },
    // What the server refused (status, body), as such an Error.
    refused(body, status, words) { return this.failure((w) => this.refusal(body, w, status), words); },
    // Put a sentence into `node` (an error, a status line): `what` is a function of the page's
    // words, an Error (one from `failure` keeps being said in the page's language), text, or
    // nothing to empty it. Kept on the node: `translate` says it again after a switch.
    tell(node, what, words) {
      const say = typeof what === "function" ? what : what instanceof Error ? what.say || (() => what.message) : () => what || "";
      node.omnibotSay = say;
      node.setAttribute("data-i18n-said", "");
      node.textContent = say(words);
    },
    // Log in: the staff token, or an Error saying why not in `words`' language.
    async login(email, password, words) {
      const r = await fetch("/api/auth/token", { method: "POST", body: new URLSearchParams({ username: email, password }) });
      const body = await r.json().catch(() => ({}));
      if (r.ok) return body.access_token;
      throw this.failure((w) => (body.code ? this.refusal(body, w, r.status) : r.status === 429 ? w.tooManyLogins : w.loginFailed), words);
    },
    // "ala@shop.pl (konsultant)": who is logged in, their role in the page's language.
    who(me, words) { return me.email + " (" + (words.roles[me.role] || me.role) + ")"; },
    remember(email, lang) {
      localStorage.setItem(LAST, lang);
      if (email) localStorage.setItem(userKey(email), lang);
    },
    // Put `words` into the page: the text of every [data-i18n] element and the
    // data-i18n-placeholder / -title / -aria-label attributes (dotted keys; a word that takes
    // an argument gets data-i18n-arg), and every sentence put in with `tell`.
    translate(words) {
      const word = (node, key) => {
        const w = key.split(".").reduce((o, k) => (o ? o[k] : undefined), words);
        return typeof w === "function" ? w(node.dataset.i18nArg) : w;
      };
      for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = word(node, node.dataset.i18n);
      for (const attr of ["placeholder", "title", "aria-label"]) {
        for (const node of document.querySelectorAll("[data-i18n-" + attr + "]")) node.setAttribute(attr, word(node, node.getAttribute("data-i18n-" + attr)));
      }
      for (const node of document.querySelectorAll("[data-i18n-said]")) if (node.omnibotSay) node.textContent = node.omnibotSay(words);
    },
    // A <select> offering the languages, showing `lang`.
    fillPicker(select, lang) {
      if (!select.options.length) for (const [code, name] of Object.entries(LANGUAGES)) select.append(new Option(name, code));
      select.value = lang;
    },
  };
})();

/* Dana's operator console (channels/console.py serves this page and its API).
   One page, four views chosen by the URL's hash; the queue, suspected outages
   and the open conversation arrive live over server-sent events (/api/events).
   Charts are Chart.js (npm, copied by web/build.sh). Staff texts in Kazakh and
   Russian are here; customers' texts are in Dana's domain. */
"use strict";

const STRINGS = {
  kk: {
    nav_queue: "Кезек", nav_requests: "Өтінімдер", nav_outages: "Жаппай ақаулар", nav_analytics: "Талдау",
    logout: "Шығу", login_title: "Dana операторларының пульті", username: "Пайдаланушы аты", password: "Құпиясөз",
    interface_language: "Интерфейс тілі", login: "Кіру",
    wrong: "Пайдаланушы аты не құпиясөз қате.", locked: "Тіркелгі бұғатталды: тым көп қате әрекет. Бұғат {until} ашылады.",
    disabled: "Тіркелгі өшірілген.", not_logged_in: "Сессия аяқталды, қайта кіріңіз.",
    queue_title: "Операторды күтіп тұрғандар", queue_empty: "Кезек бос.", waiting: "күтіп тұр",
    in_progress: "жұмыста: {operator}", claim: "Алу", close_handoff: "Аяқтау", send: "Жіберу",
    from_customer: "Абонент", from_dana: "Dana", from_operator: "Оператор {operator}",
    fact_language: "Тіл", fact_channel: "Арна", fact_topic: "Тақырып", fact_login: "Логин", fact_summary: "Қысқаша",
    fact_reason: "Себеп", handoff_n: "Сөйлесу №{id}",
    taken: "Бұл сөйлесуді басқа оператор алды.", resolved: "Сөйлесу аяқталған.", not_claimed: "Алдымен сөйлесуді алыңыз.",
    channel_cannot_receive: "Бұл арнаға кейін жазу мүмкін емес (телефон қоңырауы).",
    outside_24h_window: "Абоненттің соңғы хабарламасынан бері 24 сағат өтті: Meta жібертпейді.",
    requests_title: "Өтінімдер", apply: "Көрсету", overdue_only: "Тек мерзімі өткендер", search: "Логин, телефон не нөмір",
    all_kinds: "Барлық түрі", all_statuses: "Кез келген күйі", nothing_found: "Ештеңе табылмады.",
    col_request: "Өтінім", col_login: "Логин", col_phone: "Телефон", col_details: "Мәліметтер", col_filed: "Берілді",
    col_deadlines: "Мерзімдер", col_status: "Күйі", save: "Сақтау", receipt: "Түбіртек",
    kind_tickets: "Техник", kind_refunds: "Ақша қайтару", kind_investigations: "Төлемді іздеу", kind_callbacks: "Кері қоңырау",
    deadline_callback: "қоңырау", deadline_visit: "техник келуі", deadline_resolve: "шешілуі", deadline_answer: "жауап",
    state_met: "орындалды", state_late: "кешікті", state_overdue: "мерзімі өтті", state_pending: "күтілуде",
    status_open: "ашық", status_scheduled: "жоспарланды", status_resolved: "шешілді", status_cancelled: "күші жойылды",
    status_approved: "мақұлданды", status_rejected: "қабылданбады", status_done: "ақша қайтарылды",
    status_answered: "жауап берілді", status_closed: "жабылды", status_called: "қоңырау шалынды", status_failed: "байланыс болмады",
    status_saved: "Сақталды.", customer_told: "Сақталды; абонентке хабарланады.",
    declare_title: "Жаппай ақау жариялау", ends_in: "Болжамды аяқталуы:", hours: "сағаттан кейін", days: "күннен кейін",
    note: "Ескерту (міндетті емес)", declare: "Жариялау", active_outages: "Қазіргі жаппай ақаулар", no_outages: "Жаппай ақау жоқ.",
    col_area: "Аймақ", col_started: "Басталды", col_expected_end: "Болжамды аяқталуы", col_told: "Хабарланғандар",
    clear: "Жою", affected: "Кімге хабарланды", affected_title: "Хабарланған абоненттер",
    unknown_area: "Мұндай аймақта абонент жоқ.", did_you_mean: "Мүмкін: {names}", bad_until: "Аяқталу уақыты дұрыс емес.",
    suspected_banner: "Күдікті жаппай ақау: {area} — {reports} абонент {minutes} минут ішінде байланыс жоқ деп хабарлады.",
    confirm: "Растау ({amount} сағ.)", dismiss: "Қабылдамау",
    since: "Бастап", until: "Дейін", show: "Көрсету", export_csv: "CSV жүктеу",
    total_conversations: "Сөйлесулер", total_contained: "Dana өзі шешті", total_handed_off: "Операторға берілді",
    total_fallback: "Түсінбеген хабарламалар", total_messages: "Хабарламалар", total_csat: "Бағалау (орташа)",
    chart_channels: "Күн сайынғы сөйлесулер, арна бойынша", chart_languages: "Күн сайынғы сөйлесулер, тіл бойынша",
    chart_rates: "Өзі шешу, операторға беру және түсінбеу үлесі", chart_intents: "Жиі сұралатын тақырыптар",
    chart_csat: "Бағалау, сценарий бойынша", chart_requests: "Күн сайын берілген өтінімдер",
    deadlines_title: "Мерзімдер сақталды ма", col_kind: "Түрі", col_filed_n: "Берілді", col_met: "Уақытында",
    col_late: "Кешігіп орындалды", col_overdue: "Мерзімі өтті", col_pending: "Күтілуде", col_met_share: "Уақытында, %",
    misses_title: "Dana түсінбеген хабарламалар", col_message: "Хабарлама", col_count: "Саны", col_guess: "Болжам",
    col_label: "Ниет белгілеу", label: "Белгілеу", labelled: "Келесі оқытуға жазылды.",
    contained: "Өзі шешті", handed_off: "Операторға", fallback: "Түсінбеді", conversations: "сөйлесу", answers: "баға",
    forbidden_title: "Бұл бет тек супервайзерлерге арналған", forbidden_text: "Қажет болса, супервайзерге хабарласыңыз.",
    supervisors_only: "Бұл әрекет тек супервайзерлерге рұқсат етілген.", csrf: "Бетті жаңартып, қайталап көріңіз.",
    error: "Қате: {reason}", role_operator: "оператор", role_supervisor: "супервайзер",
    reason_requested: "абонент операторды сұрады", reason_fallback: "Dana түсінбеді",
    reason_login_not_found: "логин табылмады", reason_callback_failed: "кері қоңырауды тіркеу сәтсіз",
    reason_investigation_failed: "төлемді іздеу өтінімі тіркелмеді", reason_refund_failed: "қайтару өтінімі тіркелмеді",
    reason_ticket_failed: "техник өтінімі тіркелмеді", reason_bot_error: "IVR қатесі",
    deadline_all: "барлығы",
  },
  ru: {
    nav_queue: "Очередь", nav_requests: "Заявки", nav_outages: "Аварии", nav_analytics: "Аналитика",
    logout: "Выйти", login_title: "Пульт операторов Dana", username: "Имя пользователя", password: "Пароль",
    interface_language: "Язык интерфейса", login: "Войти",
    wrong: "Неверное имя пользователя или пароль.", locked: "Учётная запись заблокирована: слишком много неудачных попыток. Блокировка снимется в {until}.",
    disabled: "Учётная запись отключена.", not_logged_in: "Сессия закончилась, войдите снова.",
    queue_title: "Ждут оператора", queue_empty: "Очередь пуста.", waiting: "ждёт",
    in_progress: "в работе: {operator}", claim: "Взять", close_handoff: "Завершить", send: "Отправить",
    from_customer: "Абонент", from_dana: "Dana", from_operator: "Оператор {operator}",
    fact_language: "Язык", fact_channel: "Канал", fact_topic: "Тема", fact_login: "Логин", fact_summary: "Кратко",
    fact_reason: "Причина", handoff_n: "Диалог №{id}",
    taken: "Этот диалог взял другой оператор.", resolved: "Диалог завершён.", not_claimed: "Сначала возьмите диалог.",
    channel_cannot_receive: "В этот канал нельзя написать позже (телефонный звонок).",
    outside_24h_window: "С последнего сообщения абонента прошло 24 часа: Meta не доставит.",
    requests_title: "Заявки", apply: "Показать", overdue_only: "Только просроченные", search: "Логин, телефон или номер",
    all_kinds: "Все виды", all_statuses: "Любой статус", nothing_found: "Ничего не найдено.",
    col_request: "Заявка", col_login: "Логин", col_phone: "Телефон", col_details: "Подробности", col_filed: "Подана",
    col_deadlines: "Сроки", col_status: "Статус", save: "Сохранить", receipt: "Квитанция",
    kind_tickets: "Техник", kind_refunds: "Возврат", kind_investigations: "Поиск платежа", kind_callbacks: "Обратный звонок",
    deadline_callback: "звонок", deadline_visit: "выезд техника", deadline_resolve: "решение", deadline_answer: "ответ",
    state_met: "выполнено", state_late: "с опозданием", state_overdue: "просрочено", state_pending: "ожидается",
    status_open: "открыта", status_scheduled: "назначена", status_resolved: "решена", status_cancelled: "отменена",
    status_approved: "одобрена", status_rejected: "отклонена", status_done: "деньги возвращены",
    status_answered: "ответ дан", status_closed: "закрыта", status_called: "дозвонились", status_failed: "не дозвонились",
    status_saved: "Сохранено.", customer_told: "Сохранено; абонент получит сообщение.",
    declare_title: "Объявить аварию", ends_in: "Ожидаемое окончание через", hours: "ч", days: "дн.",
    note: "Примечание (необязательно)", declare: "Объявить", active_outages: "Текущие аварии", no_outages: "Аварий нет.",
    col_area: "Район", col_started: "Началась", col_expected_end: "Ожидаемое окончание", col_told: "Сообщено",
    clear: "Снять", affected: "Кому сообщено", affected_title: "Абоненты, которым сообщили",
    unknown_area: "В этом районе нет абонентов.", did_you_mean: "Возможно: {names}", bad_until: "Неверное время окончания.",
    suspected_banner: "Похоже на аварию: {area} — {reports} абонентов за {minutes} мин сообщили, что нет связи.",
    confirm: "Подтвердить ({amount} ч)", dismiss: "Отклонить",
    since: "С", until: "По", show: "Показать", export_csv: "Скачать CSV",
    total_conversations: "Диалоги", total_contained: "Решено Dana", total_handed_off: "Передано оператору",
    total_fallback: "Непонятые сообщения", total_messages: "Сообщения", total_csat: "Оценка (средняя)",
    chart_channels: "Диалоги по дням, по каналам", chart_languages: "Диалоги по дням, по языкам",
    chart_rates: "Доля решённых самостоятельно, переданных оператору и непонятых", chart_intents: "Частые темы",
    chart_csat: "Оценка по сценариям", chart_requests: "Заявки по дням",
    deadlines_title: "Соблюдение сроков", col_kind: "Вид", col_filed_n: "Подано", col_met: "В срок",
    col_late: "С опозданием", col_overdue: "Просрочено", col_pending: "Ожидается", col_met_share: "В срок, %",
    misses_title: "Сообщения, которые Dana не поняла", col_message: "Сообщение", col_count: "Сколько раз", col_guess: "Догадка",
    col_label: "Разметить намерение", label: "Разметить", labelled: "Записано для следующего обучения.",
    contained: "Решено сама", handed_off: "Оператору", fallback: "Не поняла", conversations: "диалогов", answers: "оценок",
    forbidden_title: "Эта страница только для супервайзеров", forbidden_text: "Если нужно, обратитесь к супервайзеру.",
    supervisors_only: "Это действие разрешено только супервайзерам.", csrf: "Обновите страницу и повторите.",
    error: "Ошибка: {reason}", role_operator: "оператор", role_supervisor: "супервайзер",
    reason_requested: "абонент попросил оператора", reason_fallback: "Dana не поняла",
    reason_login_not_found: "логин не найден", reason_callback_failed: "не удалось записать обратный звонок",
    reason_investigation_failed: "не удалось подать поиск платежа", reason_refund_failed: "не удалось подать возврат",
    reason_ticket_failed: "не удалось подать заявку на техника", reason_bot_error: "ошибка IVR",
    deadline_all: "всего",
  },
};

const state = { me: null, lang: localStorage.getItem("dana-console-language") || "kk", view: null,
  handoff: null, queue: [], suspected: [], events: null, charts: {}, report: null };
const $ = (selector, root = document) => root.querySelector(selector);
const CHART_COLOURS = ["#f5a623", "#1f6feb", "#2da44e", "#cf222e", "#8250df", "#57606a", "#bf8700", "#0969da"];

function t(key, values = {}) {
  const text = (STRINGS[state.lang] || STRINGS.kk)[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}

function element(tag, attributes = {}, ...children) {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") made.textContent = value;
    else if (name.startsWith("on")) made.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) made.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) made.append(child);
  return made;
}

function when(iso) {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(state.lang === "kk" ? "kk-KZ" : "ru-RU", {
    timeZone: "Asia/Almaty", day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit",
  }).format(new Date(iso));
}

function reason(code) {
  const known = (STRINGS[state.lang] || STRINGS.kk)[`reason_${code}`];
  return known || code || "";
}

function percent(share) { return share === null || share === undefined ? "—" : `${(share * 100).toFixed(1)}%`; }

async function api(path, { method = "GET", body } = {}) {
  const headers = {};
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    if (state.me) headers["X-CSRF-Token"] = state.me.csrf;
  }
  const answer = await fetch(`api/${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin" });
  const data = (answer.headers.get("Content-Type") || "").includes("json") ? await answer.json() : {};
  if (answer.status === 401 && path !== "login") { loggedOut(); }
  if (!answer.ok) throw Object.assign(new Error(data.error || String(answer.status)), { status: answer.status, data });
  return data;
}

function explain(error) {
  const reason = error.message;
  return (STRINGS[state.lang] || STRINGS.kk)[reason] ? t(reason) : t("error", { reason });
}

function translate() {
  document.documentElement.lang = state.lang;
  document.title = `Dana — ${t("login_title")}`;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  $("#request-search").placeholder = t("search");
  $("#outage-note").placeholder = t("note");
  $("#outage-unit").options[0].textContent = t("hours");
  $("#outage-unit").options[1].textContent = t("days");
  $("#language").value = state.lang;
  $("#login-language").value = state.lang;
  if (state.me) $("#who").textContent = `${state.me.username} (${t(`role_${state.me.role}`)})`;
}

// --- views -----------------------------------------------------------------
const VIEWS = { queue: showQueue, requests: showRequests, outages: showOutages, analytics: showAnalytics };

function route() {
  if (!state.me) return show("login");
  const wanted = (location.hash.match(/^#\/(\w+)/) || [])[1] || "queue";
  if (wanted === "analytics" && state.me.role !== "supervisor") return show("forbidden");
  show(VIEWS[wanted] ? wanted : "queue");
}

function show(name) {
  state.view = name;
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${name}`;
  for (const link of document.querySelectorAll("nav a")) link.classList.toggle("active", link.dataset.view === name);
  $("#top").hidden = !state.me;
  document.body.dataset.role = state.me ? state.me.role : "";
  document.body.dataset.view = name;
  if (VIEWS[name]) VIEWS[name]();
}

function loggedIn(me) {
  state.me = me;
  if (me.language) state.lang = me.language;
  localStorage.setItem("dana-console-language", state.lang);
  translate();
  listen();
  route();
}

function loggedOut() {
  state.me = null;
  if (state.events) state.events.close();
  state.events = null;
  translate();
  show("login");
}

// --- live updates ------------------------------------------------------------
function listen() {
  if (state.events) state.events.close();
  const query = state.handoff ? `?handoff=${state.handoff}` : "";
  const events = new EventSource(`api/events${query}`);
  events.addEventListener("queue", (event) => { state.queue = JSON.parse(event.data).handoffs; drawQueue(); });
  events.addEventListener("suspected", (event) => { state.suspected = JSON.parse(event.data).suspected; drawSuspected(); });
  events.addEventListener("conversation", (event) => drawConversation(JSON.parse(event.data)));
  events.addEventListener("logged_out", loggedOut);
  state.events = events;
}

// --- queue -------------------------------------------------------------------
function showQueue() { drawQueue(); }

function waited(row) {
  const seconds = Math.max(0, Math.round((Date.now() - new Date(row.created_at)) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function drawQueue() {
  const list = $("#queue");
  list.replaceChildren(...state.queue.map((row) => element("li", {
    class: `handoff${row.id === state.handoff ? " selected" : ""}${row.operator ? " taken" : ""}`,
    "data-id": row.id, onclick: () => openHandoff(row.id) },
  element("strong", { text: `#${row.id} · ${(row.language || "").toUpperCase()} · ${row.channel || ""}` }),
  element("span", { class: "topic", text: row.topic || reason(row.reason) }),
  row.login ? element("span", { class: "login", text: row.login }) : null,
  element("span", { class: "summary", text: row.summary || "" }),
  element("span", { class: "wait", text: row.operator ? t("in_progress", { operator: row.operator })
    : `${t("waiting")} ${waited(row)}` }))));
  $("#queue-empty").hidden = state.queue.length > 0;
}

async function openHandoff(id) {
  state.handoff = id;
  $("#conversation-error").textContent = "";
  try {
    drawConversation(await api(`handoffs/${id}`));
  } catch (error) { $("#conversation-error").textContent = explain(error); }
  listen();  // the stream now carries this conversation too
  drawQueue();
}

function drawConversation(found) {
  if (found.id !== state.handoff) return;
  $("#conversation").hidden = false;
  $("#conversation").dataset.id = found.id;
  $("#conversation").dataset.status = found.status;
  $("#conversation-title").textContent = t("handoff_n", { id: found.id });
  const facts = [["fact_language", (found.language || "").toUpperCase()], ["fact_channel", found.channel],
    ["fact_topic", found.topic], ["fact_reason", found.reason && reason(found.reason)], ["fact_login", found.login],
    ["fact_summary", found.summary]];
  $("#conversation-facts").replaceChildren(...facts.filter(([, value]) => value).flatMap(([key, value]) =>
    [element("dt", { text: t(key) }), element("dd", { text: value })]));
  const mine = found.operator === state.me.username;
  $("#claim").hidden = found.status !== "open" || mine;
  $("#close").hidden = found.status !== "open" || !mine;
  $("#reply-form").hidden = found.status !== "open" || !mine;
  const transcript = $("#transcript");
  const lines = (found.transcript || []).filter((line) => line.text || line.buttons);  // not the hand-off's data payload
  transcript.replaceChildren(...lines.map((line) => element("li", { class: `from-${line.from}` },
    element("span", { class: "who", text: line.from === "operator" ? t("from_operator", { operator: line.operator })
      : t(line.from === "customer" ? "from_customer" : "from_dana") }),
    element("span", { class: "text", text: line.text }),
    line.buttons ? element("span", { class: "buttons", text: line.buttons.map((b) => `[${b}]`).join(" ") }) : null,
    element("time", { text: when(new Date(line.timestamp * 1000).toISOString()) }))));
  transcript.scrollTop = transcript.scrollHeight;
}

async function handoffStep(step) {
  $("#conversation-error").textContent = "";
  try {
    await api(`handoffs/${state.handoff}/${step}`, { method: "POST", body: {} });
    drawConversation(await api(`handoffs/${state.handoff}`));
  } catch (error) { $("#conversation-error").textContent = explain(error); }
}

// --- requests ------------------------------------------------------------------
const KIND_STATUSES = {};

async function showRequests() {
  const kind = $("#request-kind").value, status = $("#request-status").value;
  const query = new URLSearchParams({ kind, status, q: $("#request-search").value,
    overdue: $("#request-overdue").checked ? "1" : "" });
  let found;
  try { found = await api(`requests?${query}`); } catch (error) { return; }
  const kinds = $("#request-kind");
  if (kinds.options.length === 0) {
    kinds.append(element("option", { value: "", text: t("all_kinds") }),
      ...found.kinds.map((name) => element("option", { value: name, text: t(`kind_${name}`) })));
  }
  for (const row of found.requests) KIND_STATUSES[row.kind] = row.allowed_statuses;
  const statuses = new Set(Object.values(KIND_STATUSES).flat());
  const statusSelect = $("#request-status");
  statusSelect.replaceChildren(element("option", { value: "", text: t("all_statuses") }),
    ...[...statuses].map((name) => element("option", { value: name, text: t(`status_${name}`) })));
  statusSelect.value = status;
  $("#requests tbody").replaceChildren(...found.requests.map(requestRow));
  $("#requests-empty").hidden = found.requests.length > 0;
}

function details(row) {
  const said = [row.problem, row.topic, row.partner, row.amount ? `${row.amount} ₸` : null, row.payment_date,
    row.wrong_login ? `→ ${row.wrong_login}` : null];
  return said.filter(Boolean).join(" · ");
}

function requestRow(row) {
  const select = element("select", { class: "status" }, ...(row.allowed_statuses || []).map((name) =>
    element("option", { value: name, text: t(`status_${name}`), selected: name === row.status })));
  const said = element("span", { class: "said" });
  const save = element("button", { class: "secondary", text: t("save"), onclick: async () => {
    try {
      const done = await api(`requests/${row.kind}/${row.id}/status`, { method: "POST", body: { status: select.value } });
      said.textContent = done.customer_told ? t("customer_told") : t("status_saved");
      row.status = select.value;
    } catch (error) { said.textContent = explain(error); }
  } });
  const deadlines = (row.deadlines || []).map((deadline) => element("span", {
    class: `deadline ${deadline.state}`, title: when(deadline.due),
    text: `${t(`deadline_${deadline.name}`)}: ${t(`state_${deadline.state}`)} (${when(deadline.met_at || deadline.due)})` }));
  const overdue = (row.deadlines || []).some((deadline) => deadline.overdue);
  return element("tr", { class: overdue ? "overdue" : "", "data-kind": row.kind, "data-id": row.id },
    element("td", {}, element("strong", { text: `${t(`kind_${row.kind}`)} №${row.id}` })),
    element("td", { text: row.login || "—" }), element("td", { text: row.phone || "—" }),
    element("td", {}, details(row), row.receipt_id ? element("a", { href: `api/receipts/${row.receipt_id}`,
      target: "_blank", rel: "noopener", text: ` ${t("receipt")}` }) : null),
    element("td", { text: when(row.created_at) }), element("td", {}, deadlines),
    element("td", {}, select, save, said));
}

// --- outages -------------------------------------------------------------------
async function showOutages() {
  let found;
  try { found = await api("outages"); } catch (error) { return; }
  const area = $("#outage-area");
  const chosen = area.value;
  area.replaceChildren(...found.areas.map((name) => element("option", { value: name, text: name })));
  if (chosen) area.value = chosen;
  state.suspected = found.suspected;
  drawSuspected();
  const supervisor = state.me.role === "supervisor";
  $("#outages tbody").replaceChildren(...found.active.map((outage) => element("tr", { "data-id": outage.id },
    element("td", { text: outage.area }), element("td", { text: when(outage.started_at) }),
    element("td", { text: when(outage.expected_end) }),
    element("td", {}, element("a", { href: "#/outages", text: `${outage.told ?? 0}`,
      onclick: (event) => { event.preventDefault(); showAffected(outage.id); } })),
    element("td", {}, supervisor ? element("button", { class: "secondary clear", text: t("clear"), onclick: async () => {
      try { await api(`outages/${outage.id}/clear`, { method: "POST", body: {} }); showOutages(); }
      catch (error) { $("#outage-error").textContent = explain(error); }
    } }) : null))));
  $("#outages-empty").hidden = found.active.length > 0;
}

async function showAffected(id) {
  const found = await api(`outages/${id}/affected`);
  $("#affected").hidden = false;
  $("#affected tbody").replaceChildren(...found.affected.map((row) => element("tr", {},
    element("td", { text: row.login || "—" }), element("td", { text: row.channel || "" }),
    element("td", { text: when(row.told_at) }))));
}

function until() { return `+${$("#outage-amount").value}${$("#outage-unit").value}`; }

function drawSuspected() {
  const banner = $("#suspected");
  banner.hidden = !state.me || state.suspected.length === 0;
  const supervisor = state.me && state.me.role === "supervisor";
  banner.replaceChildren(...state.suspected.map((found) => element("div", { class: "suspicion", "data-id": found.id },
    element("span", { text: t("suspected_banner", { area: found.area, reports: found.reports,
      minutes: found.minutes ?? Math.max(1, Math.round((new Date(found.raised_at) - new Date(found.first_report_at)) / 60000)) }) }),
    supervisor ? element("button", { class: "confirm", text: t("confirm", { amount: 4 }), onclick: async () => {
      await api(`suspected/${found.id}/confirm`, { method: "POST", body: { until: "+4h" } });
      if (state.view === "outages") showOutages();
    } }) : null,
    supervisor ? element("button", { class: "secondary dismiss", text: t("dismiss"), onclick: async () => {
      await api(`suspected/${found.id}/dismiss`, { method: "POST", body: {} });
    } }) : null)));
}

// --- analytics -----------------------------------------------------------------
function isoDay(date) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Almaty" }).format(date);
}

async function showAnalytics() {
  if (!$("#until").value) {
    $("#until").value = isoDay(new Date());
    $("#since").value = isoDay(new Date(Date.now() - 6 * 86400000));
  }
  const query = new URLSearchParams({ since: $("#since").value, until: $("#until").value });
  $("#csv").href = `api/analytics.csv?${query}`;
  let report;
  try { report = await api(`analytics?${query}`); } catch (error) { return; }
  state.report = report;
  const totals = report.totals;
  const figures = [["total_conversations", totals.conversations], ["total_contained", percent(totals.contained)],
    ["total_handed_off", percent(totals.handed_off)], ["total_fallback", percent(totals.fallback)],
    ["total_messages", totals.messages], ["total_csat", totals.csat_mean === null || totals.csat_mean === undefined ? "—" : totals.csat_mean.toFixed(2)]];
  $("#totals").replaceChildren(...figures.map(([key, value]) => element("div", { class: "figure", "data-figure": key },
    element("b", { text: String(value) }), element("span", { text: t(key) }))));
  drawCharts(report);
  // One row per deadline of each kind (a ticket has three): requests filed, then how each deadline went.
  $("#deadlines tbody").replaceChildren(...(report.requests || []).flatMap((row) => (row.by_deadline || []).map((one) =>
    element("tr", { "data-kind": row.kind, "data-deadline": one.deadline },
      element("td", { text: `${t(`kind_${row.kind}`)} — ${t(`deadline_${one.deadline}`)}` }),
      element("td", { text: row.filed }), element("td", { text: one.met }), element("td", { text: one.late }),
      element("td", { text: one.overdue }), element("td", { text: one.pending }),
      element("td", { text: percent(one.met_share) })))));
  $("#misses tbody").replaceChildren(...(report.misses || []).map((miss) => {
    const intents = element("select", {}, ...(report.known_intents || []).map((name) =>
      element("option", { value: name, text: name, selected: name === miss.guess })));
    const said = element("span", { class: "said" });
    return element("tr", {}, element("td", { text: miss.example }), element("td", { text: miss.count }),
      element("td", { text: miss.guess || "—" }), element("td", {}, intents, element("button", { class: "secondary",
        text: t("label"), onclick: async () => {
          try { await api("misses/label", { method: "POST", body: { example: miss.example, intent: intents.value } });
            said.textContent = t("labelled"); } catch (error) { said.textContent = explain(error); }
        } }), said));
  }));
}

function chart(id, config) {
  if (state.charts[id]) state.charts[id].destroy();
  config.options = { responsive: true, maintainAspectRatio: false, animation: false, ...(config.options || {}) };
  state.charts[id] = new Chart(document.getElementById(id), config);
}

function series(rows, key, days) {
  const names = [...new Set(rows.map((row) => row[key]).filter((name) => name))].sort();  // none: a day with no conversations
  return names.map((name, index) => ({ label: name, backgroundColor: CHART_COLOURS[index % CHART_COLOURS.length],
    borderColor: CHART_COLOURS[index % CHART_COLOURS.length],
    data: days.map((day) => rows.filter((row) => row.day === day && row[key] === name)
      .reduce((sum, row) => sum + row.conversations, 0)) }));
}

function drawCharts(report) {
  const days = [...new Set(report.per_day.map((row) => row.day))].sort();
  const stacked = { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } };
  chart("chart-channels", { type: "bar", data: { labels: days, datasets: series(report.per_day, "channel", days) }, options: stacked });
  chart("chart-languages", { type: "line", data: { labels: days, datasets: series(report.per_day, "language", days) },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } });
  const rates = report.rates_per_day || [];
  chart("chart-rates", { type: "line", data: { labels: rates.map((row) => row.day), datasets: ["contained", "handed_off", "fallback"]
    .map((key, index) => ({ label: t(key), borderColor: CHART_COLOURS[index], backgroundColor: CHART_COLOURS[index],
      data: rates.map((row) => row[key] === null ? null : row[key] * 100) })) },
  options: { scales: { y: { beginAtZero: true, max: 100, ticks: { callback: (value) => `${value}%` } } } } });
  chart("chart-intents", { type: "bar", data: { labels: report.intents.map((row) => row.intent),
    datasets: [{ label: t("total_messages"), data: report.intents.map((row) => row.count), backgroundColor: CHART_COLOURS[1] }] },
  options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } } });
  const csat = (report.csat_by_flow || []).filter((row) => row.flow && row.answers);
  chart("chart-csat", { type: "bar", data: { labels: csat.map((row) => `${row.flow} (${row.answers})`),
    datasets: [{ label: t("total_csat"), data: csat.map((row) => row.mean), backgroundColor: CHART_COLOURS[2] }] },
  options: { plugins: { legend: { display: false } }, scales: { y: { min: 0, max: 5 } } } });
  const requestDays = [...new Set((report.requests_per_day || []).map((row) => row.day))].sort();
  const kinds = [...new Set((report.requests_per_day || []).map((row) => row.kind))].sort();
  chart("chart-requests", { type: "bar", data: { labels: requestDays, datasets: kinds.map((kind, index) => ({
    label: t(`kind_${kind}`), backgroundColor: CHART_COLOURS[index % CHART_COLOURS.length],
    data: requestDays.map((day) => (report.requests_per_day.find((row) => row.day === day && row.kind === kind) || {}).filed || 0) })) },
  options: stacked });
}

// --- wiring --------------------------------------------------------------------
$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  state.lang = $("#login-language").value;
  translate();
  $("#login-error").textContent = "";
  try {
    loggedIn(await api("login", { method: "POST", body: { username: $("#username").value,
      password: $("#password").value, language: state.lang } }));
    $("#password").value = "";
  } catch (error) {
    $("#login-error").textContent = error.message === "locked"
      ? t("locked", { until: when(error.data.until) }) : explain(error);
  }
});
$("#login-language").addEventListener("change", () => { state.lang = $("#login-language").value; translate(); });
$("#logout").addEventListener("click", async () => { try { await api("logout", { method: "POST", body: {} }); } finally { loggedOut(); } });
$("#language").addEventListener("change", async () => {
  state.lang = $("#language").value;
  localStorage.setItem("dana-console-language", state.lang);
  translate();
  api("language", { method: "POST", body: { language: state.lang } }).catch(() => {});
  route();
});
$("#claim").addEventListener("click", () => handoffStep("claim"));
$("#close").addEventListener("click", () => handoffStep("close"));
$("#reply-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("#reply").value.trim();
  if (!text) return;
  try {
    await api(`handoffs/${state.handoff}/messages`, { method: "POST", body: { text } });
    $("#reply").value = "";
    drawConversation(await api(`handoffs/${state.handoff}`));
  } catch (error) { $("#conversation-error").textContent = explain(error); }
});
$("#request-filters").addEventListener("submit", (event) => { event.preventDefault(); showRequests(); });
$("#declare-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("#outage-error").textContent = "";
  try {
    await api("outages", { method: "POST", body: { area: $("#outage-area").value, until: until(), note: $("#outage-note").value } });
    showOutages();
  } catch (error) {
    const names = (error.data && error.data.suggestions) || [];
    $("#outage-error").textContent = explain(error) + (names.length ? ` ${t("did_you_mean", { names: names.join(", ") })}` : "");
  }
});
$("#period").addEventListener("submit", (event) => { event.preventDefault(); showAnalytics(); });
window.addEventListener("hashchange", route);
setInterval(() => { if (state.view === "queue") drawQueue(); }, 1000);  // waiting times tick

translate();
api("me").then(loggedIn, () => show("login"));

// The website widget in a real browser (headless Debian Chromium, driven by
// playwright-core): greeting, a typed problem, the login, a quick-reply
// button, a page reload that keeps the conversation; in Kazakh, then in
// Russian in a fresh browser context. Every message the page sends must carry
// a message_id. The WebSocket is cut as the typed problem goes out — in
// Kazakh with that message lost (as if its server had died with it), in
// Russian with it delivered and the answer on its way lost: the page must
// send it again, same id, after reconnecting, and its answer be shown once.
//
//   node web/e2e/widget.mjs <dana base url> [results dir]
//
// Exits 0 when every step passed; otherwise prints which step failed and why
// (and saves a *-failed.png screenshot) and exits 1.
//
// Its helpers (opening the widget, typing, waiting for Dana) are exported for
// the other browser scenarios (web/e2e/handoff.mjs); importing runs nothing.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const main = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
const [base, resultsDir = "results"] = main ? process.argv.slice(2) : [];
if (main && !base) {
  console.error("usage: node web/e2e/widget.mjs <dana base url> [results dir]");
  process.exit(2);
}
const origin = main ? new URL(base).origin : null;
// The box running this is small and busy: a first answer may take a while.
export const REPLY_MS = 120_000;
// Demo subscriber with a healthy line (bot/seed.py): Dana suggests a router
// restart and asks «did it help?» with Yes/No buttons.
const LOGIN = "0851234567";
export const KAZAKH_LETTERS = /[әғқңөұүһіӘҒҚҢӨҰҮҺІ]/;

const SCENARIOS = {
  kk: {
    greeting: "Сәлеметсіз бе! Мен — Дана",
    problem: "Сәлеметсіз бе, интернет істемей тұр",
    isLanguage: (text) => KAZAKH_LETTERS.test(text),
    cut: "lost",
  },
  ru: {
    greeting: "Здравствуйте! Я — Дана",
    problem: "Здравствуйте, пропал интернет",
    // Russian: Cyrillic and none of the letters only Kazakh has.
    isLanguage: (text) => /[а-яё]/i.test(text) && !KAZAKH_LETTERS.test(text),
    cut: "delivered",
  },
};

let step = "start";
const log = (message) => console.log(`[widget] ${message}`);

// Dana's messages as shown; a bubble still fading in has no text yet.
export const SHOWN = `[...document.querySelectorAll(".rw-response")].map((e) => e.innerText.trim()).filter(Boolean)`;
export const botTexts = (page) => page.evaluate(SHOWN);
const allTexts = (page) => page.$$eval(".rw-message", (els) => els.map((e) => e.innerText.trim()));

// At least `count` messages from Dana, then none new for 3 s: an answer is
// often several messages, shown one by one.
export async function waitForBotMessages(page, count) {
  await page.waitForFunction(`${SHOWN}.length >= ${count}`, null, { timeout: REPLY_MS });
  let texts = await botTexts(page);
  for (let quiet = 0; quiet < 3000; quiet += 500) {
    await page.waitForTimeout(500);
    const now = await botTexts(page);
    if (now.length !== texts.length) [texts, quiet] = [now, -500];
  }
  return texts;
}

// The data of a user_uttered in an Engine.IO packet: "4" (message), then the
// Socket.IO event "2[<ack id>][…]"; else null.
function userUttered(packet) {
  const match = /^42\d*(\[.*)$/s.exec(packet);
  if (!match) return null;
  try {
    const [event, data] = JSON.parse(match[1]);
    return event === "user_uttered" ? data : null;
  } catch {
    return null;
  }
}

// Collects in `sent` every user_uttered the page sends, long-polling or
// WebSocket; while `cut.text` is set, the first one with that text closes its
// WebSocket, delivered first if `cut.deliver` (it is kept in `cut.message`).
async function watchMessages(page, sent, cut) {
  page.on("request", (request) => {
    if (request.method() !== "POST" || !request.url().includes("/socket.io/")) return;
    // An Engine.IO 4 long-polling body: packets separated by \x1e.
    for (const packet of (request.postData() || "").split("\x1e")) {
      const data = userUttered(packet);
      if (data) sent.push(data);
    }
  });
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((frame) => {
      const data = userUttered(String(frame));
      if (data) sent.push(data);
      if (data && cut.text && data.message === cut.text) {
        [cut.text, cut.message] = [null, data];
        if (cut.deliver) server.send(frame);
        ws.close({ code: 1001, reason: "cut by the test" }).catch(() => {});
        server.close().catch(() => {});
        return;
      }
      server.send(frame);
    });
  });
}

export async function openWidget(page) {
  const container = page.locator(".rw-conversation-container");
  // hideWhenNotConnected: the launcher shows only once the socket is up; after
  // a reload the widget then restores its open/closed state from storage, so
  // wait for that before deciding to click (a click would toggle it shut).
  await page.locator(".rw-launcher").or(container).first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1500);
  if (await container.isVisible()) return;
  await page.locator(".rw-launcher").click({ timeout: 60_000 });
  await container.waitFor({ timeout: 30_000 });
}

export async function send(page, text) {
  const input = page.locator(".rw-new-message");
  await input.fill(text);
  await input.press("Enter");
  await page.waitForFunction(
    (t) => [...document.querySelectorAll(".rw-client")].some((e) => e.innerText.trim() === t), text,
    { timeout: 30_000 });
}

async function conversation(browser, lang) {
  const s = SCENARIOS[lang];
  // A fresh context per language: its own localStorage, so its own session.
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const outside = [];
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith("data:") && new URL(url).origin !== origin) outside.push(url);
  });
  const shot = join(resultsDir, `widget-${lang}.png`);
  const sent = [];
  const cut = { text: null, deliver: s.cut === "delivered", message: null };
  await watchMessages(page, sent, cut);
  try {
    step = `${lang}: open the page`;
    await page.goto(`${base}/webhooks/widget/?lang=${lang}`, { waitUntil: "load" });

    step = `${lang}: open the widget launcher`;
    await openWidget(page);

    step = `${lang}: greeting`;
    let texts = await waitForBotMessages(page, 1);
    if (!texts[0].includes(s.greeting)) throw new Error(`greeting was ${JSON.stringify(texts[0])}`);
    log(`${lang} greeting: ${texts[0].slice(0, 70)}…`);

    step = `${lang}: typed problem «${s.problem}», its WebSocket cut as it goes (${s.cut})`;
    let before = texts.length;
    cut.text = s.problem;
    await send(page, s.problem);
    texts = await waitForBotMessages(page, before + 1);
    const reply = texts.slice(before).join("\n");
    if (!s.isLanguage(reply)) throw new Error(`the reply is not in ${lang}: ${JSON.stringify(reply)}`);
    log(`${lang} reply: ${reply.slice(0, 90)}…`);

    step = `${lang}: the cut message sent again, answered once`;
    if (!cut.message) throw new Error("the message did not go out on a WebSocket: nothing was cut");
    const copies = sent.filter((m) => m.message_id === cut.message.message_id).length;
    if (copies !== 2) throw new Error(`sent ${copies} time(s) with its id, expected 2 (once again)`);
    const shown = await page.$$eval(".rw-client", (els, t) => els.filter((e) => e.innerText.trim() === t).length,
      s.problem);
    const replies = texts.slice(before);
    if (shown !== 1 || new Set(replies).size !== replies.length) {
      throw new Error(`shown ${shown} time(s), answered with ${JSON.stringify(replies)}`);
    }
    log(`${lang} cut (message ${s.cut}): sent again after the reconnect, answered once`);

    step = `${lang}: login ${LOGIN}`;
    before = texts.length;
    await send(page, LOGIN);
    texts = await waitForBotMessages(page, before + 1);
    log(`${lang} after the login: ${texts.slice(before).join(" | ").slice(0, 120)}…`);

    step = `${lang}: quick-reply button`;
    // Only the last message's buttons are shown: «Did it help?» Yes / No.
    const button = page.locator(".rw-reply").first();
    await button.waitFor({ timeout: 10_000 });
    const title = (await button.innerText()).trim();
    before = texts.length;
    await button.click();
    texts = await waitForBotMessages(page, before + 1);
    const answer = texts.slice(before).join(" | ");
    if (!s.isLanguage(answer)) throw new Error(`the answer to «${title}» is not in ${lang}: ${answer}`);
    log(`${lang} button «${title}» → ${answer.slice(0, 100)}…`);

    step = `${lang}: reload keeps the conversation`;
    const kept = await allTexts(page);
    await page.reload({ waitUntil: "load" });
    await openWidget(page);
    await page.waitForFunction((n) => document.querySelectorAll(".rw-message").length >= n, kept.length,
      { timeout: 30_000 });
    const restored = await allTexts(page);
    for (const text of [s.problem, reply.split("\n")[0]]) {
      if (!restored.some((t) => t.includes(text))) {
        throw new Error(`after reload «${text}» is gone; messages: ${JSON.stringify(restored)}`);
      }
    }
    log(`${lang} reload: ${restored.length} messages still shown`);

    step = `${lang}: every message carries a message_id`;
    const without = sent.filter((m) => !/^[A-Za-z0-9_-]{1,64}$/.test(m.message_id || ""));
    if (!sent.length || without.length) throw new Error(`${sent.length} sent, without an id: ${JSON.stringify(without)}`);

    step = `${lang}: no request left the server`;
    if (outside.length) throw new Error(`requests outside ${origin}: ${outside.join(", ")}`);

    await page.screenshot({ path: shot });
    log(`${lang} screenshot: ${shot}`);
  } catch (error) {
    await page.screenshot({ path: join(resultsDir, `widget-${lang}-failed.png`) }).catch(() => {});
    throw error;
  } finally {
    await context.close();
  }
}

// Headless Debian Chromium (scripts/chromium.sh; $CHROMIUM names it).
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    timeout: 60_000,
  });
}

if (main) {
  mkdirSync(resultsDir, { recursive: true });
  const browser = await launch();
  let failed = false;
  try {
    for (const lang of ["kk", "ru"]) await conversation(browser, lang);
    log("all steps passed");
  } catch (error) {
    failed = true;
    console.error(`[widget] FAILED at step "${step}": ${error.message}`);
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
}

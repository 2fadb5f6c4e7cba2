/*!
 * policyqa chat widget. Embed with one tag:
 *   <script src="https://HOST/widget.js" data-policyqa-api="https://HOST" data-lang="zh" defer></script>
 * Options (data- attributes): policyqa-api, lang (zh|en), title, accent, position (right|left),
 * greeting, suggestions (questions separated by "|"), store ("session" keeps the
 * conversation in sessionStorage; off by default).
 * Renders in a Shadow DOM, defines one global (window.PolicyQA), sends no cookies, stores
 * nothing unless told to, and renders every answer as text, never as HTML.
 */
(function () {
  "use strict";
  if (window.PolicyQA && window.PolicyQA.version) return;

  var script = document.currentScript || document.querySelector("script[data-policyqa-api]");
  var data = (script && script.dataset) || {};
  var apiBase = (data.policyqaApi || "").replace(/\/+$/, "");
  if (!apiBase && script && script.src) apiBase = new URL(script.src, location.href).origin;

  var STRINGS = {
    zh: {
      title: "政策问答助手", open: "打开政策问答助手", close: "关闭", send: "发送",
      placeholder: "请输入关于政策措施的问题…", label: "机器生成",
      notice: "回答由系统根据所引用的文件自动生成，请以引用的原文为准。标有“示例文件”的是演示用虚构文件，并非正式政策。",
      greeting: "您好！请问想了解哪项政策措施？我会引用原文条款回答。",
      sources: "来源", refused: "未找到有依据的回答", suggested: "可能相关的文件：",
      thinking: "正在检索条款…", done: "回答完成，共引用 {n} 处原文。",
      error: "抱歉，服务暂时不可用。", rateLimited: "提问太频繁了，请稍后再试。",
      retry: "重试", illustrative: "示例文件", official: "正式文件",
      status: { in_force: "现行有效", superseded: "已被替代", expired: "已失效" },
      clause: "条款原文", back: "返回对话", page: "第 {p} 页", language: "English",
      languageLabel: "切换到英文", interpreted: "理解为：", youAsked: "您的问题",
      docNumber: "文号："
    },
    en: {
      title: "Policy assistant", open: "Open the policy assistant", close: "Close", send: "Send",
      placeholder: "Ask about a policy measure…", label: "Machine-generated",
      notice: "Answers are generated automatically from the cited documents; check them against the quoted text. Documents marked “Illustrative” are samples for this demo, not official policy.",
      greeting: "Hello! Which policy measure would you like to know about? I answer by quoting the clauses.",
      sources: "Sources", refused: "No grounded answer found", suggested: "Closest documents: ",
      thinking: "Searching the clauses…", done: "Answer complete, {n} quoted sources.",
      error: "Sorry, the service is unavailable right now.", rateLimited: "Too many questions in a short time; please wait a moment.",
      retry: "Retry", illustrative: "Illustrative", official: "Official",
      status: { in_force: "In force", superseded: "Superseded", expired: "Expired" },
      clause: "Quoted clause", back: "Back to the conversation", page: "page {p}", language: "中文",
      languageLabel: "Switch to Chinese", interpreted: "Answered as: ", youAsked: "You asked",
      docNumber: "Document number: "
    }
  };

  var lang = (data.lang || document.documentElement.lang || "zh").slice(0, 2) === "en" ? "en" : "zh";
  var storeSession = data.store === "session";
  // "generative" or "extractive"; unset, the server's default mode answers.
  var mode = data.mode === "generative" || data.mode === "extractive" ? data.mode : null;
  var history = [];
  var busy = false;
  var lastQuestion = null;

  function t(key) { return STRINGS[lang][key]; }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  var CSS = [
    ":host{all:initial;--policyqa-accent:" + (data.accent || "#0b5cad") + ";--policyqa-text:#1a1a1a;",
    "--policyqa-muted:#4a4a4a;--policyqa-bg:#fff;--policyqa-soft:#f2f5f9;--policyqa-mark:#fff0a8;",
    "font:15px/1.5 system-ui,-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei',sans-serif}",
    "*{box-sizing:border-box}",
    ".launcher{position:fixed;bottom:20px;" + (data.position === "left" ? "left" : "right") + ":20px;",
    "z-index:2147483000;border:0;border-radius:28px;padding:12px 18px;background:var(--policyqa-accent);",
    "color:#fff;font:inherit;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".panel{position:fixed;bottom:80px;" + (data.position === "left" ? "left" : "right") + ":20px;",
    "z-index:2147483001;width:min(420px,calc(100vw - 16px));height:min(640px,calc(100vh - 100px));",
    "display:flex;flex-direction:column;background:var(--policyqa-bg);color:var(--policyqa-text);",
    "border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden}",
    ".panel[hidden]{display:none}",
    "header{display:flex;flex-wrap:wrap;align-items:center;gap:6px 8px;padding:10px 12px;background:var(--policyqa-accent);color:#fff}",
    "header button{white-space:nowrap}",
    "header h2{flex:1 1 auto;margin:0;font-size:16px;min-width:0}",
    ".badge{font-size:12px;border:1px solid currentColor;border-radius:10px;padding:0 6px;white-space:nowrap}",
    "header button{background:transparent;color:#fff;border:1px solid rgba(255,255,255,.7);border-radius:6px;",
    "padding:4px 8px;font:inherit;font-size:13px;cursor:pointer}",
    ".notice{margin:0;padding:8px 12px;font-size:12.5px;color:var(--policyqa-muted);background:var(--policyqa-soft)}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px}",
    ".msg{max-width:95%;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-break:break-word}",
    ".user{align-self:flex-end;background:var(--policyqa-accent);color:#fff}",
    ".bot{align-self:flex-start;background:var(--policyqa-soft)}",
    ".refused{border-left:4px solid #8a5a00}",
    ".meta{font-size:12px;color:var(--policyqa-muted);margin:0 0 4px}",
    ".chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}",
    ".chip,.ref{font:inherit;font-size:12.5px;border:1px solid var(--policyqa-accent);color:var(--policyqa-accent);",
    "background:#fff;border-radius:12px;padding:2px 8px;cursor:pointer;text-align:left}",
    ".ref{padding:0 4px;border-radius:4px;font-size:12px;vertical-align:baseline}",
    ".suggest{display:flex;flex-wrap:wrap;gap:6px}",
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #d0d7de}",
    "textarea{flex:1;resize:none;font:inherit;padding:8px;border:1px solid #767676;border-radius:8px;min-height:42px;color:var(--policyqa-text)}",
    "form button{font:inherit;border:0;border-radius:8px;padding:0 14px;background:var(--policyqa-accent);color:#fff;cursor:pointer}",
    "button:disabled{opacity:.6;cursor:not-allowed}",
    ":focus-visible{outline:3px solid #ffbf47;outline-offset:2px}",
    ".viewer{flex:1;overflow-y:auto;padding:12px}",
    // The author's display rules beat the hidden attribute's, so each hidden state is said.
    ".viewer[hidden],.log[hidden],form[hidden]{display:none}",
    ".viewer{display:flex;flex-direction:column;gap:6px}",
    ".viewer>*{flex:none}",
    ".viewer h3{font-size:15px;margin:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".viewer .meta{margin:0}",
    ".context{position:relative;white-space:pre-wrap;background:var(--policyqa-soft);padding:8px;border-radius:8px;",
    "flex:0 1 auto;min-height:6em;overflow-y:auto}",
    "mark{background:var(--policyqa-mark);color:inherit;outline:1px solid #c9a400}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".error button{margin-left:8px}",
    "@media (max-width:480px){.panel{left:0;right:0;bottom:0;width:100vw;height:100vh;border-radius:0}}",
    "@media (prefers-reduced-motion:no-preference){.panel{transition:opacity .15s}}"
  ].join("");

  var host = el("div", { id: "policyqa-widget" });
  var root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) { root.appendChild(el("style", { text: CSS })); }
  } else {
    root.appendChild(el("style", { text: CSS }));
  }

  var launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "policyqa-panel" });
  var panel = el("section", { class: "panel", id: "policyqa-panel", role: "dialog", "aria-modal": "false", hidden: "" });
  var heading = el("h2", { id: "policyqa-title" });
  var machineBadge = el("span", { class: "badge" });
  var langButton = el("button", { type: "button" });
  var closeButton = el("button", { type: "button" });
  var notice = el("p", { class: "notice" });
  var log = el("div", { class: "log", role: "log", "aria-label": "" });
  var live = el("div", { class: "sr", "aria-live": "polite", "aria-atomic": "false" });
  var viewer = el("div", { class: "viewer", hidden: "", role: "region", tabindex: "-1" });
  var input = el("textarea", { rows: "2", maxlength: "2000" });
  var sendButton = el("button", { type: "submit" });
  var form = el("form", {}, [input, sendButton]);
  panel.setAttribute("aria-labelledby", "policyqa-title");
  panel.appendChild(el("header", {}, [heading, machineBadge, langButton, closeButton]));
  panel.appendChild(notice);
  panel.appendChild(log);
  panel.appendChild(viewer);
  panel.appendChild(form);
  panel.appendChild(live);
  root.appendChild(launcher);
  root.appendChild(panel);

  function applyLanguage() {
    heading.textContent = data.title || t("title");
    launcher.textContent = data.title || t("title");
    launcher.setAttribute("aria-label", t("open"));
    machineBadge.textContent = t("label");
    langButton.textContent = t("language");
    // The accessible name starts with the visible text (WCAG 2.5.3, label in name).
    langButton.setAttribute("aria-label", t("language") + " – " + t("languageLabel"));
    langButton.setAttribute("lang", lang === "zh" ? "en" : "zh");
    closeButton.textContent = t("close");
    notice.textContent = t("notice");
    log.setAttribute("aria-label", t("title"));
    input.setAttribute("placeholder", t("placeholder"));
    input.setAttribute("aria-label", t("placeholder"));
    sendButton.textContent = t("send");
    panel.setAttribute("lang", lang === "zh" ? "zh-CN" : "en");
  }

  function greet() {
    var greeting = el("div", { class: "msg bot" }, [document.createTextNode(data.greeting || t("greeting"))]);
    log.appendChild(greeting);
    var suggestions = (data.suggestions || "").split("|").map(function (s) { return s.trim(); }).filter(Boolean);
    if (suggestions.length) {
      var box = el("div", { class: "suggest" });
      suggestions.forEach(function (q) {
        var b = el("button", { type: "button", class: "chip", text: q });
        b.addEventListener("click", function () { ask(q); });
        box.appendChild(b);
      });
      log.appendChild(box);
    }
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    if (!log.childNodes.length) greet();
    input.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  function setLanguage(next) {
    lang = next === "en" ? "en" : "zh";
    applyLanguage();
  }

  launcher.addEventListener("click", function () { panel.hidden ? open() : close(); });
  closeButton.addEventListener("click", close);
  langButton.addEventListener("click", function () { setLanguage(lang === "zh" ? "en" : "zh"); });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      if (!viewer.hidden) closeViewer(); else close();
    }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : submit(event);
    }
  });
  form.addEventListener("submit", submit);
  function submit(event) {
    event.preventDefault();
    var question = input.value.trim();
    if (question && !busy) { input.value = ""; ask(question); }
  }

  // Answer text is plain text; [n] markers become buttons. Nothing is parsed as HTML.
  function renderAnswer(container, text, citations) {
    container.textContent = "";
    var byN = {};
    citations.forEach(function (c) { byN[c.n] = c; });
    var parts = text.split(/(\[\d{1,3}\])/);
    parts.forEach(function (part) {
      var m = /^\[(\d{1,3})\]$/.exec(part);
      if (m && byN[m[1]]) {
        var c = byN[m[1]];
        var b = el("button", { type: "button", class: "ref", text: part, "aria-label": t("sources") + " " + m[1] + ": " + c.doc_title });
        b.addEventListener("click", function () { openClause(c); });
        container.appendChild(b);
      } else {
        container.appendChild(document.createTextNode(part));
      }
    });
  }

  // An eligibility answer ends with the questions that would settle the measures still to
  // confirm: each becomes a button that puts it in the input, for the user to answer.
  function renderFollowUps(box, eligibility) {
    (eligibility.follow_up_questions || []).forEach(function (q) {
      var b = el("button", { type: "button", class: "chip follow-up", text: q });
      b.addEventListener("click", function () { input.value = ""; input.placeholder = q; input.focus(); });
      box.appendChild(b);
    });
  }

  // The same questions as text lines would repeat the buttons right under them.
  function withoutFollowUps(text, eligibility) {
    var asked = {};
    (eligibility.follow_up_questions || []).forEach(function (q) { asked["- " + q] = true; });
    return text.split("\n").filter(function (line) { return !asked[line]; }).join("\n");
  }

  function renderChips(box, citations) {
    box.textContent = "";
    citations.forEach(function (c) {
      var label = "[" + c.n + "] " + c.doc_title + (c.official ? "" : " · " + t("illustrative")) +
        (c.status !== "in_force" ? " · " + t("status")[c.status] : "");
      var chip = el("button", { type: "button", class: "chip", text: label });
      chip.addEventListener("click", function () { openClause(c); });
      box.appendChild(chip);
    });
  }

  function closeViewer() {
    viewer.hidden = true;
    log.hidden = false;
    form.hidden = false;
    if (viewer._returnFocus) viewer._returnFocus.focus();
  }

  function openClause(citation) {
    viewer._returnFocus = root.activeElement;
    viewer.textContent = "";
    viewer.appendChild(el("p", { class: "meta", text: t("thinking") }));
    viewer.hidden = false;
    log.hidden = true;
    form.hidden = true;
    fetch(apiBase + "/v1/clauses/" + encodeURIComponent(citation.clause_id), { credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (clause) { showClause(citation, clause); })
      .catch(function () {
        viewer.textContent = "";
        viewer.appendChild(el("p", { class: "error", text: t("error") }));
        viewer.appendChild(backButton());
        viewer.focus();
      });
  }

  function backButton() {
    var back = el("button", { type: "button", class: "chip", text: t("back") });
    back.addEventListener("click", closeViewer);
    return back;
  }

  // The quote comes first, under a one-line title, so it is on screen without scrolling at
  // any panel size; where the document sits (number, heading path, page) follows it.
  function showClause(citation, clause) {
    var doc = clause.document;
    viewer.textContent = "";
    viewer.setAttribute("aria-label", t("clause"));
    viewer.appendChild(backButton());
    var title = el("h3", { text: doc.title, title: doc.title });
    viewer.appendChild(title);
    var badges = el("p", { class: "meta" });
    badges.appendChild(el("span", { class: "badge", text: doc.official ? t("official") : t("illustrative") }));
    badges.appendChild(document.createTextNode(" "));
    badges.appendChild(el("span", { class: "badge", text: t("status")[doc.status] || doc.status }));
    viewer.appendChild(badges);
    // The quote is highlighted by its offsets within the context span, as text nodes.
    var context = el("div", { class: "context" });
    var text = clause.context;
    var a = Math.max(0, citation.start - clause.context_start);
    var b = Math.min(text.length, citation.end - clause.context_start);
    context.appendChild(document.createTextNode(text.slice(0, a)));
    var mark = el("mark", { text: text.slice(a, b) });
    context.appendChild(mark);
    context.appendChild(document.createTextNode(text.slice(b)));
    viewer.appendChild(context);
    viewer.appendChild(el("p", { class: "meta where", text: clause.clause.heading_path + " · " +
      t("page").replace("{p}", String(citation.page)) + " · " + citation.clause_id }));
    if (doc.doc_number) viewer.appendChild(el("p", { class: "meta", text: t("docNumber") + doc.doc_number }));
    viewer.focus({ preventScroll: true });
    // Neighbouring clauses before the quote can be long: the context box scrolls by itself so
    // the highlighted quote starts near its top.
    context.scrollTop = Math.max(0, mark.offsetTop - 24);
  }

  function addMessage(role, text) {
    var m = el("div", { class: "msg " + role });
    if (role === "user") m.appendChild(el("span", { class: "sr", text: t("youAsked") + ": " }));
    m.appendChild(document.createTextNode(text));
    log.appendChild(m);
    log.scrollTop = log.scrollHeight;
    return m;
  }

  function showError(message, question) {
    var box = el("div", { class: "msg bot error", role: "alert" }, [document.createTextNode(message)]);
    var retry = el("button", { type: "button", class: "chip", text: t("retry") });
    retry.addEventListener("click", function () { box.remove(); ask(question, true); });
    box.appendChild(retry);
    log.appendChild(box);
  }

  function ask(question, isRetry) {
    if (busy) return;
    busy = true;
    sendButton.disabled = true;
    lastQuestion = question;
    if (!isRetry) addMessage("user", question);
    var bubble = el("div", { class: "msg bot", "aria-busy": "true" });
    var meta = el("p", { class: "meta", text: t("label") + " · " + t("thinking") });
    var body = el("div");
    var chips = el("div", { class: "chips" });
    bubble.appendChild(meta);
    bubble.appendChild(chips);
    bubble.appendChild(body);
    log.appendChild(bubble);
    live.textContent = t("thinking");
    var citations = [];
    var textSoFar = "";
    var finished = false;

    function handle(event, payload) {
      if (event === "citations") {
        citations = payload.citations || [];
        renderChips(chips, citations);
        if (payload.standalone_question) meta.textContent = t("label") + " · " + t("interpreted") + payload.standalone_question;
      } else if (event === "delta") {
        // A generated sentence arrives as soon as it is validated; its [n] work at once.
        textSoFar += payload.text;
        renderAnswer(body, textSoFar, citations);
        // Only the new line is announced, not the whole answer again.
        live.textContent = payload.text;
      } else if (event === "done") {
        finished = true;
        renderAnswer(body, payload.eligibility ? withoutFollowUps(payload.answer, payload.eligibility) : payload.answer, payload.citations);
        renderChips(chips, payload.citations);
        meta.textContent = t("label") + (payload.standalone_question ? " · " + t("interpreted") + payload.standalone_question : "");
        if (!payload.answered) {
          bubble.classList.add("refused");
          meta.textContent = t("label") + " · " + t("refused");
        }
        if (payload.eligibility) renderFollowUps(bubble, payload.eligibility);
        history.push({ question: question, clause_ids: payload.citations.map(function (c) { return c.clause_id; }) });
        history = history.slice(-3);
        live.textContent = t("done").replace("{n}", String(payload.citations.length));
      } else if (event === "error") {
        finished = true;
        bubble.remove();
        showError(payload.message || t("error"), question);
      }
    }

    fetch(apiBase + "/v1/ask/stream", {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify(mode ? { question: question, language: lang, history: history, mode: mode } : { question: question, language: lang, history: history })
    }).then(function (response) {
      if (response.status === 429) throw { friendly: t("rateLimited") };
      if (!response.ok || !response.body) throw { friendly: t("error") };
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return;
          buffer += decoder.decode(chunk.value, { stream: true });
          var blocks = buffer.split("\n\n");
          buffer = blocks.pop();
          blocks.forEach(function (block) {
            var event = "message", dataLines = [];
            block.split("\n").forEach(function (line) {
              if (line.indexOf("event: ") === 0) event = line.slice(7);
              else if (line.indexOf("data: ") === 0) dataLines.push(line.slice(6));
            });
            if (dataLines.length) handle(event, JSON.parse(dataLines.join("\n")));
          });
          return pump();
        });
      }
      return pump();
    }).catch(function (err) {
      if (!finished) {
        bubble.remove();
        showError((err && err.friendly) || t("error"), question);
      }
    }).then(function () {
      busy = false;
      sendButton.disabled = false;
      bubble.removeAttribute("aria-busy");
      log.scrollTop = log.scrollHeight;
      if (storeSession) {
        try { sessionStorage.setItem("policyqa-history", JSON.stringify(history)); } catch (e) { /* storage off */ }
      }
    });
  }

  if (storeSession) {
    try { history = JSON.parse(sessionStorage.getItem("policyqa-history") || "[]"); } catch (e) { history = []; }
  }
  applyLanguage();
  (document.body || document.documentElement).appendChild(host);

  window.PolicyQA = Object.freeze({
    version: "0.1.0", open: open, close: close, setLanguage: setLanguage,
    ask: function (q) { open(); ask(String(q)); }
  });
})();

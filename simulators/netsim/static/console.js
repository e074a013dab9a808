/* netsim's web console: live updates (server-sent events) and the controls, which use the
   JSON control API. No build step, no framework. */
"use strict";

(function () {
  const body = document.body;
  const lang = body.dataset.lang;
  const fleet = body.dataset.fleet;
  const errors = JSON.parse(body.dataset.errors || "{}");
  const query = "lang=" + encodeURIComponent(lang) + (fleet ? "&fleet=" + encodeURIComponent(fleet) : "");

  function say(where, text, bad) {
    if (!where) return;
    where.textContent = text;
    where.classList.toggle("bad", Boolean(bad));
  }

  async function post(path, payload, message) {
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
      });
    } catch (err) {
      say(message, (errors.other || "{0}").replace("{0}", String(err)), true);
      return false;
    }
    if (response.ok) {
      say(message, body.dataset.done, false);
      return true;
    }
    let problem = {};
    try { problem = await response.json(); } catch (err) { problem = {}; }
    const text = errors[problem.code] || (errors.other || "{0}").replace("{0}", problem.detail || response.status);
    say(message, text, true);
    return false;
  }

  function cardOf(element) { return element.closest("article.card"); }
  function messageOf(card) { return card.querySelector(":scope > .message"); }

  /* In-call keys (POST /keys): #1 and #3 from their buttons (by REFER when the card's box is
     ticked), any digits from the dial field's "send the keys" button. */
  function sendKeys(card, keys, method) {
    const message = messageOf(card);
    post("/keys", { number: card.dataset.e164, keys: keys, method: method }, message).then(function (ok) {
      if (ok) say(message, body.dataset.keysSent.replace("{0}", keys), false);
    });
  }

  /* A card offers the in-call keys while its handset has a call (talking, placing or holding
     one); when they go, a focus that was on them moves to the dial field. */
  function showInCall(card, on) {
    const group = document.getElementById(card.id + "-incall");
    const hint = document.getElementById(card.id + "-hint");
    const input = document.getElementById(card.id + "-to");
    const send = card.querySelector("button.send-keys");
    if (!group || !hint || !input || !send) return;
    if (group.hidden === !on) return;
    const focused = document.activeElement;
    const leaving = !on && focused && (group.contains(focused) || focused === send);
    group.hidden = !on;
    hint.hidden = !on;
    send.hidden = !on;
    if (on) input.setAttribute("aria-describedby", hint.id);
    else input.removeAttribute("aria-describedby");
    if (leaving) input.focus();
  }

  function behaviour(card) {
    const id = card.id;
    const seconds = Number(document.getElementById(id + "-seconds").value || 0);
    return { answer: document.getElementById(id + "-answer").value, seconds: seconds };
  }

  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target.dataset.misbehaviour) {  /* the SMSC section: a misbehaviour on or off */
      post("/smsc/misbehaviours", { name: target.dataset.misbehaviour, on: target.checked },
        document.getElementById("smsc-message")).then(function (ok) {
        if (!ok) target.checked = !target.checked;
      });
      return;
    }
    const card = cardOf(target);
    if (!card) return;
    const e164 = encodeURIComponent(card.dataset.e164);
    if (target.dataset.act === "state") {
      post("/handsets/" + e164 + "/state", { state: target.value }, messageOf(card));
    } else if (target.dataset.act === "behaviour") {
      post("/handsets/" + e164 + "/behaviour", behaviour(card), messageOf(card));
    }
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button");
    if (!button) return;
    const card = cardOf(button);
    if (!card) return;
    const key = button.dataset.key;
    if (key) {
      const input = card.querySelector("form.dial input[name=to]");
      input.value = key === "clear" ? "" : input.value + key;
      return;
    }
    const act = button.dataset.act;
    if (act === "keys") {
      const refer = document.getElementById(card.id + "-refer");
      sendKeys(card, button.dataset.keys, refer && refer.checked ? "refer" : "info");
      return;
    }
    if (["answer", "hang_up", "hold", "retrieve"].includes(act)) {
      post("/" + act, { number: card.dataset.e164 }, messageOf(card));
    }
  });

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.id === "add-outside") {
      event.preventDefault();
      const input = form.querySelector("input[name=number]");
      const number = input.value.trim();
      if (!number) return;
      post("/handsets/" + encodeURIComponent(number) + "/state", { state: "on" },
        form.querySelector(".message")).then(function (ok) { if (ok) input.value = ""; });
      return;
    }
    if (form.dataset.act === "dial") {
      event.preventDefault();
      const card = cardOf(form);
      const to = form.querySelector("input[name=to]").value.replace(/\s+/g, "");
      if (!to) { say(messageOf(card), body.dataset.nothing, true); return; }
      const submitter = event.submitter;
      if (submitter && submitter.value === "keys") sendKeys(card, to, "info");
      else post("/dial", { from: card.dataset.e164, to: to }, messageOf(card));
    }
  });

  /* -- live ------------------------------------------------------------------------------ */

  const pending = new Set();

  async function addCard(data) {
    if (pending.has(data.id)) return;
    pending.add(data.id);
    try {
      const response = await fetch("/console/cards/" + encodeURIComponent(data.e164) + "?" + query);
      if (!response.ok) return;
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();
      const card = holder.querySelector("article.card");
      if (card && !document.getElementById(data.id)) place(card, data.kind);
    } finally {
      pending.delete(data.id);
    }
  }

  function place(card, kind) {
    const list = document.getElementById(kind === "outside" ? "outside-cards" : "cards");
    if (card.parentElement !== list) list.appendChild(card);
    card.dataset.kind = kind;
  }

  function handset(data) {
    const card = document.getElementById(data.id);
    if (!card) { addCard(data); return; }
    if (card.dataset.kind !== data.kind) place(card, data.kind);
    document.getElementById(data.id + "-live").innerHTML = data.html;
    showInCall(card, Boolean(data.in_call));
    const controls = { state: data.state, answer: data.answer, seconds: data.seconds };
    for (const name of Object.keys(controls)) {
      const control = document.getElementById(data.id + "-" + name);
      if (control && control !== document.activeElement) control.value = controls[name];
    }
  }

  function record(data) {
    if (document.getElementById(data.id)) return;
    const list = document.getElementById("timeline");
    const holder = document.createElement("ol");
    holder.innerHTML = data.html;
    const item = holder.firstElementChild;
    if (item) list.insertBefore(item, list.firstChild);
    const empty = document.getElementById("timeline-empty");
    if (empty) empty.remove();
  }

  if (window.EventSource) {
    const status = document.getElementById("live-status");
    const source = new EventSource("/console/events?" + query);
    source.addEventListener("hello", function () { status.textContent = body.dataset.liveOn; status.classList.add("on"); });
    source.addEventListener("error", function () { status.textContent = body.dataset.liveOff; status.classList.remove("on"); });
    source.addEventListener("handset", function (event) { handset(JSON.parse(event.data)); });
    source.addEventListener("calls", function (event) {
      document.getElementById("calls").innerHTML = JSON.parse(event.data).html;
    });
    source.addEventListener("record", function (event) { record(JSON.parse(event.data)); });
    source.addEventListener("smsc", function (event) {
      const data = JSON.parse(event.data);
      const where = document.getElementById("smsc-live");
      if (where) where.innerHTML = data.html;
      for (const box of document.querySelectorAll("input[data-misbehaviour]")) {
        box.checked = data.misbehaviours.includes(box.dataset.misbehaviour);
      }
    });
  }
})();

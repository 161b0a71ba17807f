// turnout's dashboard: the little it adds to pages that work without it. Buttons ask before
// they act; a running run's log grows live (server-sent events, resumed from the last byte
// offset received, polling when the server has no live stream to spare). Text goes in through
// textContent only: nothing from a log is ever parsed as markup.
"use strict";

document.addEventListener("submit", (event) => {
  const question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});

const kMaxLines = 20000;  // lines kept in the page; older ones go, the raw log has them all
const kColours = { 30: 0, 31: 1, 32: 2, 33: 3, 34: 4, 35: 5, 36: 6, 37: 7 };

// One log line's text as spans, its SGR colours as classes (as the server renders them).
function spans(text) {
  const out = [];
  let bold = false, colour = -1, at = 0;
  const sgr = /\x1b\[([0-9;]*)([@-~])|\x1b./g;
  const push = (piece) => {
    if (!piece) return;
    const span = document.createElement("span");
    const classes = [];
    if (bold) classes.push("b");
    if (colour >= 0) classes.push("fg" + colour);
    if (classes.length) span.className = classes.join(" ");
    span.textContent = piece.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
    out.push(span);
  };
  for (let m; (m = sgr.exec(text)) !== null;) {
    push(text.slice(at, m.index));
    at = sgr.lastIndex;
    if (m[2] !== "m") continue;
    for (const part of (m[1] || "0").split(";")) {
      const code = Number(part || 0);
      if (code === 0) { bold = false; colour = -1; }
      else if (code === 1) bold = true;
      else if (code === 22) bold = false;
      else if (code in kColours) colour = kColours[code];
      else if (code === 39) colour = -1;
      else if (code >= 90 && code <= 97) colour = code - 82;
      else if (code === 38 || code === 48) break;
    }
  }
  push(text.slice(at));
  return out;
}

function lineElement(text, number, offset) {
  const line = document.createElement("div");
  line.className = "line";
  const match = /^(\S{24}) (\S+) ?(.*)$/.exec(text);
  const time = match ? match[1] : "", marker = match ? match[2] : "", rest = match ? match[3] : text;
  if (marker === "err") line.classList.add("err");
  if (marker === "==>" || marker === "-->" || marker === "===") line.classList.add("head");
  line.id = number > 0 ? "L" + number : "B" + offset;
  const anchor = document.createElement("a");
  anchor.className = "ln";
  anchor.href = "#" + line.id;
  anchor.textContent = number > 0 ? String(number) : "";
  const clock = document.createElement("time");
  clock.dateTime = time;
  clock.title = time;
  clock.textContent = time.slice(11, 19);
  const mark = document.createElement("span");
  mark.className = "mk";
  mark.textContent = marker;
  const body = document.createElement("span");
  body.className = "tx";
  body.append(...spans(rest));
  line.append(anchor, clock, mark, body);
  return line;
}

function followLog(box) {
  const stream = box.dataset.follow;                    // /api/runs/ID/log?follow=1
  const plain = stream.replace(/\?follow=1$/, "");       // /api/runs/ID/log
  const run = plain.replace(/\/log$/, "");               // /api/runs/ID
  const toggle = document.getElementById("follow");
  const state = document.getElementById("live-state");
  let offset = Number(box.dataset.offset) || 0;
  const last = box.querySelector(".line:last-child .ln");
  let number = last && last.textContent ? Number(last.textContent) + 1 : (offset === 0 ? 1 : 0);
  let source = null, opened = false, polling = false;

  toggle.parentElement.hidden = false;
  state.hidden = false;
  const say = (text) => { state.textContent = text; };

  const append = (text, endOffset) => {
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    let at = offset;
    const fragment = document.createDocumentFragment();
    for (const line of lines) {
      fragment.append(lineElement(line, number, at));
      if (number > 0) number += 1;
      at += new TextEncoder().encode(line + "\n").length;
    }
    box.append(fragment);
    while (box.childElementCount > kMaxLines) box.firstElementChild.remove();
    offset = endOffset;
    if (toggle.checked) box.scrollTop = box.scrollHeight;
  };
  const ended = () => {
    say("The run has ended. Reload the page for its result.");
    if (source) source.close();
  };

  const connect = () => {
    source = new EventSource(stream + "&offset=" + offset);
    source.onopen = () => { opened = true; say("Live"); };
    source.onmessage = (event) => append(event.data + "\n", Number(event.lastEventId) || offset);
    source.addEventListener("end", ended);
    source.onerror = () => {
      source.close();
      // Refused before it opened (the server answers 503 beyond its live streams): poll.
      if (!opened) { poll(); return; }
      opened = false;
      say("Reconnecting…");
      setTimeout(connect, 1000);  // resumes from the last event's id: the byte offset after it
    };
  };

  const poll = async () => {
    if (!polling) say("Polling every 2 s (no live stream free)");
    polling = true;
    try {
      const answer = await fetch(plain + "?offset=" + offset, { credentials: "same-origin" });
      if (answer.ok) {
        const text = await answer.text();
        const cut = text.lastIndexOf("\n") + 1;  // complete lines only; the rest comes next time
        if (cut > 0) append(text.slice(0, cut), offset + new TextEncoder().encode(text.slice(0, cut)).length);
      }
      const status = await fetch(run, { credentials: "same-origin" });
      if (status.ok) {
        const body = await status.json();
        if (!["queued", "running"].includes(body.status)) { ended(); return; }
      }
    } catch (error) {
      say("Cannot reach the agent; trying again");
    }
    setTimeout(poll, 2000);
  };

  if (toggle.checked) box.scrollTop = box.scrollHeight;
  connect();
}

document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("#log[data-follow]");
  if (box) followLog(box);
});

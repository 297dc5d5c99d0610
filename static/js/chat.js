// The live chat box: polls for new messages, sends without ever doubling one, and never
// inserts user text as HTML (textContent only).

const POLL_MS = 5000;
const MAX_BACKOFF_MS = 60000;
const COUNTER_FROM = 9000;
const NEAR_BOTTOM_PX = 80;

const root = document.getElementById("chat");
const data = JSON.parse(document.getElementById("chat-data").textContent);
const log = root.querySelector(".chat-log");
const list = root.querySelector(".messages");
const empty = root.querySelector(".chat-empty");
const template = document.getElementById("message-template");
const notice = root.querySelector(".connection-notice");
const announcer = document.getElementById("chat-announcer");
const newMessagesButton = root.querySelector(".new-messages");
const loadEarlierRow = root.querySelector(".load-earlier-row");
const loadEarlierButton = root.querySelector(".load-earlier");
const form = root.querySelector(".composer");

const state = {
  lastSeq: data.lastSeq,
  oldestSeq: data.oldestSeq,
  otherLastReadSeq: data.otherLastReadSeq,
  etag: null,
  unreadAfter: null, // while hidden: the seq after which messages were shown but not read
  failures: 0,
  timer: null,
  polling: false,
};

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: data.timeZone,
});
const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: data.timeZone,
});
// YYYY-MM-DD in the clinic's time zone, as the server marks its separators.
const isoDay = new Intl.DateTimeFormat("en-CA", {
  year: "numeric", month: "2-digit", day: "2-digit", timeZone: data.timeZone,
});
const dayKey = (date) => isoDay.format(date);

function csrfToken() {
  const input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.split("=")[1]) : "";
}

function humanSize(bytes) {
  const units = ["bytes", "KB", "MB", "GB"];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${size} bytes` : `${size.toFixed(1)} ${units[unit]}`;
}

function addDefinition(dl, term, value) {
  if (!value) return;
  const row = document.createElement("div");
  const dt = document.createElement("dt");
  const dd = document.createElement("dd");
  dt.textContent = term;
  dd.textContent = value;
  row.append(dt, dd);
  dl.append(row);
  dl.hidden = false;
}

function attachmentNode(kind, attachment) {
  const item = document.createElement("li");
  if (kind === "image") {
    const link = document.createElement("a");
    link.href = attachment.url;
    link.target = "_blank";
    link.rel = "noopener";
    const image = document.createElement("img");
    image.className = "thumb";
    image.src = attachment.url;
    image.alt = attachment.name;
    image.loading = "lazy";
    link.append(image);
    item.append(link);
  } else if (kind === "video") {
    const video = document.createElement("video");
    video.controls = true;
    video.preload = "metadata";
    video.src = attachment.url;
    video.setAttribute("aria-label", attachment.name);
    item.append(video);
  } else {
    const link = document.createElement("a");
    link.className = "file";
    link.href = attachment.url;
    link.download = "";
    link.textContent = attachment.name;
    const size = document.createElement("span");
    size.className = "muted";
    size.textContent = ` (${humanSize(attachment.size)})`;
    item.append(link, size);
  }
  return item;
}

function setReceipt(node, text, read) {
  const receipt = node.querySelector(".receipt");
  receipt.hidden = false;
  receipt.textContent = text;
  receipt.classList.toggle("read", read);
}

// One message as an element, built from the same <template> markup the server renders.
function messageNode(message, { mine }) {
  const node = template.content.firstElementChild.cloneNode(true);
  node.classList.add(`message-${message.messageType}`, mine ? "mine" : "theirs");
  if (message.seq) node.dataset.seq = message.seq;
  if (message._id) node.dataset.id = message._id;

  const avatar = node.querySelector(".avatar");
  if (message.senderImage) {
    const image = document.createElement("img");
    image.src = message.senderImage;
    image.alt = "";
    avatar.append(image);
  } else {
    avatar.textContent = message.senderInitials;
  }
  node.querySelector(".sender").textContent = message.senderName;
  const time = node.querySelector("time");
  const created = new Date(message.createdAt);
  time.dateTime = message.createdAt;
  time.textContent = timeFormat.format(created);

  const label = data.typeLabels[message.messageType];
  if (label) {
    const labelNode = node.querySelector(".card-label");
    labelNode.textContent = label;
    labelNode.hidden = false;
  }
  if (message.content) {
    const content = node.querySelector(".content");
    content.textContent = message.content;
    content.hidden = false;
  }
  const dl = node.querySelector(".rx");
  for (const field of data.messageFields[message.messageType] || []) {
    addDefinition(dl, field.label, message.payload && message.payload[field.name]);
  }
  if (message.attachments && message.attachments.length) {
    const attachments = node.querySelector(".attachments");
    for (const attachment of message.attachments) {
      attachments.append(attachmentNode(message.messageType, attachment));
    }
    attachments.hidden = false;
  }
  if (mine) setReceipt(node, message.isRead ? "Read" : "Sent", message.isRead);
  return node;
}

function separatorNode(date) {
  const node = document.createElement("li");
  node.className = "day-separator";
  node.setAttribute("role", "separator");
  node.dataset.day = dayKey(date);
  const span = document.createElement("span");
  span.textContent = dayFormat.format(date);
  node.append(span);
  return node;
}

function lastDayShown() {
  const separators = list.querySelectorAll(".day-separator");
  return separators.length ? separators[separators.length - 1].dataset.day : null;
}

// After older messages were inserted above, put a separator before each day's first message.
function rebuildSeparators() {
  for (const separator of list.querySelectorAll(".day-separator")) separator.remove();
  let day = null;
  for (const node of list.querySelectorAll(".message")) {
    const created = new Date(node.querySelector("time").dateTime);
    if (dayKey(created) !== day) {
      day = dayKey(created);
      list.insertBefore(separatorNode(created), node);
    }
  }
}

function isNearBottom() {
  return log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM_PX;
}

function scrollToBottom() {
  log.scrollTop = log.scrollHeight;
  newMessagesButton.hidden = true;
}

function appendMessage(message, { mine }) {
  const created = new Date(message.createdAt);
  if (lastDayShown() !== dayKey(created)) list.append(separatorNode(created));
  const node = messageNode(message, { mine });
  list.append(node);
  empty.hidden = true;
  return node;
}

function announce(message) {
  const preview = message.content.length > 140 ? `${message.content.slice(0, 140)}…` : message.content;
  announcer.textContent = `New message from ${message.senderName}: ${preview}`;
}

function showNewMessages(messages) {
  const stick = isNearBottom();
  let arrivedFromOther = false;
  for (const message of messages) {
    if (list.querySelector(`[data-id="${message._id}"]`)) continue; // one we sent ourselves
    const mine = message.senderId === data.me;
    appendMessage(message, { mine });
    if (!mine) {
      arrivedFromOther = true;
      announce(message);
    }
  }
  if (stick) scrollToBottom();
  else if (arrivedFromOther) newMessagesButton.hidden = false;
}

function markOwnMessagesRead() {
  for (const node of list.querySelectorAll(".message.mine[data-seq]")) {
    if (Number(node.dataset.seq) <= state.otherLastReadSeq) setReceipt(node, "Read", true);
  }
}

// Polling ---------------------------------------------------------------------------------

function schedule(delay) {
  clearTimeout(state.timer);
  state.timer = setTimeout(poll, delay);
}

function nextDelay() {
  if (!state.failures) return POLL_MS;
  return Math.min(POLL_MS * 2 ** (state.failures - 1), MAX_BACKOFF_MS);
}

function setConnectionNotice(problem) {
  if (problem) {
    const seconds = Math.round(nextDelay() / 1000);
    notice.textContent = `Connection lost, retrying in ${seconds} s…`;
  }
  notice.hidden = !problem;
}

async function fetchNew(after, reading) {
  const params = new URLSearchParams({
    appointmentId: data.appointmentId, after, markRead: reading ? "true" : "false",
  });
  const headers = { Accept: "application/json" };
  if (state.etag) headers["If-None-Match"] = state.etag;
  const response = await fetch(`${data.apiUrl}?${params}`, { headers, credentials: "same-origin" });
  if (response.status === 401) {
    window.location.reload(); // the session ended: the page sends the reader to sign in
    return null;
  }
  if (response.status !== 304 && !response.ok) throw new Error(`HTTP ${response.status}`);
  state.etag = response.headers.get("ETag");
  return response.status === 304 ? null : response.json();
}

async function poll() {
  if (state.polling) return;
  state.polling = true;
  const reading = document.visibilityState === "visible";
  try {
    // Messages that arrived while the tab was hidden are fetched again, this time read.
    let after = reading && state.unreadAfter !== null ? state.unreadAfter : state.lastSeq;
    let body;
    do {
      body = await fetchNew(after, reading);
      if (!body) break;
      if (body.messages.length) {
        if (!reading && state.unreadAfter === null) state.unreadAfter = after;
        showNewMessages(body.messages);
        after = body.messages[body.messages.length - 1].seq;
        state.lastSeq = Math.max(state.lastSeq, after);
        if (state.oldestSeq === null) state.oldestSeq = body.messages[0].seq;
      }
      state.otherLastReadSeq = body.otherLastReadSeq;
      markOwnMessagesRead();
    } while (body.hasMore);
    if (reading) state.unreadAfter = null;
    state.failures = 0;
    setConnectionNotice(false);
  } catch (error) {
    state.failures += 1;
    setConnectionNotice(true);
  } finally {
    state.polling = false;
  }
  schedule(nextDelay());
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") {
    state.etag = null;
    poll();
  }
});

// Earlier messages ------------------------------------------------------------------------

async function loadEarlier() {
  loadEarlierButton.disabled = true;
  loadEarlierButton.textContent = "Loading…";
  const params = new URLSearchParams({
    appointmentId: data.appointmentId, before: state.oldestSeq, limit: data.pageSize, markRead: "false",
  });
  try {
    const response = await fetch(`${data.apiUrl}?${params}`, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = await response.json();
    const heightBefore = log.scrollHeight;
    const topBefore = log.scrollTop;
    const anchor = list.querySelector(".message");
    for (const message of body.messages) {
      if (list.querySelector(`[data-id="${message._id}"]`)) continue;
      list.insertBefore(messageNode(message, { mine: message.senderId === data.me }), anchor);
    }
    rebuildSeparators();
    if (body.messages.length) state.oldestSeq = body.messages[0].seq;
    markOwnMessagesRead();
    log.scrollTop = topBefore + (log.scrollHeight - heightBefore);
    loadEarlierRow.hidden = !body.hasMore;
    loadEarlierButton.textContent = "Load earlier messages";
  } catch (error) {
    loadEarlierButton.textContent = "Could not load, try again";
  } finally {
    loadEarlierButton.disabled = false;
  }
}

// Sending ---------------------------------------------------------------------------------

// Per tab and per user: a medical draft must not outlive the tab on a shared clinic computer.
const draftKey = `vetchat-draft-${data.me}-${data.appointmentId}`;

function composerValues() {
  const kind = (form.querySelector("input[name=messageType]:checked") || {}).value || "text";
  const body = {
    appointmentId: data.appointmentId,
    content: form.elements.content.value.trim(),
    messageType: kind,
    attachments: [],
    clientId: crypto.randomUUID(),
  };
  const fieldset = form.querySelector(`.payload-fields[data-kind="${kind}"]`);
  if (fieldset) {
    const payload = {};
    for (const input of fieldset.querySelectorAll("input[data-field]")) {
      const value = input.value.trim();
      if (value) payload[input.dataset.field] = value;
    }
    body.payload = payload;
  }
  return body;
}

function clearComposer() {
  form.elements.content.value = "";
  for (const input of form.querySelectorAll(".payload-fields input")) input.value = "";
  sessionStorage.removeItem(draftKey);
  updateCounter();
}

function showComposerError(text) {
  const error = form.querySelector(".composer-error");
  error.textContent = text;
  error.hidden = !text;
}

function errorText(body, fallback) {
  const error = body && body.error;
  if (!error) return fallback;
  const fields = error.fields ? Object.values(error.fields).join(" ") : "";
  return fields && fields !== error.message ? `${error.message} ${fields}` : error.message;
}

function pendingMessage(body) {
  const now = new Date().toISOString();
  return {
    senderId: data.me,
    senderName: data.myName,
    senderInitials: data.myInitials,
    senderImage: null,
    content: body.content,
    messageType: body.messageType,
    payload: body.payload,
    createdAt: now,
    isRead: false,
  };
}

async function deliver(body, node) {
  node.classList.remove("failed");
  node.classList.add("pending");
  setReceipt(node, "Sending…", false);
  let response;
  let reply = null;
  try {
    response = await fetch(data.apiUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
    reply = await response.json().catch(() => null);
  } catch (error) {
    response = null;
  }
  if (response && response.ok && reply) {
    // A poll may have brought the stored message already.
    if (list.querySelector(`[data-id="${reply.message._id}"]`)) node.remove();
    else node.replaceWith(messageNode(reply.message, { mine: true }));
    state.failures = 0;
    schedule(0); // fetch anything that arrived meanwhile, and our seq
    return;
  }
  if (response && response.status >= 400 && response.status < 500 && response.status !== 429) {
    // Refused for a reason retrying cannot fix: hand the text back to the composer.
    node.remove();
    form.elements.content.value = body.content;
    showComposerError(errorText(reply, "The message could not be sent."));
    if (!list.querySelector(".message")) empty.hidden = false;
    return;
  }
  node.classList.remove("pending");
  node.classList.add("failed");
  setReceipt(node, "Not sent.", false);
  const retry = document.createElement("button");
  retry.type = "button";
  retry.className = "secondary";
  retry.textContent = "Retry";
  retry.addEventListener("click", () => deliver(body, node)); // same clientId: never doubled
  node.querySelector(".receipt").append(retry);
}

function send(event) {
  event.preventDefault();
  showComposerError("");
  const body = composerValues();
  if (!body.content && !(body.payload && Object.keys(body.payload).length)) {
    showComposerError("Write a message before sending.");
    form.elements.content.focus();
    return;
  }
  if (body.content.length > data.maxLength) {
    showComposerError(`Messages can be at most ${data.maxLength.toLocaleString()} characters.`);
    return;
  }
  const node = appendMessage(pendingMessage(body), { mine: true });
  node.classList.add("pending");
  scrollToBottom();
  clearComposer();
  deliver(body, node);
}

function updateCounter() {
  const counter = form.querySelector(".counter");
  const length = form.elements.content.value.length;
  counter.hidden = length < COUNTER_FROM;
  counter.textContent = `${length.toLocaleString()} / ${data.maxLength.toLocaleString()} characters`;
  counter.classList.toggle("over", length > data.maxLength);
}

function setUpComposer() {
  const textarea = form.elements.content;
  if (!textarea.value) textarea.value = sessionStorage.getItem(draftKey) || "";
  updateCounter();
  form.addEventListener("submit", send);
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  textarea.addEventListener("input", () => {
    sessionStorage.setItem(draftKey, textarea.value);
    updateCounter();
  });
  for (const radio of form.querySelectorAll("input[name=messageType]")) {
    radio.addEventListener("change", () => {
      const kind = form.querySelector("input[name=messageType]:checked").value;
      for (const fieldset of form.querySelectorAll(".payload-fields")) {
        fieldset.hidden = fieldset.dataset.kind !== kind;
      }
    });
  }
}

// Start -----------------------------------------------------------------------------------

if (form) setUpComposer();
loadEarlierButton.addEventListener("click", loadEarlier);
newMessagesButton.addEventListener("click", scrollToBottom);
log.addEventListener("scroll", () => {
  if (isNearBottom()) newMessagesButton.hidden = true;
});
scrollToBottom();
schedule(POLL_MS);

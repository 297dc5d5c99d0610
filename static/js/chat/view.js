// The chat box on the page: how a message looks, day separators, receipts, scrolling and what a
// screen reader hears. User text only ever reaches the page through textContent.

const NEAR_BOTTOM_PX = 80;
export const NO_ID = "00000000-0000-0000-0000-000000000000"; // stands for a message's id in page URLs
const PREVIEW_CHARS = 140;

// Dates and times as the server writes them (Django's "l j F Y" and "H:i"), in the clinic's
// time zone, so a message looks the same whether it came with the page or arrived later.
function clinicClock(timeZone) {
  const parts = (format, date) =>
    Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
  const time = new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone,
  });
  const day = new Intl.DateTimeFormat("en-GB", {
    weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone,
  });
  const isoDay = new Intl.DateTimeFormat("en-GB", {
    year: "numeric", month: "2-digit", day: "2-digit", timeZone,
  });
  return {
    time(date) {
      const { hour, minute } = parts(time, date);
      return `${hour}:${minute}`;
    },
    // Django's "j M H:i": 26 Nov 14:05.
    shortDateTime(date) {
      const { day: number, month } = parts(day, date);
      return `${number} ${month.slice(0, 3)} ${this.time(date)}`;
    },
    day(date) {
      const { weekday, day: number, month, year } = parts(day, date);
      return `${weekday} ${number} ${month} ${year}`;
    },
    // YYYY-MM-DD, as the server marks its separators.
    dayKey(date) {
      const { year, month, day: number } = parts(isoDay, date);
      return `${year}-${month}-${number}`;
    },
  };
}

// As Django's filesizeformat writes it, non-breaking space included.
export function humanSize(bytes) {
  if (bytes < 1024) return `${bytes}\u00a0${bytes === 1 ? "byte" : "bytes"}`;
  const units = ["KB", "MB", "GB", "TB", "PB"];
  let size = bytes / 1024;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${size.toFixed(1)}\u00a0${units[unit]}`;
}

// The box a thumbnail is drawn in, as chat/page.py's THUMB_BOX: the width and height attributes
// are the picture's scaled to fit, so the log keeps its place before the bytes arrive.
const THUMB_BOX = 320;
const VIEW_SIZE = 1280; // the server's larger thumbnail, which the full-size viewer shows

// How an attachment is drawn, by its own content type: a file message may hold pictures.
export function attachmentKind(contentType) {
  const type = String(contentType || "").toLowerCase();
  if (type.startsWith("image/")) return "image";
  if (type.startsWith("video/")) return "video";
  return "file";
}

function element(tag, attributes = {}) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

// Attributes in the order chat/_message.html writes them, so both render the same markup.
function thumbSize(attachment) {
  const { width, height } = attachment;
  if (!width || !height) return {};
  const scale = Math.min(1, THUMB_BOX / width, THUMB_BOX / height);
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

function attachmentNode(attachment) {
  const kind = attachmentKind(attachment.contentType);
  const item = element("li", { class: `attachment attachment-${kind}` });
  const size = thumbSize(attachment);
  if (kind === "image") {
    const link = element("a", {
      class: "image-link", href: attachment.url, target: "_blank", rel: "noopener",
    });
    const thumbnail = attachment.thumbnailUrl;
    if (thumbnail) {
      link.setAttribute("data-view", `${thumbnail}${thumbnail.includes("?") ? "&" : "?"}size=${VIEW_SIZE}`);
    }
    if (size.width) {
      link.setAttribute("data-width", attachment.width);
      link.setAttribute("data-height", attachment.height);
    }
    const image = element("img", {
      class: "thumb", src: attachment.thumbnailUrl || attachment.url, alt: attachment.name,
    });
    if (size.width) {
      image.setAttribute("width", size.width);
      image.setAttribute("height", size.height);
    }
    image.setAttribute("loading", "lazy");
    link.append(image);
    item.append(link);
  } else if (kind === "video") {
    const video = element("video", { controls: "", preload: "none", src: attachment.url });
    if (attachment.thumbnailUrl) video.setAttribute("poster", attachment.thumbnailUrl);
    if (size.width) {
      video.setAttribute("width", size.width);
      video.setAttribute("height", size.height);
    }
    video.setAttribute("aria-label", attachment.name);
    item.append(video);
  } else {
    const card = element("div", { class: "doc-card" });
    let icon;
    if (attachment.thumbnailUrl) {
      icon = element("img", { class: "doc-thumb", src: attachment.thumbnailUrl, alt: "", loading: "lazy" });
    } else {
      icon = element("span", { class: "doc-icon", "aria-hidden": "true" });
      icon.textContent = String(attachment.contentType).toLowerCase() === "application/pdf" ? "PDF" : "FILE";
    }
    const text = element("span", { class: "doc-text" });
    const link = element("a", { class: "file", href: attachment.url, download: attachment.name });
    const hint = element("span", { class: "visually-hidden" });
    hint.textContent = "Download ";
    link.append(hint, attachment.name);
    const bytes = element("span", { class: "doc-size muted" });
    bytes.textContent = humanSize(attachment.size);
    text.append(link, " ", bytes);
    card.append(icon, text);
    item.append(card);
  }
  return item;
}

// What a screen reader hears of a message that is only files: "photo rash.jpg", "3 files".
function describeFiles(attachments) {
  if (attachments.length !== 1) return attachments.length ? `${attachments.length} files` : "";
  const word = { image: "photo", video: "video", file: "document" }[attachmentKind(attachments[0].contentType)];
  return `${word} ${attachments[0].name}`;
}

// A message drawn again in place. Focus on one of its links (a photo's thumbnail, a document)
// stays on the same link in the new drawing, so a keyboard user is not sent to the page's top.
function swap(node, fresh) {
  const focused = node.contains(document.activeElement) && document.activeElement.getAttribute("href");
  node.replaceWith(fresh);
  if (focused) fresh.querySelector(`a[href="${CSS.escape(focused)}"]`)?.focus();
}

function receiptText(read, name) {
  if (!read) return "Sent";
  return name ? `Read by ${name}` : "Read";
}

function setReceipt(node, text, read) {
  const receipt = node.querySelector(".receipt");
  receipt.textContent = text;
  receipt.classList.toggle("read", read);
  return receipt;
}

export class ChatView {
  constructor(root, data) {
    this.data = data;
    this.clock = clinicClock(data.timeZone);
    this.log = root.querySelector(".chat-log");
    this.list = root.querySelector(".messages");
    this.empty = root.querySelector(".chat-empty");
    this.template = document.getElementById("message-template");
    this.notice = root.querySelector(".connection-notice");
    this.announcer = document.getElementById("chat-announcer");
    this.newMessagesButton = root.querySelector(".new-messages");
    this.loadEarlierRow = root.querySelector(".load-earlier-row");
    this.loadEarlierButton = root.querySelector(".load-earlier");
    this.loadLaterRow = root.querySelector(".load-later-row");
    this.loadLaterButton = root.querySelector(".load-later");

    // The live socket's state beside the heading, and who is typing under the log.
    this.liveStatus = document.createElement("span");
    this.liveStatus.className = "live-status";
    this.liveStatus.setAttribute("role", "status");
    this.liveStatus.hidden = true;
    root.querySelector("h2").append(" ", this.liveStatus);
    this.typingNotice = document.createElement("p");
    this.typingNotice.className = "typing-notice muted";
    this.typingNotice.hidden = true;
    this.log.after(this.typingNotice);
    this.typingUserId = null;

    this.newMessagesButton.addEventListener("click", () => this.scrollToBottom());
    this.log.addEventListener("scroll", () => {
      if (this.isNearBottom()) this.newMessagesButton.hidden = true;
    });
  }

  // The one way a message becomes an element: the <template> markup, filled in, with the parts
  // this message has no use for taken out, so it matches the server's _message.html.
  render(message, { mine }) {
    const node = this.template.content.firstElementChild.cloneNode(true);
    node.classList.add(`message-${message.messageType}`, mine ? "mine" : "theirs");
    if (message._id) node.id = `m-${message._id}`;
    if (message.seq != null) node.dataset.seq = message.seq;
    if (message._id) node.dataset.id = message._id;
    if (message.amends) node.dataset.amends = message.amends._id;

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
    const role = node.querySelector(".sender-role");
    if (message.senderRole) role.textContent = `· ${message.senderRole}`;
    else role.remove();
    const time = node.querySelector("time");
    time.dateTime = message.createdAt;
    time.textContent = this.clock.time(new Date(message.createdAt));

    const fill = (selector, text) => {
      const part = node.querySelector(selector);
      if (text) part.textContent = text;
      else part.remove();
    };
    if (message.retractedAt) {
      for (const part of node.querySelectorAll(".card-label, .content, .rx, .attachments")) {
        part.remove();
      }
      const removed = document.createElement("p");
      removed.className = "removed muted";
      removed.textContent = "Message removed";
      node.querySelector(".meta").after(removed);
      this.finish(node, message, { mine });
      return node;
    }
    fill(".card-label", this.data.typeLabels[message.messageType]);
    if (message.amends) {
      const amends = document.createElement("span");
      amends.className = "amends";
      amends.textContent = `· amends #${message.amends.seq}`;
      node.querySelector(".card-label").append(" ", amends);
    }
    fill(".content", message.content);

    const details = node.querySelector(".rx");
    const payload = message.payload || {};
    for (const field of this.data.messageFields[message.messageType] || []) {
      if (!payload[field.name]) continue;
      const row = document.createElement("div");
      const term = document.createElement("dt");
      const value = document.createElement("dd");
      term.textContent = field.label;
      value.textContent = payload[field.name];
      row.append(term, value);
      details.append(row);
    }
    if (!details.childElementCount) details.remove();

    const attachments = node.querySelector(".attachments");
    for (const attachment of message.attachments || []) {
      attachments.append(attachmentNode(attachment));
    }
    if (!attachments.childElementCount) attachments.remove();

    const receipt = node.querySelector(".receipt");
    if (message.editedAt) {
      const edited = document.createElement("span");
      edited.className = "edited muted";
      edited.textContent = "edited";
      receipt.before(edited);
    }
    if (message.acknowledgedAt) {
      const acknowledgement = document.createElement("p");
      acknowledgement.className = "acknowledgement";
      const when = this.clock.shortDateTime(new Date(message.acknowledgedAt));
      acknowledgement.textContent = `Read and understood by ${message.acknowledgedBy}, ${when}`;
      receipt.before(acknowledgement);
    } else if ("acknowledgedAt" in message && this.data.isParent && message._id) {
      const button = document.createElement("button");
      button.type = "submit";
      button.setAttribute("form", "acknowledge-form");
      button.setAttribute("formaction", this.data.acknowledgeUrl.replace(NO_ID, message._id));
      button.className = "secondary acknowledge";
      button.dataset.action = "acknowledge";
      button.textContent = "I have read and understood this prescription";
      receipt.before(button);
    }
    this.finish(node, message, { mine });
    return node;
  }

  finish(node, message, { mine }) {
    if (mine) setReceipt(node, receiptText(message.isRead, message.readBy), message.isRead);
    else node.querySelector(".receipt").remove();
  }

  // A message that changed (edited, removed, acknowledged) shown as it now stands.
  replace(message) {
    const node = this.list.querySelector(`.message[data-id="${CSS.escape(message._id)}"]`);
    if (!node) return null;
    const fresh = this.render(message, { mine: this.isMine(message) });
    swap(node, fresh);
    return fresh;
  }

  // The messages the server rendered with the page, for the store to know them.
  shownMessages() {
    return Array.from(this.list.querySelectorAll(".message[data-id]"), (node) => ({
      _id: node.dataset.id,
      seq: Number(node.dataset.seq),
    }));
  }

  separator(date) {
    const node = document.createElement("li");
    node.className = "day-separator";
    node.dataset.day = this.clock.dayKey(date);
    const span = document.createElement("span");
    span.textContent = this.clock.day(date);
    node.append(span);
    return node;
  }

  lastDayShown() {
    const separators = this.list.querySelectorAll(".day-separator");
    return separators.length ? separators[separators.length - 1].dataset.day : null;
  }

  // After older messages were put above, a separator before each day's first message.
  rebuildSeparators() {
    for (const separator of this.list.querySelectorAll(".day-separator")) separator.remove();
    let day = null;
    for (const node of this.list.querySelectorAll(".message")) {
      const created = new Date(node.querySelector("time").dateTime);
      if (this.clock.dayKey(created) !== day) {
        day = this.clock.dayKey(created);
        this.list.insertBefore(this.separator(created), node);
      }
    }
  }

  isMine(message) {
    return message.senderId === this.data.me;
  }

  appendNode(message, { mine }) {
    const created = new Date(message.createdAt);
    if (this.lastDayShown() !== this.clock.dayKey(created)) {
      this.list.append(this.separator(created));
    }
    const node = this.render(message, { mine });
    this.list.append(node);
    this.empty.hidden = true;
    return node;
  }

  // Newer messages at the bottom: followed if the reader was at the bottom, otherwise offered.
  // Returns the nodes added.
  append(messages) {
    if (!messages.length) return [];
    const stick = this.isNearBottom();
    const fromOther = [];
    const nodes = [];
    for (const message of messages) {
      const mine = this.isMine(message);
      nodes.push(this.appendNode(message, { mine }));
      if (!mine) fromOther.push(message);
    }
    if (fromOther.length) this.announce(fromOther);
    if (stick) this.scrollToBottom();
    else if (fromOther.length) this.newMessagesButton.hidden = false;
    return nodes;
  }

  // Later history below, opened at a message: the reader's view stays where it was, and nothing
  // is announced (these are not new). Returns the nodes added.
  appendLater(messages, { decorate = () => {} } = {}) {
    return messages.map((message) => {
      const node = this.appendNode(message, { mine: this.isMine(message) });
      decorate(node);
      return node;
    });
  }

  // The message a search result opened the page at: in view, focused, so reading goes on there.
  focusMessage(id) {
    const node = this.list.querySelector(`.message[data-id="${CSS.escape(id)}"]`);
    if (!node) return false;
    node.scrollIntoView({ block: "center" });
    node.focus({ preventScroll: true });
    return true;
  }

  // Older messages at the top, the reader's view staying where it was.
  // `decorate` adds to each new node what other modules put on messages (their actions) before
  // the height is measured again, or the reader's place would move by what it added.
  prepend(messages, { decorate = () => {} } = {}) {
    const heightBefore = this.log.scrollHeight;
    const topBefore = this.log.scrollTop;
    const anchor = this.list.querySelector(".message");
    for (const message of messages) {
      const node = this.render(message, { mine: this.isMine(message) });
      this.list.insertBefore(node, anchor);
      decorate(node);
    }
    this.rebuildSeparators();
    this.log.scrollTop = topBefore + (this.log.scrollHeight - heightBefore);
  }

  // The other side read up to `seq`; `name` is who, when known. A receipt already "Read"
  // keeps the reader it names.
  markReadUpTo(seq, name = "") {
    for (const node of this.list.querySelectorAll(".message.mine[data-seq]")) {
      if (Number(node.dataset.seq) > seq) continue;
      const receipt = node.querySelector(".receipt");
      if (receipt && receipt.classList.contains("read")) continue;
      setReceipt(node, receiptText(true, name), true);
    }
  }

  // Once per batch that arrived, never the history: several messages at once are one
  // announcement naming the latest, so a screen reader does not queue up a backlog.
  announce(messages) {
    const latest = messages[messages.length - 1];
    const text = latest.content || this.data.typeLabels[latest.messageType]
      || describeFiles(latest.attachments || []);
    const preview = text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
    this.say(
      messages.length === 1
        ? `New message from ${latest.senderName}: ${preview}`
        : `${messages.length} new messages. Latest from ${latest.senderName}: ${preview}`,
    );
  }

  // The polite live region the chat speaks through.
  say(text) {
    this.announcer.textContent = text;
  }

  isNearBottom() {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.log.scrollTop = this.log.scrollHeight;
    this.newMessagesButton.hidden = true;
  }

  // A message on its way: shown at once, in the sender's bubble, until the server answers.
  showPending(message) {
    const node = this.appendNode(message, { mine: true });
    node.classList.add("pending");
    setReceipt(node, "Sending…", false);
    this.scrollToBottom();
    return node;
  }

  sending(node, { retry = false } = {}) {
    const hadFocus = node.contains(document.activeElement);
    node.classList.remove("failed");
    node.classList.add("pending");
    setReceipt(node, "Sending…", false);
    if (retry) this.say("Sending your message again…");
    // The Retry button just pressed is gone: focus goes back to where the user writes.
    if (hadFocus) this.focusComposer();
  }

  failed(node, retry) {
    node.classList.remove("pending");
    node.classList.add("failed");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "Retry";
    button.addEventListener("click", retry);
    setReceipt(node, "Not sent.", false).append(" ", button);
    this.say("Your message was not sent. Its Retry button is beside it in the conversation.");
  }

  focusComposer() {
    document.getElementById("composer-text")?.focus();
  }

  // Returns the stored message's node, or null when a poll brought it first.
  confirmed(node, message) {
    if (!message) {
      node.remove();
      return null;
    }
    const fresh = this.render(message, { mine: true });
    swap(node, fresh);
    return fresh;
  }

  dropped(node) {
    const before = node.previousElementSibling;
    const after = node.nextElementSibling;
    node.remove();
    const isSeparator = (element) => element && element.classList.contains("day-separator");
    if (isSeparator(before) && (!after || isSeparator(after))) before.remove();
    if (!this.list.querySelector(".message")) this.empty.hidden = false;
  }

  // "live", "reconnecting" or "off" (the socket will not come back: polling carries the chat).
  setLive(status) {
    this.liveStatus.hidden = status === "off";
    this.liveStatus.textContent = { live: "Live", reconnecting: "Reconnecting…" }[status] || "";
    this.liveStatus.classList.toggle("is-live", status === "live");
  }

  showTyping(userId, name) {
    this.typingUserId = userId;
    this.typingNotice.textContent = `${name} is typing…`;
    this.typingNotice.hidden = false;
  }

  // Hides the notice; with a userId, only if it is that user's.
  hideTyping(userId = null) {
    if (userId !== null && userId !== this.typingUserId) return;
    this.typingUserId = null;
    this.typingNotice.hidden = true;
  }

  setConnection({ connected, retryInMs }) {
    if (!connected) {
      this.notice.textContent = `Connection lost, retrying in ${Math.round(retryInMs / 1000)} s…`;
    }
    this.notice.hidden = connected;
  }

  onLoadEarlier(handler) {
    this.loadEarlierButton.addEventListener("click", handler);
  }

  onLoadLater(handler) {
    this.loadLaterButton.addEventListener("click", handler);
  }

  // As setHistory, for the messages after those shown. Once none are left the row goes, and a
  // keyboard user who pressed the button is put in the conversation.
  setLater({ loading = false, failed = false, hasMore = true, loaded = 0 }) {
    const button = this.loadLaterButton;
    if (loading) this.laterHadFocus = document.activeElement === button;
    button.disabled = loading;
    button.textContent = loading
      ? "Loading…"
      : failed ? "Could not load, try again" : "Load later messages";
    this.loadLaterRow.hidden = !hasMore;
    if (!loading && !failed) {
      this.say(hasMore ? `${loaded} later messages loaded.` : "The latest messages are loaded.");
    }
    if (!loading && this.laterHadFocus) {
      this.laterHadFocus = false;
      (hasMore ? button : this.log).focus({ preventScroll: true });
    }
  }

  // The button is disabled while loading, which takes focus from it; a keyboard user gets it back
  // when the history is in (or the conversation, once there is no more), never the page's top.
  setHistory({ loading = false, failed = false, hasMore = true }) {
    const button = this.loadEarlierButton;
    if (loading) this.historyHadFocus = document.activeElement === button;
    button.disabled = loading;
    button.textContent = loading
      ? "Loading…"
      : failed ? "Could not load, try again" : "Load earlier messages";
    this.loadEarlierRow.hidden = !hasMore;
    if (!loading && this.historyHadFocus) {
      this.historyHadFocus = false;
      (hasMore ? button : this.log).focus({ preventScroll: true });
    }
  }
}

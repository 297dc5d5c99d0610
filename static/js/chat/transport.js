// How the chat box talks to the server: over HTTP, polling for what is new and posting sends.
//
// A transport is anything with this shape (a WebSocket one can stand beside this one):
//   onMessages(fn)   fn(messages, { read }): newer messages, oldest first, some maybe seen
//                    before; `read` when the server marked them read as it answered
//   onReadUpTo(fn)   fn(seq, receiptHtml): the other side has read this user's messages up to
//                    seq; receiptHtml is their receipt as the server draws it
//   onChanges(fn)    fn(messages, rev): messages already held that changed since the cursor's
//                    rev (edited, removed, acknowledged), as they now stand
//   onStatus(fn)     fn({ connected, retryInMs }) whenever the connection is lost or back
//   onSignedOut(fn)  fn(): the session ended
//   start(), stop(), refresh()   refresh: catch up now (after a send, when the tab shows again)
//   fetchAfter(after, { markRead }) -> page | null (nothing changed)
//   fetchBefore(before, { limit })  -> page
//   send(body) -> { ok, status, reply, retryAfter }, status 0 when no answer came back
//   change(messageId, body), acknowledge(messageId), markUnread(url, messageId)
//                    -> { ok, status, reply }
// Where to resume from is asked of `cursor()` -> { after, markRead, rev } before each catch-up, so
// the cursors stay in the store and a transport keeps none of its own.
// Every message it hands over carries its HTML as the server draws it for this user (`html`,
// `dayHtml`): the page draws no message itself, so every request asks for it (`render=html`).

const RENDER = "render=html";

const POLL_MS = 5000;
const MAX_BACKOFF_MS = 60000;

class SignedOut extends Error {}

export class HttpTransport {
  constructor({ apiUrl, appointmentId, csrfToken, cursor, pollMs = POLL_MS }) {
    this.apiUrl = apiUrl;
    this.appointmentId = appointmentId;
    this.csrfToken = csrfToken;
    this.cursor = cursor;
    this.pollMs = pollMs;
    this.handlers = {
      messages: [], readUpTo: [], changes: [], status: [], signedOut: [], gone: [],
    };
    // The last answer's ETag, only ever offered again for the very same query.
    this.etag = null;
    this.etagUrl = null;
    this.failures = 0;
    this.timer = null;
    this.polling = false;
    this.again = false;
    this.stopped = true;
  }

  onMessages(fn) { this.handlers.messages.push(fn); }
  onReadUpTo(fn) { this.handlers.readUpTo.push(fn); }
  onGone(fn) { this.handlers.gone.push(fn); }
  onChanges(fn) { this.handlers.changes.push(fn); }
  onStatus(fn) { this.handlers.status.push(fn); }
  onSignedOut(fn) { this.handlers.signedOut.push(fn); }

  emit(name, ...args) {
    for (const fn of this.handlers[name]) fn(...args);
  }

  // The page was rendered with the latest messages, so the first poll waits a whole interval.
  start() {
    this.stopped = false;
    this.schedule(this.pollMs);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  refresh() {
    if (!this.stopped) this.schedule(0);
  }

  schedule(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.poll(), delay);
  }

  nextDelay() {
    if (!this.failures) return this.pollMs;
    return Math.min(this.pollMs * 2 ** (this.failures - 1), MAX_BACKOFF_MS);
  }

  async poll() {
    if (this.polling) {
      this.again = true; // asked while a poll was out: it may have left before what changed
      return;
    }
    this.polling = true;
    this.again = false;
    try {
      let { after, markRead, rev } = this.cursor();
      let page;
      do {
        page = await this.fetchAfter(after, { markRead, rev });
        if (!page) break;
        this.emit("changes", page.changed, page.rev);
        rev = page.rev;
        this.emit("messages", page.messages, { read: markRead });
        this.emit("readUpTo", page.otherLastReadSeq, page.readReceiptHtml);
        if (!page.messages.length) break;
        after = page.messages[page.messages.length - 1].seq;
      } while (page.hasMore);
      if (this.failures) this.emit("status", { connected: true, retryInMs: 0 });
      this.failures = 0;
    } catch (error) {
      if (error instanceof SignedOut) {
        this.stop();
        return;
      }
      this.failures += 1;
      this.emit("status", { connected: false, retryInMs: this.nextDelay() });
    } finally {
      this.polling = false;
    }
    if (!this.stopped) this.schedule(this.again ? 0 : this.nextDelay());
  }

  url(params) {
    const query = new URLSearchParams({ appointmentId: this.appointmentId, ...params });
    return `${this.apiUrl}?${query}&${RENDER}`;
  }

  async get(url, { conditional }) {
    const headers = { Accept: "application/json" };
    if (conditional && this.etag && this.etagUrl === url) headers["If-None-Match"] = this.etag;
    const response = await fetch(url, { headers, credentials: "same-origin" });
    if (response.status === 401) {
      this.emit("signedOut");
      throw new SignedOut();
    }
    if (response.status === 404) {
      // The chat is no longer this user's (a co-ownership revoked, taken off the care team).
      this.emit("gone");
      throw new SignedOut();
    }
    if (response.status === 304) return null;
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    if (conditional) {
      this.etag = response.headers.get("ETag");
      this.etagUrl = url;
    }
    return response.json();
  }

  fetchAfter(after, { markRead, rev = null }) {
    const params = { after, markRead: markRead ? "true" : "false" };
    if (rev !== null) params.rev = rev;
    return this.get(this.url(params), { conditional: true });
  }

  fetchBefore(before, { limit }) {
    return this.get(this.url({ before, limit, markRead: "false" }), { conditional: false });
  }

  send(body) {
    return this.write("POST", `${this.apiUrl}?${RENDER}`, body);
  }

  change(messageId, body) {
    return this.write("PATCH", `${this.apiUrl}/${messageId}?${RENDER}`, body);
  }

  acknowledge(messageId) {
    return this.write("POST", `${this.apiUrl}/${messageId}/acknowledgement?${RENDER}`, null);
  }

  markUnread(unreadUrl, messageId) {
    return this.write("POST", unreadUrl, {
      appointmentId: this.appointmentId,
      fromMessageId: messageId,
    });
  }

  async write(method, url, body) {
    let response;
    try {
      response = await fetch(url, {
        method,
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/json",
          "X-CSRFToken": this.csrfToken(),
        },
        body: body === null ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      return { ok: false, status: 0, reply: null };
    }
    const reply = await response.json().catch(() => null);
    if (response.status === 401) this.emit("signedOut");
    const retryAfter = Number(response.headers.get("Retry-After")) || 0;
    return { ok: response.ok && reply !== null, status: response.status, reply, retryAfter };
  }
}

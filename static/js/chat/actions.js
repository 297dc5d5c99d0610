// What can be done to a message already sent: its sender corrects or removes it for a short
// while after sending, the pet parent acknowledges a prescription, and anyone marks the chat
// unread for themselves from someone else's message. Every change goes through
// the API and comes back as the message now stands; the record keeps every version.
// The server draws the controls that also work without JavaScript (acknowledge, mark unread,
// amend) into each message; this module takes their clicks over and adds Edit and Remove.

function button(label, action, className = "link-button") {
  const node = document.createElement("button");
  node.type = "button";
  node.className = className;
  node.dataset.action = action;
  node.textContent = label;
  return node;
}

export class MessageActions {
  constructor({ root, data, view, transport }) {
    this.data = data;
    this.view = view;
    this.transport = transport;
    this.list = root.querySelector(".messages");
    this.list.addEventListener("click", (event) => this.click(event));
  }

  decorateAll() {
    for (const node of this.list.querySelectorAll(".message.mine[data-id]")) this.decorate(node);
  }

  // Edit and Remove on the user's own messages while they may still be changed.
  decorate(node) {
    if (!node || !node.dataset.id) return;
    if (node.querySelector(".card-label, .removed")) this.showAmendments();
    if (!node.classList.contains("mine")) return;
    node.querySelector(".message-actions")?.remove();
    if (this.data.readOnly || node.querySelector(".removed")) return;
    const sent = new Date(node.querySelector("time").dateTime).getTime();
    const left = sent + this.data.editWindowSeconds * 1000 - Date.now();
    if (left <= 0) return;
    const bar = document.createElement("div");
    bar.className = "message-actions";
    // An intake's own words are corrected as a text's; its answers stay as they were.
    const editable = node.classList.contains("message-text") || node.classList.contains("message-intake");
    if (editable && node.querySelector(".content")) bar.append(button("Edit", "edit"), " ");
    bar.append(button("Remove", "remove"));
    node.querySelector(".bubble").append(bar);
    setTimeout(() => bar.remove(), left);
  }

  // "amended by #N" on each card a later message amends: what the server said, with the
  // amendments on show added and the removed ones taken away.
  showAmendments() {
    const removed = new Set();
    const amendedBy = new Map();
    for (const node of this.list.querySelectorAll(".message[data-seq]")) {
      if (node.querySelector(".removed")) removed.add(Number(node.dataset.seq));
      else if (node.dataset.amends) {
        const seqs = amendedBy.get(node.dataset.amends) || new Set();
        amendedBy.set(node.dataset.amends, seqs.add(Number(node.dataset.seq)));
      }
    }
    for (const label of this.list.querySelectorAll(".message[data-id] .card-label")) {
      let shown = label.querySelector(".amended-by");
      const seqs = new Set(shown ? shown.dataset.seqs.split(",").map(Number) : []);
      for (const seq of amendedBy.get(label.closest(".message").dataset.id) || []) seqs.add(seq);
      for (const seq of removed) seqs.delete(seq);
      const sorted = [...seqs].sort((a, b) => a - b);
      if (!sorted.length) {
        shown?.remove();
        continue;
      }
      if (!shown) {
        shown = document.createElement("span");
        shown.className = "amended-by";
        label.append(" ", shown);
      }
      shown.dataset.seqs = sorted.join(",");
      shown.textContent = `· amended by ${sorted.map((seq) => `#${seq}`).join(", ")}`;
    }
  }

  async markUnread(node, control) {
    control.disabled = true;
    const { ok, reply } = await this.transport().markUnread(this.data.unreadUrl, node.dataset.id);
    control.disabled = false;
    if (!ok) {
      this.showError(node, (reply && reply.error && reply.error.message) || "That did not work. Try again.");
      return;
    }
    node.querySelector(".action-error")?.remove();
    this.list.querySelector(".marked-unread")?.remove();
    const notice = document.createElement("p");
    notice.className = "marked-unread muted";
    notice.setAttribute("role", "status");
    notice.textContent = "Marked unread from here: your list shows it as unread until you open this chat again.";
    node.querySelector(".bubble").append(notice);
    document.dispatchEvent(new CustomEvent("vetchat:unread-changed"));
  }

  click(event) {
    const control = event.target.closest("[data-action]");
    if (!control) return;
    const node = control.closest(".message");
    const action = control.dataset.action;
    if (action === "acknowledge") {
      event.preventDefault(); // the plain form is for pages without JavaScript
      this.apply(node, control, () => this.transport().acknowledge(node.dataset.id));
    } else if (action === "remove") {
      const question = "Remove this message for both of you? The clinic's record keeps it.";
      if (window.confirm(question)) {
        this.apply(node, control, () => this.transport().change(node.dataset.id, { retracted: true }));
      }
    } else if (action === "mark-unread") {
      event.preventDefault(); // the plain form is for pages without JavaScript
      this.markUnread(node, control);
    } else if (action === "edit") {
      this.edit(node);
    } else if (action === "cancel-edit") {
      this.closeEditor(node);
    }
  }

  async apply(node, control, request) {
    control.disabled = true;
    const { ok, reply } = await request();
    control.disabled = false;
    if (ok) {
      this.decorate(this.view.replace(reply.message));
      return true;
    }
    this.showError(node, (reply && reply.error && reply.error.message) || "That did not work. Try again.");
    return false;
  }

  showError(node, text) {
    node.querySelector(".action-error")?.remove();
    const error = document.createElement("p");
    error.className = "action-error field-error";
    error.setAttribute("role", "alert");
    error.textContent = text;
    node.querySelector(".bubble").append(error);
  }

  edit(node) {
    if (node.querySelector(".edit-form")) return;
    const content = node.querySelector(".content");
    const form = document.createElement("form");
    form.className = "edit-form";
    const id = `edit-${node.dataset.id}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.className = "visually-hidden";
    label.textContent = "Correct your message";
    const text = document.createElement("textarea");
    text.id = id;
    text.rows = 2;
    text.maxLength = this.data.maxLength;
    text.value = content.textContent;
    const save = button("Save", "save-edit", "send");
    save.type = "submit";
    form.append(label, text, save, " ", button("Cancel", "cancel-edit", "secondary"));
    content.hidden = true;
    node.querySelector(".message-actions").hidden = true;
    content.after(form);
    text.focus();
    text.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.closeEditor(node);
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const changed = await this.apply(node, save, () =>
        this.transport().change(node.dataset.id, { content: text.value }));
      if (!changed) text.focus(); // the text stays as typed, the reason beside it
    });
  }

  closeEditor(node) {
    node.querySelector(".edit-form")?.remove();
    node.querySelector(".action-error")?.remove();
    node.querySelector(".content").hidden = false;
    const bar = node.querySelector(".message-actions");
    if (bar) bar.hidden = false;
    node.querySelector("[data-action=edit]")?.focus();
  }
}

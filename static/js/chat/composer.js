// The composer: what the user is writing, kept as a draft, sent once however often it is retried,
// and handed back with the server's reasons, each beside its field, when refused.

import { attachmentKind } from "./view.js";
import { Intake } from "./intake.js";

const COUNTER_FROM = 9000;

// A message's type from the files it carries: all photos make an image message, all videos a
// video message; anything else, a mix included, a file message (the one type that takes any
// kind of file). Each attachment is drawn by its own type whatever the message's.
function typeOfFiles(attachments) {
  const kinds = new Set(attachments.map((attachment) => attachmentKind(attachment.contentType)));
  return kinds.size === 1 ? [...kinds][0] : "file";
}

function listOfNames(items) {
  const names = items.map((item) => item.name);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}` : names[0];
}

export class Composer {
  constructor({ form, data, view, send, onSent, onSignedOut, uploads = null }) {
    this.form = form;
    this.uploads = uploads;
    // A pet parent's first message of a topic goes as an intake (intake.js), when asked.
    this.intake = Intake.of(form);
    this.waitingNote = form.querySelector(".send-waiting");
    this.waiting = false;
    if (uploads) {
      uploads.onNotice = (text) => this.showErrors(text);
      // A message held back for its files goes once they are up (or says why it cannot).
      uploads.onSettled = () => {
        if (!this.waiting) return;
        this.waiting = false;
        this.waitingNote.hidden = true;
        form.requestSubmit();
      };
    }
    this.data = data;
    this.view = view;
    this.send = send;
    this.onSent = onSent;
    this.onSignedOut = onSignedOut;
    this.textarea = form.elements.content;
    this.error = form.querySelector(".composer-error");
    this.counter = form.querySelector(".counter");
    // Per tab and per user: a medical draft must not outlive the tab on a shared clinic computer.
    this.draftKey = `vetchat-draft-${data.me}-${data.appointmentId}`;

    // A draft the server handed back with a refusal of the plain form comes first.
    if (!this.hasText()) this.restore(this.storedDraft());
    this.updateCounter();

    form.querySelector(".cancel-amend")?.addEventListener("click", (event) => {
      event.preventDefault();
      this.clear();
      this.endAmending();
      this.textarea.focus();
    });
    form.addEventListener("submit", (event) => this.submit(event));
    this.textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("input", (event) => {
      if (event.target.name === "messageType") this.showFieldsOf(event.target.value);
      this.saveDraft();
      this.updateCounter();
    });
  }

  kind() {
    const checked = this.form.querySelector("input[name=messageType]:checked");
    return checked ? checked.value : "text";
  }

  fieldsetOf(kind) {
    return this.form.querySelector(`.payload-fields[data-kind="${kind}"]`);
  }

  showFieldsOf(kind) {
    for (const fieldset of this.form.querySelectorAll(".payload-fields")) {
      fieldset.hidden = fieldset.dataset.kind !== kind;
    }
  }

  // What is typed, as typed: the draft to keep or to hand back.
  values() {
    const messageType = this.kind();
    const fieldset = this.fieldsetOf(messageType);
    const payload = {};
    for (const input of fieldset ? fieldset.querySelectorAll("input[data-field]") : []) {
      payload[input.dataset.field] = input.value;
    }
    return {
      content: this.textarea.value,
      messageType,
      payload: fieldset ? payload : null,
      amends: this.amending(),
    };
  }

  // The assessment or prescription the page opened the composer to amend (`?amend=`), if any.
  amending() {
    return this.form.elements.amends?.value || null;
  }

  // Amended, or given up: the composer writes new messages again.
  endAmending() {
    const note = this.form.querySelector(".amending");
    if (!note) return;
    note.remove();
    const text = this.form.querySelector("input[name=messageType][value=text]");
    if (text) text.checked = true;
    this.showFieldsOf("text");
    this.saveDraft();
    history.replaceState(null, "", window.location.pathname);
  }

  hasText() {
    const { content, payload } = this.values();
    return Boolean(content.trim() || Object.values(payload || {}).some((value) => value.trim()));
  }

  restore({ content = "", messageType = null, payload = null }) {
    this.textarea.value = content;
    const radio = messageType && this.form.querySelector(
      `input[name=messageType][value="${CSS.escape(messageType)}"]`,
    );
    if (!radio) return;
    radio.checked = true;
    this.showFieldsOf(messageType);
    for (const input of this.fieldsetOf(messageType)?.querySelectorAll("input[data-field]") || []) {
      input.value = (payload && payload[input.dataset.field]) || "";
    }
  }

  storedDraft() {
    const stored = sessionStorage.getItem(this.draftKey);
    if (!stored) return {};
    try {
      const draft = JSON.parse(stored);
      // A draft of an amendment belongs to the page opened to amend that message, and no other.
      if (draft && typeof draft.content === "string") {
        return (draft.amends || null) === this.amending() ? draft : {};
      }
    } catch (error) {
      // a draft kept as plain text
    }
    return { content: stored };
  }

  saveDraft() {
    if (this.hasText()) sessionStorage.setItem(this.draftKey, JSON.stringify(this.values()));
    else sessionStorage.removeItem(this.draftKey);
  }

  clear() {
    this.textarea.value = "";
    for (const input of this.form.querySelectorAll(".payload-fields input")) input.value = "";
    sessionStorage.removeItem(this.draftKey);
    this.updateCounter();
  }

  updateCounter() {
    const length = this.textarea.value.length;
    const max = this.data.maxLength;
    this.counter.hidden = length < COUNTER_FROM;
    this.counter.textContent = `${length.toLocaleString()} / ${max.toLocaleString()} characters`;
    this.counter.classList.toggle("over", length > max);
  }

  // The request body, with a clientId that every retry of this message reuses.
  body(draft, files = []) {
    const attachments = files.map((item) => item.attachment);
    const body = {
      appointmentId: this.data.appointmentId,
      content: draft.content.trim(),
      messageType: attachments.length ? typeOfFiles(attachments) : draft.messageType,
      attachments: attachments.map((attachment) => ({ id: attachment.id })),
      clientId: crypto.randomUUID(),
    };
    if (draft.amends) body.amends = draft.amends;
    if (draft.payload) {
      body.payload = {};
      for (const [name, value] of Object.entries(draft.payload)) {
        if (value.trim()) body.payload[name] = value.trim();
      }
    }
    return body;
  }

  // What the bubble of a message on its way says until the server draws it: its text, or else
  // what it is (a prescription, the files' names).
  pendingText(body, files) {
    return body.content || this.data.typeLabels[body.messageType] || listOfNames(files) || "";
  }

  submit(event) {
    // "Send later" posts the form to its own address: the page draws what waits to be sent.
    if (event.submitter && "sendLater" in event.submitter.dataset) {
      sessionStorage.removeItem(this.draftKey); // a refusal comes back in the page's form
      return;
    }
    event.preventDefault();
    this.clearErrors();
    const draft = this.values();
    if (this.uploads && !this.filesReady(draft)) return;
    const files = this.uploads ? this.uploads.take() : [];
    const body = this.body(draft, files);
    // The intake step: the message opens a topic with its category and answers. With files,
    // the words stay with the files, and the intake goes first on its own when it says
    // something (a category chosen, answers); skipped, the files' message opens the topic.
    let intake = null;
    if (this.intake?.active) {
      const payload = this.intake.payload(event.submitter);
      const opening = { ...body, messageType: "intake", payload, attachments: [] };
      if (!files.length) Object.assign(body, opening);
      else if (this.intake.speaks(payload)) {
        intake = { ...opening, content: "", clientId: crypto.randomUUID() }; // a message of its own
      }
      else this.opensTopicWith = body.clientId;
    }
    const empty = !body.content && !(body.payload && Object.keys(body.payload).length);
    if (empty && !files.length) {
      this.showErrors("Write a message before sending.");
      this.textarea.focus();
      return;
    }
    if (body.content.length > this.data.maxLength) {
      const max = this.data.maxLength.toLocaleString();
      this.showErrors(`Messages can be at most ${max} characters.`);
      this.uploads?.putBack(files);
      return;
    }
    if (intake && files.length) {
      const first = this.view.showPending({ text: "Intake" });
      const node = this.view.showPending({ text: this.pendingText(body, files) });
      this.clear();
      this.textarea.focus();
      // The files' message goes once the intake is stored, after a Retry too.
      const next = { body, node, draft: { ...draft, files } };
      this.deliver(intake, first, { ...draft, files }, { next });
      return;
    }
    const node = this.view.showPending({ text: this.pendingText(body, files) || "Intake" });
    this.clear();
    // Sent with the Send button or from a payload field: the next message is written here.
    this.textarea.focus();
    this.deliver(body, node, { ...draft, files });
  }

  // Whether the files on the composer let the message go now. One still uploading holds the
  // message until it is up; one that failed (or files on a prescription) stops it with a reason,
  // everything typed and chosen kept.
  filesReady(draft) {
    const failed = this.uploads.failed();
    if (failed.length) {
      const names = listOfNames(failed);
      this.showErrors(`${names} could not be uploaded. Remove ${failed.length > 1 ? "them" : "it"} (or try again) before sending.`);
      return false;
    }
    if (!this.uploads.items.length) return true;
    if (draft.messageType !== "text") {
      this.showErrors("Assessments and prescriptions are sent without files: send the files in a message of their own.");
      return false;
    }
    if (this.uploads.uploading()) {
      this.waiting = true;
      this.waitingNote.hidden = false;
      this.view.say(this.waitingNote.textContent);
      return false;
    }
    return true;
  }

  // `next`: a message that goes once this one is stored, and is dropped with it when refused.
  async deliver(body, node, draft, { retry = false, next = null } = {}) {
    this.view.sending(node, { retry });
    const { ok, status, reply, retryAfter } = await this.send(body);
    if (ok && reply.held) {
      // Held until the clinic opens: the page lists it, with "Send now", among what waits.
      this.view.dropped(node);
      window.location.hash = "scheduled";
      window.location.reload();
      return;
    }
    if (ok) {
      if (body.amends) this.endAmending();
      if (body.messageType === "intake" || body.clientId === this.opensTopicWith) this.intake?.done();
      this.onSent(reply.message, node);
      if (retry) this.view.say("Your message was sent.");
      if (next) this.deliver(next.body, next.node, next.draft);
      return;
    }
    if (status >= 400 && status < 500 && status !== 429) {
      // Refused for a reason retrying cannot fix: everything typed goes back to the composer.
      this.view.dropped(node);
      if (next) this.view.dropped(next.node);
      this.clearErrors();
      this.restore(draft);
      this.uploads?.putBack(draft.files || []);
      this.saveDraft();
      this.updateCounter();
      this.showRefusal(reply);
      if (status === 401) this.onSignedOut();
      return;
    }
    if (status === 429) {
      // Over the sending budget: say so; the text waits in its bubble with Retry.
      const message = (reply && reply.error && reply.error.message) || "Slow down.";
      this.showErrors(retryAfter ? `${message} Try again in ${retryAfter} s.` : message);
    }
    // same clientId: never doubled
    this.view.failed(node, () => this.deliver(body, node, draft, { retry: true, next }));
  }

  showRefusal(reply) {
    const error = reply && reply.error;
    if (!error) this.showErrors("The message could not be sent.");
    else this.showErrors(error.message, error.fields || {});
  }

  // As the page shows a refusal of the plain form: the payload's error in the fieldset on show,
  // the type's under the type choice, and under the textarea the refusal's message (unless a
  // field beside already says it) with the content's, the attachments' and any other field's.
  showErrors(message, fields = {}) {
    const beside = [];
    const below = [];
    for (const [name, value] of Object.entries(fields)) {
      const text = Array.isArray(value) ? value.join(" ") : String(value);
      const field = name.split(".")[0];
      if (field === "payload" && this.showPayloadError(text)) beside.push(text);
      else if (field === "messageType" && this.showKindError(text)) beside.push(text);
      else below.push(text);
    }
    if (!beside.includes(message) && !below.includes(message)) below.unshift(message);
    this.error.textContent = below.join(" ");
    this.error.hidden = !below.length;
  }

  showPayloadError(text) {
    const kind = this.kind();
    const fieldset = this.fieldsetOf(kind);
    if (!fieldset || fieldset.hidden) return false;
    const error = fieldError(text);
    error.id = `payload-error-${kind}`;
    fieldset.append(error);
    fieldset.setAttribute("aria-describedby", error.id);
    return true;
  }

  showKindError(text) {
    const kinds = this.form.querySelector("fieldset.kind");
    if (!kinds) return false;
    const error = fieldError(text);
    error.id = "kind-error";
    kinds.after(error);
    kinds.setAttribute("aria-describedby", error.id);
    return true;
  }

  clearErrors() {
    this.error.textContent = "";
    this.error.hidden = true;
    for (const error of this.form.querySelectorAll(".field-error")) error.remove();
    for (const fieldset of this.form.querySelectorAll("fieldset[aria-describedby]")) {
      fieldset.removeAttribute("aria-describedby");
    }
  }
}

function fieldError(text) {
  const error = document.createElement("p");
  error.className = "field-error";
  error.setAttribute("role", "alert");
  error.textContent = text;
  return error;
}

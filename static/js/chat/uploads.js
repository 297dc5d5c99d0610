// Files on their way into a message: chosen with the picker or the camera, dropped on the chat or
// pasted, each uploaded at once (XMLHttpRequest: fetch reports no upload progress) and shown as a
// chip until the message goes. A file the server refuses says why on its own chip; the other
// chips and the text being written stay as they are.

import { attachmentKind } from "./view.js";

// When the server's answer carries no message of its own.
const PLAIN_ERRORS = {
  0: "The upload was cut off. Check the connection and try again.",
  413: "This file is too large to send.",
  415: "This kind of file cannot be sent: photos, videos and PDF documents only.",
  429: "Too many uploads for now. Try again later.",
};
const ICONS = { image: "IMG", video: "VIDEO", file: "FILE" };
// Uploads that end together are announced together: the live region keeps only its last text.
const SAY_AFTER_MS = 400;

// The size of a file still on the user's device, on its chip: "820 bytes", "1.4 MB". Once sent,
// the server writes a file's size in the message.
function chipSize(bytes) {
  if (bytes < 1024) return `${bytes}\u00a0${bytes === 1 ? "byte" : "bytes"}`;
  const units = ["KB", "MB", "GB"];
  let size = bytes / 1024;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${size.toFixed(1)}\u00a0${units[unit]}`;
}

function hasFiles(event) {
  return Boolean(event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files"));
}

// A read-only chat takes no files. One dropped on its page is not opened in the page's place;
// the notice that says why the chat is closed is brought to the eye instead.
export function refuseDrops(notice) {
  for (const name of ["dragover", "drop"]) {
    document.addEventListener(name, (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      if (name === "drop" && notice) notice.classList.add("is-refusing");
    });
  }
}

export class Uploads {
  constructor({ root, form, data, view, csrfToken, onSignedOut }) {
    this.root = root;
    this.form = form;
    this.data = data;
    this.view = view;
    this.csrfToken = csrfToken;
    this.onSignedOut = onSignedOut;
    this.items = [];
    this.serial = 0;
    this.toSay = [];
    this.sayTimer = null;
    // Set by the composer: told when no upload is left in progress, and given what to say.
    this.onSettled = () => {};
    this.onNotice = () => {};

    this.list = form.querySelector(".upload-chips");
    this.input = form.querySelector(".attach-input");
    this.camera = form.querySelector(".camera-input");
    this.dropHint = root.querySelector(".drop-hint");
    form.querySelector(".attach-bar").hidden = false;

    form.querySelector(".attach-button").addEventListener("click", () => this.input.click());
    form.querySelector(".camera-button").addEventListener("click", () => this.camera.click());
    for (const input of [this.input, this.camera]) {
      input.addEventListener("change", () => {
        this.add(Array.from(input.files));
        input.value = ""; // the same file may be chosen again after its chip was removed
      });
    }
    this.list.addEventListener("click", (event) => this.click(event));
    form.elements.content.addEventListener("paste", (event) => this.paste(event));
    this.listenForDrops();
  }

  // Dropping files anywhere on the chat attaches them. A drop that misses the chat is swallowed
  // too: the browser would otherwise open the file in place of the page and lose the draft.
  listenForDrops() {
    const showZone = (shown) => {
      this.root.classList.toggle("dropping", shown);
      this.dropHint.hidden = !shown;
    };
    this.root.addEventListener("dragenter", (event) => {
      if (hasFiles(event)) showZone(true);
    });
    this.root.addEventListener("dragover", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      showZone(true);
    });
    this.root.addEventListener("dragleave", (event) => {
      if (!this.root.contains(event.relatedTarget)) showZone(false);
    });
    this.root.addEventListener("drop", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.stopPropagation();
      showZone(false);
      this.add(Array.from(event.dataTransfer.files));
    });
    for (const name of ["dragover", "drop"]) {
      document.addEventListener(name, (event) => {
        if (hasFiles(event)) event.preventDefault();
      });
    }
  }

  // A pasted picture (a screenshot, a copied photo) is attached; pasted text is left to the
  // text area.
  paste(event) {
    const files = Array.from((event.clipboardData && event.clipboardData.files) || []);
    if (!files.length) return;
    if (!Array.from(event.clipboardData.types).includes("text/plain")) event.preventDefault();
    this.add(files);
  }

  add(files) {
    const room = this.data.maxAttachments - this.items.length;
    if (files.length > room) {
      const max = this.data.maxAttachments;
      this.onNotice(`A message can carry at most ${max} files; ${files.length - Math.max(room, 0)} not added.`);
    }
    for (const file of files.slice(0, Math.max(room, 0))) {
      const item = { key: ++this.serial, file, name: file.name || "pasted image", status: "", attachment: null };
      item.chip = this.chip(item);
      this.items.push(item);
      this.list.append(item.chip);
      const tooLarge = this.tooLarge(file);
      if (tooLarge) this.refused(item, 413, { error: { message: tooLarge } });
      else this.upload(item);
    }
    this.list.hidden = !this.items.length;
  }

  // A file over its kind's limit is refused before a byte is sent. The declared type is only a
  // hint: one the server could find to be a video is held to the video limit.
  tooLarge(file) {
    const limits = this.data.uploadLimits;
    const declared = file.type.toLowerCase();
    const kind = declared === "application/pdf" ? "file" : attachmentKind(declared);
    const limit = kind === "file" && declared !== "application/pdf"
      ? Math.max(limits.image, limits.video, limits.file)
      : limits[kind];
    if (file.size <= limit) return "";
    const words = {
      image: "photos", video: "videos", file: declared === "application/pdf" ? "documents" : "files",
    };
    return `Too large: ${words[kind]} can be at most ${Math.floor(limit / 1048576)} MB.`;
  }

  chip(item) {
    const chip = document.createElement("li");
    chip.className = "upload-chip";
    chip.dataset.key = item.key;
    const thumb = document.createElement("span");
    thumb.className = "chip-thumb";
    thumb.setAttribute("aria-hidden", "true");
    const kind = attachmentKind(item.file.type);
    if (kind === "image") {
      item.preview = URL.createObjectURL(item.file);
      this.showThumb(thumb, item.preview);
    } else {
      thumb.textContent = ICONS[kind];
    }
    const body = document.createElement("span");
    body.className = "chip-body";
    const name = document.createElement("span");
    name.className = "chip-name";
    name.title = item.name;
    name.textContent = item.name;
    const size = document.createElement("span");
    size.className = "chip-size muted";
    size.textContent = chipSize(item.file.size);
    const progress = document.createElement("progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", `Uploading ${item.name}`);
    const status = document.createElement("span");
    status.className = "chip-status";
    body.append(name, " ", size, progress, status);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "chip-remove";
    remove.dataset.action = "remove-upload";
    remove.setAttribute("aria-label", `Remove ${item.name}`);
    remove.textContent = "×";
    chip.append(thumb, body, remove);
    return chip;
  }

  showThumb(thumb, url) {
    const image = document.createElement("img");
    image.alt = "";
    image.src = url;
    // A picture the browser cannot draw (a HEIC photo before the server converts it) shows as a
    // plain icon.
    image.addEventListener("error", () => {
      thumb.textContent = ICONS.image;
    });
    thumb.replaceChildren(image);
  }

  upload(item) {
    this.setStatus(item, "uploading");
    const xhr = new XMLHttpRequest();
    item.xhr = xhr;
    // The appointment in the URL too: the server refuses an upload it cannot take before the
    // file is sent.
    const url = `${this.data.attachmentsUrl}?appointmentId=${encodeURIComponent(this.data.appointmentId)}`;
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", this.csrfToken());
    xhr.responseType = "json";
    const progress = item.chip.querySelector("progress");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    xhr.addEventListener("load", () => {
      const reply = xhr.response;
      if (xhr.status === 201 && reply && reply.attachment) this.uploaded(item, reply.attachment);
      else this.refused(item, xhr.status, reply);
    });
    xhr.addEventListener("error", () => this.refused(item, 0, null));
    const body = new FormData();
    body.append("appointmentId", this.data.appointmentId);
    body.append("file", item.file, item.name);
    xhr.send(body);
  }

  uploaded(item, attachment) {
    item.attachment = attachment;
    item.xhr = null;
    this.setStatus(item, "done");
    const preview = attachment.thumbnailUrl || (attachmentKind(attachment.contentType) === "image" && attachment.url);
    if (preview) this.showThumb(item.chip.querySelector(".chip-thumb"), preview);
    this.forgetPreview(item);
    this.say(`${item.name} uploaded.`);
    this.settle();
  }

  refused(item, status, reply) {
    item.xhr = null;
    if (status === 401) this.onSignedOut();
    const message = (reply && reply.error && reply.error.message)
      || PLAIN_ERRORS[status] || "This file could not be uploaded.";
    this.setStatus(item, "failed", message);
    // Worth another go only when the server did not refuse the file itself.
    if (status === 0 || status >= 500) {
      const again = document.createElement("button");
      again.type = "button";
      again.className = "link-button";
      again.dataset.action = "retry-upload";
      again.textContent = "Try again";
      again.setAttribute("aria-label", `Try uploading ${item.name} again`);
      item.chip.querySelector(".chip-status").append(" ", again);
    }
    this.say(`${item.name} could not be uploaded: ${message}`);
    this.settle();
  }

  setStatus(item, status, message = "") {
    item.status = status;
    item.chip.className = `upload-chip is-${status}`;
    const progress = item.chip.querySelector("progress");
    progress.hidden = status !== "uploading";
    if (status === "uploading") progress.value = 0;
    const text = item.chip.querySelector(".chip-status");
    text.textContent = { done: "Ready to send", failed: message }[status] || "";
    text.classList.toggle("chip-error", status === "failed");
  }

  click(event) {
    const control = event.target.closest("[data-action]");
    if (!control) return;
    const item = this.items.find((one) => String(one.key) === control.closest(".upload-chip").dataset.key);
    if (!item) return;
    if (control.dataset.action === "retry-upload") {
      this.upload(item);
      item.chip.querySelector(".chip-remove").focus();
    } else if (control.dataset.action === "remove-upload") {
      this.remove(item);
    }
  }

  // Focus goes to the next chip's remove button, else the previous one's, else the text area.
  remove(item) {
    const index = this.items.indexOf(item);
    if (item.xhr) item.xhr.abort();
    this.forgetPreview(item);
    item.chip.remove();
    this.items.splice(index, 1);
    this.list.hidden = !this.items.length;
    const next = this.items[index] || this.items[index - 1];
    if (next) next.chip.querySelector(".chip-remove").focus();
    else this.form.elements.content.focus();
    this.say(`${item.name} removed.`);
    this.settle();
  }

  say(text) {
    this.toSay.push(text);
    clearTimeout(this.sayTimer);
    this.sayTimer = setTimeout(() => {
      this.view.say(this.toSay.join(" "));
      this.toSay = [];
    }, SAY_AFTER_MS);
  }

  forgetPreview(item) {
    if (item.preview) URL.revokeObjectURL(item.preview);
    item.preview = null;
  }

  settle() {
    if (!this.uploading()) this.onSettled();
  }

  uploading() {
    return this.items.filter((item) => item.status === "uploading").length;
  }

  failed() {
    return this.items.filter((item) => item.status === "failed");
  }

  // The uploaded files, taken off the composer for the message about to go: handed back with
  // putBack() if the server refuses the message.
  take() {
    const taken = this.items.filter((item) => item.status === "done");
    for (const item of taken) item.chip.remove();
    this.items = this.items.filter((item) => item.status !== "done");
    this.list.hidden = !this.items.length;
    return taken;
  }

  putBack(items) {
    for (const item of items) {
      this.items.push(item);
      this.list.append(item.chip);
    }
    this.list.hidden = !this.items.length;
  }
}

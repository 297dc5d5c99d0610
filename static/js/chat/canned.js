// The canned-answer picker of a clinician's composer. A "/" at the start of the message opens a
// list of their own answers and the clinic's (filled in for this appointment by the server);
// what follows the "/" filters it, the arrow keys move through it, Enter puts the chosen text
// into the composer for editing (it is never sent from here) and Escape closes it. The textarea
// keeps the focus throughout and names the highlighted option with aria-activedescendant.

export class CannedPicker {
  constructor({ form, answers, onInsert }) {
    this.textarea = form.elements.content;
    this.answers = answers;
    this.onInsert = onInsert;
    this.shown = [];
    this.active = -1;

    this.list = document.createElement("ul");
    this.list.id = "canned-picker";
    this.list.className = "canned-picker";
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", "Canned answers");
    this.list.hidden = true;
    this.status = document.createElement("p");
    this.status.className = "visually-hidden";
    this.status.setAttribute("aria-live", "polite");
    form.querySelector(".composer-row").after(this.list, this.status);

    const help = form.querySelector(".composer-help");
    const tip = document.createElement("span");
    tip.textContent = " Type / at the start for canned answers.";
    help.insertBefore(tip, help.querySelector(".counter"));

    this.textarea.addEventListener("input", () => this.update());
    this.textarea.addEventListener("blur", () => this.close());
    // Capturing on the form runs before the composer's own Enter-to-send on the textarea.
    form.addEventListener("keydown", (event) => this.key(event), true);
    // mousedown, not click: the textarea keeps the focus (and the list is not closed by blur).
    this.list.addEventListener("mousedown", (event) => {
      const option = event.target.closest("[role=option]");
      if (!option) return;
      event.preventDefault();
      this.insert(this.shown[Number(option.dataset.index)]);
    });
  }

  query() {
    const value = this.textarea.value;
    if (!value.startsWith("/") || value.includes("\n")) return null;
    return value.slice(1).trim().toLowerCase();
  }

  update() {
    const query = this.query();
    if (query === null) {
      this.close();
      return;
    }
    const words = query.split(/\s+/).filter(Boolean);
    this.shown = this.answers.filter((answer) => {
      const haystack = `${answer.title} ${answer.text}`.toLowerCase();
      return words.every((word) => haystack.includes(word));
    });
    if (!this.shown.length) {
      this.close();
      this.status.textContent = "No canned answer matches.";
      return;
    }
    this.list.replaceChildren(
      ...this.shown.map((answer, index) => {
        const option = document.createElement("li");
        option.id = answer.id;
        option.dataset.index = index;
        option.setAttribute("role", "option");
        const title = document.createElement("span");
        title.className = "canned-title";
        title.textContent = answer.shared ? `${answer.title} (clinic)` : answer.title;
        const preview = document.createElement("span");
        preview.className = "canned-preview";
        preview.textContent = answer.text;
        option.append(title, preview);
        return option;
      }),
    );
    this.list.hidden = false;
    this.textarea.setAttribute("aria-controls", this.list.id);
    this.move(0);
    const count = this.shown.length;
    this.status.textContent = `${count} canned answer${count === 1 ? "" : "s"}. Up and down arrows to choose, Enter to insert, Escape to close.`;
  }

  move(index) {
    const options = this.list.querySelectorAll("[role=option]");
    this.active = (index + options.length) % options.length;
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === this.active)));
    const active = options[this.active];
    this.textarea.setAttribute("aria-activedescendant", active.id);
    active.scrollIntoView({ block: "nearest" });
  }

  key(event) {
    if (event.target !== this.textarea || this.list.hidden) return;
    const handled = {
      ArrowDown: () => this.move(this.active + 1),
      ArrowUp: () => this.move(this.active - 1),
      Home: () => this.move(0),
      End: () => this.move(this.shown.length - 1),
      Enter: () => this.insert(this.shown[this.active]),
      Tab: () => this.insert(this.shown[this.active]),
      Escape: () => {
        this.close();
        this.status.textContent = "Canned answers closed.";
      },
    }[event.key];
    if (!handled || (event.key === "Enter" && (event.shiftKey || event.isComposing))) return;
    event.preventDefault();
    event.stopPropagation();
    handled();
  }

  insert(answer) {
    if (!answer) return;
    this.textarea.value = answer.text;
    this.close();
    this.status.textContent = `Inserted “${answer.title}”. Edit it, then send.`;
    this.textarea.focus();
    this.textarea.setSelectionRange(answer.text.length, answer.text.length);
    // The composer keeps it as the draft and counts it, as if typed.
    this.textarea.dispatchEvent(new Event("input", { bubbles: true }));
    if (this.onInsert) this.onInsert(answer);
  }

  close() {
    this.list.hidden = true;
    this.list.replaceChildren();
    this.shown = [];
    this.active = -1;
    this.textarea.removeAttribute("aria-activedescendant");
    this.textarea.removeAttribute("aria-controls");
  }
}

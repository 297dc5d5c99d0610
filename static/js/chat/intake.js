// The intake step of a pet parent's composer (templates/triage/_intake.html): what the message is
// about (the radio group `category`) and, for a medical question, the clinic's questions. Asked,
// never forced: "Skip" sends the message as "other". Once an intake is sent the step goes, and
// the composer sends plain messages again. Sent without a category, the message goes as "other"
// too: a worried parent is never held up by the questions.

export class Intake {
  static of(form) {
    const fieldset = form.querySelector("fieldset[data-intake]");
    return fieldset ? new Intake(form, fieldset) : null;
  }

  constructor(form, fieldset) {
    this.form = form;
    this.fieldset = fieldset;
    this.questions = fieldset.querySelector("[data-intake-medical]");
    this.active = true;
    fieldset.addEventListener("change", (event) => {
      if (event.target.name === "category") this.showQuestions();
    });
    this.showQuestions();
  }

  category() {
    const checked = this.fieldset.querySelector("input[name=category]:checked");
    return checked ? checked.value : "";
  }

  // The medical questions show for a medical question only.
  showQuestions() {
    if (this.questions) this.questions.hidden = this.category() !== "medical";
  }

  // The payload of the intake: "other" when skipped or when no category is chosen.
  payload(submitter) {
    const category = (submitter && submitter.name === "skip") ? "other" : this.category() || "other";
    const answers = [];
    if (category === "medical" && this.questions) {
      for (const input of this.questions.querySelectorAll("input[data-question]")) {
        if (input.type === "radio" && !input.checked) continue;
        const answer = input.value.trim();
        if (answer) answers.push({ questionId: Number(input.dataset.question), answer });
      }
    }
    return { category, answers };
  }

  // Whether the intake says something without the parent's words: a category chosen or answers.
  speaks(payload) {
    return payload.category !== "other" || payload.answers.length > 0;
  }

  // Sent: the topic is open, and the step goes.
  done() {
    this.active = false;
    this.fieldset.remove();
    document.querySelector(".new-topic-row")?.removeAttribute("hidden");
    // Opened for a new topic (`?topic=new`): a reload now shows the chat, not the step again.
    if (new URLSearchParams(window.location.search).get("topic") === "new") {
      history.replaceState(null, "", window.location.pathname + window.location.hash);
    }
  }
}

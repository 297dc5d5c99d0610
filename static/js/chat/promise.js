// The composer's "If you send now, expect a reply by …": the server paints it for the chat's
// category; when the family picks another category in the intake (the radio group named
// "category"), this asks the server again (GET the block's data-url?category=…) and shows its
// answer. Without JavaScript the painted line stays.

const box = document.getElementById("composer-promise");
const form = document.querySelector("form.composer");

let asked = 0;

async function refresh(category) {
  const mine = ++asked;
  const url = new URL(box.dataset.url, window.location.href);
  url.searchParams.set("category", category);
  let answer;
  try {
    const response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) return; // the painted line stays; the send itself is not affected
    answer = await response.json();
  } catch {
    return;
  }
  if (mine !== asked) return; // a later choice was made meanwhile
  box.innerHTML = answer.html; // the server's template, escaped there
}

if (box && form) {
  form.addEventListener("change", (event) => {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.name === "category" && input.checked) {
      refresh(input.value);
    }
  });
}

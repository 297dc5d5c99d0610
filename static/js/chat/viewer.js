// The full-size view of a photo in the chat: a modal dialog opened from the photo's thumbnail
// (a link to the picture, which pages without JavaScript simply follow). Escape, the Close button
// or a click beside the picture close it, and focus goes back to the thumbnail.

const VIEW_SIZE = 1280; // the longer side of the server's larger thumbnail

export class ImageViewer {
  constructor(root) {
    this.dialog = root.querySelector(".image-viewer");
    this.name = this.dialog.querySelector(".viewer-name");
    this.image = this.dialog.querySelector(".viewer-image");
    this.download = this.dialog.querySelector(".viewer-download");
    this.closeButton = this.dialog.querySelector(".viewer-close");
    this.opener = null;

    root.querySelector(".messages").addEventListener("click", (event) => {
      const link = event.target.closest("a.image-link");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return; // a new tab, as asked
      event.preventDefault();
      this.open(link);
    });
    this.closeButton.addEventListener("click", () => this.dialog.close());
    // A click on the backdrop lands on the dialog itself, outside its content.
    this.dialog.addEventListener("click", (event) => {
      if (event.target === this.dialog) this.dialog.close();
    });
    this.dialog.addEventListener("close", () => this.closed());
  }

  open(link) {
    const thumb = link.querySelector("img");
    const name = thumb ? thumb.alt : "";
    this.opener = link;
    this.name.textContent = name;
    this.image.alt = name;
    // Drawn at the size of the picture shown (at most the 1280 px one), which the style sheet
    // fits in the window, so the dialog has its shape before the bytes arrive.
    const width = Number(link.dataset.width);
    const height = Number(link.dataset.height);
    if (width && height) {
      const scale = link.dataset.view ? Math.min(1, VIEW_SIZE / Math.max(width, height)) : 1;
      this.image.width = Math.max(1, Math.round(width * scale));
      this.image.height = Math.max(1, Math.round(height * scale));
    } else {
      this.image.removeAttribute("width");
      this.image.removeAttribute("height");
    }
    this.image.src = link.dataset.view || link.href;
    this.download.href = link.href;
    this.download.download = name;
    this.download.setAttribute("aria-label", `Download ${name}`);
    this.dialog.showModal();
    this.closeButton.focus();
  }

  closed() {
    this.image.removeAttribute("src");
    const opener = this.opener;
    this.opener = null;
    // The thumbnail may have been drawn again meanwhile (the message changed): its new self.
    if (opener && opener.isConnected) opener.focus();
    else if (opener) {
      const again = document.querySelector(`a.image-link[href="${CSS.escape(opener.getAttribute("href"))}"]`);
      again?.focus();
    }
  }
}

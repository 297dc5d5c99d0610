// A form the server sent back with errors: focus goes to the first field in error, whose label
// and error (tied by aria-describedby) a screen reader then reads, or to an error that belongs
// to no field. Without this, a reload after submitting starts reading at the top of the page.

const invalid = document.querySelector("main form [aria-invalid=true]");
const general = document.querySelector("main form .errorlist.nonfield");
if (general) {
  general.tabIndex = -1;
  general.focus();
} else if (invalid) {
  invalid.focus();
}

"""The display name of an upload, on its own: what reaches the page and the download's name."""

import pytest

from attachments.names import display_name


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("", "file"),
        ("   ", "file"),
        ("../..", "file"),
        ("a/b/../../c.pdf", "c.pdf"),
        ("C:\\Users\\sam\\rash.jpg", "rash.jpg"),
        ("line\nbreak\ttab.pdf", "line break tab.pdf"),
        ("nul\x00byte.pdf", "nulbyte.pdf"),
        ("bell\x07\x7f.pdf", "bell.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("\u2067isolate\u2069.pdf", "isolate.pdf"),
        ("zero\u200bwidth\ufeff.pdf", "zerowidth.pdf"),
        ("  .hidden.pdf. ", "hidden.pdf"),
        ("Cafe\u0301.pdf", "Café.pdf"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
        ("y" * 300, "y" * 200),
    ],
)
def test_display_names(raw, name):
    assert display_name(raw) == name
    assert len(display_name(raw)) <= 200

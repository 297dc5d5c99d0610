"""Photos, videos and documents in a real browser: chosen with the picker, dropped or typed with
the keyboard, uploaded with progress, sent, seen live by the other side and opened full size;
a refused file says why and loses nothing else. Every file is made here."""

import base64
import io
import json
import os
import re
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from playwright.sync_api import Page, expect

from appointments.models import Appointment
from chat.models import Message
from tests.attachments import files
from tests.e2e.a11y import axe_violations, describe
from tests.e2e.conftest import new_page
from tests.e2e.test_accessibility import SIDEWAYS, add_text_spacing
from tests.e2e.test_chat import assert_drawn_by_the_server, drawn
from tests.e2e.test_keyboard import FOCUS_SHOWN
from tests.servers import AsgiServer
from tests.signin import signed_in_client

pytestmark = pytest.mark.django_db(transaction=True)

UPLOAD_URL = "/api/appointment-chat/attachments"
MESSAGES_URL = "/api/appointment-chat/messages"
SEEN_WITHIN_MS = 12_000  # a poll interval, and a margin for a machine running a cluster beside
PUSHED_WITHIN_MS = 2_000
LONG_NAME = "x-ray-of-the-left-fore-paw-taken-on-monday-" * 4 + "final.pdf"


# Files ------------------------------------------------------------------------------------------


def photo(width: int = 400, height: int = 300, *, noise: bool = False) -> bytes:
    """A PNG; with noise it does not compress, so its upload takes long enough to watch."""
    if not noise:
        return files.image_bytes("PNG", size=(width, height), color="orange")
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="session")
def video(tmp_path_factory) -> bytes:
    return files.video(tmp_path_factory.mktemp("video"), location=False, seconds=1)


# A Windows program, named as a photo: the server looks at the bytes, not the name.
PROGRAM = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 240 + b"PE\x00\x00"
)


def file_payload(name: str, mime: str, data: bytes) -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


# Pages ------------------------------------------------------------------------------------------


def chat_url(base: str, appointment) -> str:
    return f"{base}/appointments/{appointment.pk}/"


def chip(page: Page, name: str):
    return page.locator(".upload-chip", has=page.locator(".chip-name", has_text=name))


def drop_files(page: Page, files: list[dict]) -> None:
    """Drop files on the chat as a file manager would: a DataTransfer holding them, dragged in."""
    encoded = [
        {"name": f["name"], "type": f["mimeType"], "data": base64.b64encode(f["buffer"]).decode()}
        for f in files
    ]
    transfer = page.evaluate_handle(
        """(files) => {
          const transfer = new DataTransfer();
          for (const f of files) {
            const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
            transfer.items.add(new File([bytes], f.name, { type: f.type }));
          }
          return transfer;
        }""",
        encoded,
    )
    log = page.locator("#conversation")
    log.dispatch_event("dragenter", {"dataTransfer": transfer})
    log.dispatch_event("dragover", {"dataTransfer": transfer})
    expect(page.locator(".drop-hint")).to_be_visible()
    expect(page.locator("#chat")).to_have_class(re.compile(r"\bdropping\b"))
    log.dispatch_event("drop", {"dataTransfer": transfer})
    expect(page.locator(".drop-hint")).to_be_hidden()


def slow_uploads(page: Page, bytes_per_second: int) -> None:
    """Chromium's own network throttling, so an upload on this machine takes a while."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


def tab_until(page: Page, selector: str, *, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab until the focused element matches; every element on the way shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if page.evaluate("() => document.activeElement !== document.body"):
            assert page.evaluate(FOCUS_SHOWN), page.evaluate(
                "() => document.activeElement.outerHTML"
            )
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


# Tests ------------------------------------------------------------------------------------------


def test_attach_with_the_picker_watch_progress_and_send_while_it_uploads(
    page_for, live_server, appointment, parent
):
    page = page_for(parent)
    page.goto(chat_url(live_server.url, appointment))
    slow_uploads(page, 150_000)

    # when the parent picks a photo with the Attach button
    with page.expect_file_chooser() as chosen:
        page.get_by_role("button", name="Attach files").click()
    assert chosen.value.is_multiple()
    chosen.value.set_files(file_payload("rash.png", "image/png", photo(500, 400, noise=True)))

    # then its chip shows a preview and the upload's progress, then says it is ready
    rash = chip(page, "rash.png")
    expect(rash.locator(".chip-thumb img")).to_have_attribute("src", re.compile("^blob:"))
    expect(rash.get_by_role("progressbar", name="Uploading rash.png")).to_be_visible()
    page.wait_for_function(
        """() => { const bar = document.querySelector(".upload-chip progress");
                   return bar && bar.value > 0 && bar.value < 100; }"""
    )

    # when Send is pressed while it uploads, then the message waits for it, saying so
    page.get_by_label("Your message").fill("The rash this morning")
    page.get_by_label("Your message").press("Enter")
    expect(page.locator(".send-waiting")).to_be_visible()
    expect(page.locator("#composer-text")).to_have_value("The rash this morning")
    assert not Message.objects.filter(chat__appointment=appointment).exists()

    # and goes once it is up, the chip gone and the photo shown as a thumbnail
    sent = page.locator(".message.mine").last
    expect(sent.locator(".content")).to_have_text("The rash this morning")
    expect(sent.locator("img.thumb")).to_have_attribute("alt", "rash.png")
    expect(sent.locator(".receipt")).to_have_text(re.compile("Sent|Read"))
    expect(page.locator(".upload-chip")).to_have_count(0)
    expect(page.locator(".send-waiting")).to_be_hidden()
    expect(page.locator("#chat-announcer")).to_contain_text("rash.png uploaded.")
    message = Message.objects.get(chat__appointment=appointment)
    assert message.message_type == "image"
    assert message.content == "The rash this morning"
    assert page.js_errors == []


def test_a_dropped_photo_reaches_the_other_side_live_and_opens_full_size(
    open_live_chat, appointment, parent, vet
):
    server = AsgiServer(env={"DJANGO_CHAT_POLL_SECONDS": "3600"}).start()
    try:
        parent_page = open_live_chat(server, parent, appointment)
        vet_page = open_live_chat(server, vet, appointment)

        # given the parent drops a photo on the chat and sends it
        drop_files(parent_page, [file_payload("paw.png", "image/png", photo(900, 600))])
        expect(chip(parent_page, "paw.png").locator(".chip-status")).to_have_text("Ready to send")
        parent_page.get_by_role("button", name="Send").click()

        # then the vet's open page shows the thumbnail, pushed, in its place
        thumb = vet_page.locator(".message.theirs img.thumb")
        expect(thumb).to_be_visible(timeout=PUSHED_WITHIN_MS)
        expect(thumb).to_have_attribute("alt", "paw.png")
        expect(thumb).to_have_attribute("width", "320")
        expect(thumb).to_have_attribute("height", "213")
        expect(vet_page.locator("#chat-announcer")).to_have_text(
            f"New message from {parent.name}: photo paw.png"
        )
        vet_page.wait_for_function("() => document.querySelector('img.thumb').naturalWidth > 0")

        # when the vet opens it, then the full-size view shows the picture, its name and a download
        thumb.click()
        viewer = vet_page.get_by_role("dialog", name="paw.png")
        expect(viewer).to_be_visible()
        expect(viewer.get_by_role("img", name="paw.png")).to_be_visible()
        expect(viewer.get_by_role("link", name="Download paw.png")).to_have_attribute(
            "download", "paw.png"
        )
        vet_page.wait_for_function("() => document.querySelector('.viewer-image').naturalWidth > 0")
        expect(viewer.get_by_role("button", name="Close")).to_be_focused()

        # and Escape closes it, focus back on the thumbnail
        vet_page.keyboard.press("Escape")
        expect(viewer).to_be_hidden()
        expect(vet_page.locator(".message.theirs a.image-link")).to_be_focused()
        assert parent_page.js_errors == [] and vet_page.js_errors == []
    finally:
        server.stop()


def test_a_refused_file_says_why_and_keeps_the_text_and_the_other_files(
    page_for, live_server, appointment, parent
):
    page = page_for(parent)
    page.goto(chat_url(live_server.url, appointment))
    composer = page.get_by_label("Your message")
    composer.fill("Both photos from today")

    page.locator(".attach-input").set_input_files(
        [
            file_payload("ear.png", "image/png", photo()),
            file_payload("setup.png", "image/png", PROGRAM),
        ]
    )
    refused = chip(page, "setup.png")
    expect(refused).to_have_class(re.compile("is-failed"))
    expect(refused.locator(".chip-status")).to_contain_text(re.compile(r"\w"))
    expect(page.locator("#chat-announcer")).to_contain_text("setup.png could not be uploaded")
    expect(chip(page, "ear.png").locator(".chip-status")).to_have_text("Ready to send")
    expect(composer).to_have_value("Both photos from today")

    # sending is stopped with the reason, and nothing is lost
    composer.press("Enter")
    expect(page.locator(".composer-error")).to_contain_text("setup.png could not be uploaded")
    expect(composer).to_have_value("Both photos from today")
    expect(page.locator(".upload-chip")).to_have_count(2)
    assert not Message.objects.filter(chat__appointment=appointment).exists()

    # once the refused file is removed, the rest goes
    refused.get_by_role("button", name="Remove setup.png").click()
    expect(page.get_by_role("button", name="Remove ear.png")).to_be_focused()
    composer.press("Enter")
    expect(page.locator(".message.mine img.thumb")).to_have_attribute("alt", "ear.png")
    expect(page.locator(".message.mine .content")).to_have_text("Both photos from today")
    assert page.js_errors == []


def test_attach_send_open_and_close_the_viewer_with_the_keyboard_only(
    page_for, live_server, appointment, parent
):
    page = page_for(parent)
    page.goto(chat_url(live_server.url, appointment))

    # the Attach button, reached with Tab, opens the file picker (intercepted from the start:
    # a key press can beat the interception expect_file_chooser switches on)
    page.on("filechooser", lambda chooser: None)
    tab_until(page, ".attach-button")
    with page.expect_file_chooser() as chosen:
        page.keyboard.press("Enter")
    chosen.value.set_files(file_payload("eye.png", "image/png", photo(300, 300)))
    expect(chip(page, "eye.png").locator(".chip-status")).to_have_text("Ready to send")

    tab_until(page, "#composer-text", backwards=True)
    page.keyboard.type("His eye")
    page.keyboard.press("Enter")
    expect(page.locator(".message.mine img.thumb")).to_be_visible()
    expect(page.locator("#composer-text")).to_be_focused()

    # the thumbnail opens the viewer with Enter; Escape closes it, focus back on the thumbnail
    tab_until(page, "a.image-link", backwards=True)
    page.keyboard.press("Enter")
    viewer = page.get_by_role("dialog", name="eye.png")
    expect(viewer).to_be_visible()
    expect(viewer.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(viewer.get_by_role("link", name="Download eye.png")).to_be_focused()
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(page.locator("a.image-link")).to_be_focused()

    # and the Close button, pressed with the keyboard, does the same
    page.keyboard.press("Enter")
    expect(viewer).to_be_visible()
    page.keyboard.press("Enter")
    expect(viewer).to_be_hidden()
    expect(page.locator("a.image-link")).to_be_focused()
    assert page.js_errors == []


# The chat holding every kind of file, uploaded and sent as a client does --------------------


def upload(client: Client, appointment, name: str, mime: str, data: bytes) -> dict:
    response = client.post(
        UPLOAD_URL,
        {"appointmentId": str(appointment.pk), "file": SimpleUploadedFile(name, data, mime)},
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()["attachment"]


def send_files(client: Client, appointment, kind: str, attachments: list[dict], text: str = ""):
    response = client.post(
        MESSAGES_URL,
        json.dumps(
            {
                "appointmentId": str(appointment.pk),
                "content": text,
                "messageType": kind,
                "attachments": [{"id": a["id"]} for a in attachments],
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.CREATED, response.content


def fill_chat_with_files(appointment, parent, vet, video: bytes) -> None:
    as_parent, as_vet = signed_in_client(parent), signed_in_client(vet)
    send_files(
        as_parent,
        appointment,
        "image",
        [upload(as_parent, appointment, "ear-" + "close-up-" * 20 + ".png", "image/png", photo())],
        "His ear tonight",
    )
    send_files(
        as_parent,
        appointment,
        "video",
        [upload(as_parent, appointment, "walk.mp4", "video/mp4", video)],
    )
    send_files(
        as_vet,
        appointment,
        "file",
        [upload(as_vet, appointment, LONG_NAME, "application/pdf", files.pdf_document())],
        "The lab results",
    )


@pytest.mark.parametrize("width", [360, 1280])
def test_a_chat_with_a_photo_a_video_and_a_document_has_no_axe_violations(
    page_for, live_server, appointment, parent, vet, video, width
):
    fill_chat_with_files(appointment, parent, vet, video)
    page = page_for(parent, width=width)
    page.goto(chat_url(live_server.url, appointment))
    expect(page.locator("img.thumb")).to_be_visible()
    expect(page.locator(".attachment-video video")).to_have_attribute("preload", "none")
    expect(page.locator(".doc-card .file")).to_contain_text(LONG_NAME)
    violations = axe_violations(page)
    assert violations == [], describe(violations)

    # with files on the composer, one of them refused
    page.locator(".attach-input").set_input_files(
        [
            file_payload("paw-" + "very-" * 30 + "long.png", "image/png", photo()),
            file_payload("setup.png", "image/png", PROGRAM),
        ]
    )
    expect(page.locator(".upload-chip.is-done")).to_have_count(1)
    expect(page.locator(".upload-chip.is-failed")).to_have_count(1)
    assert (
        page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        <= 0
    )
    violations = axe_violations(page)
    assert violations == [], describe(violations)

    # and with the photo open full size
    page.locator("a.image-link").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    box = page.locator(".image-viewer").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    assert page.js_errors == []


def test_files_arriving_live_look_as_the_server_renders_them(
    page_for, live_server, appointment, parent, vet, video, artifacts
):
    """Photos, videos and documents arrive drawn by the server: node for node what a reload
    shows (thumbnail sizes, file sizes and all)."""
    page = page_for(parent)
    page.goto(chat_url(live_server.url, appointment))
    fill_chat_with_files(appointment, parent, vet, video)
    messages = page.locator(".messages .message")
    expect(messages).to_have_count(3, timeout=SEEN_WITHIN_MS)
    live = drawn(page)

    assert_drawn_by_the_server(page, live, artifacts, "chat-files")
    served = "".join(live)
    for kind in ("image", "video", "file"):
        assert f"attachment-{kind}" in served
    assert 'width="320"height="240"' in served  # the 400 by 300 photo's thumbnail box
    assert re.search(r"doc-size(muted)?\">\d+(\.\d)?(&nbsp;)?(bytes|KB|MB)<", served)
    assert page.js_errors == []


def test_without_javascript_the_page_says_files_need_it(
    open_page, live_server, appointment, parent
):
    page = open_page(
        live_server.url, parent, f"/appointments/{appointment.pk}/", java_script_enabled=False
    )
    expect(page.locator(".noscript-note")).to_have_text(re.compile("needs JavaScript"))
    expect(page.get_by_role("button", name="Attach files")).to_be_hidden()


# Pages of their own: on a real app server, without JavaScript, on a phone --------------------


@pytest.fixture
def open_page(new_context):
    """A signed-in page in a context of its own, with the context's options."""

    def make(base_url: str, user, path: str, **options) -> Page:
        page = new_page(new_context(user, base_url, **options))
        page.goto(base_url + path)
        return page

    return make


@pytest.fixture
def open_live_chat(open_page):
    def make(server: AsgiServer, user, appointment) -> Page:
        page = open_page(server.url, user, f"/appointments/{appointment.pk}/")
        expect(page.locator(".live-status")).to_have_text("Live")
        return page

    return make


def test_the_picker_asks_for_photos_videos_and_documents(
    page_for, live_server, appointment, parent
):
    page = page_for(parent)
    page.goto(chat_url(live_server.url, appointment))
    picker = page.locator(".attach-input")
    expect(picker).to_have_attribute("accept", "image/*,video/*,application/pdf")
    expect(picker).to_have_attribute("multiple", "")
    # the picker itself leaves the phone's own choice of camera or gallery; a second button goes
    # straight to the camera, shown only where the pointer is a finger
    assert picker.get_attribute("capture") is None
    expect(page.locator(".camera-input")).to_have_attribute("capture", "environment")
    expect(page.get_by_role("button", name="Take a photo")).to_be_hidden()


def test_a_phone_offers_its_camera(open_page, live_server, appointment, parent):
    page = open_page(
        live_server.url,
        parent,
        f"/appointments/{appointment.pk}/",
        width=360,
        height=740,
        has_touch=True,
        is_mobile=True,
    )
    camera = page.get_by_role("button", name="Take a photo")
    expect(camera).to_be_visible()
    with page.expect_file_chooser() as chosen:
        camera.click()
    assert not chosen.value.is_multiple()


def test_a_pasted_picture_is_attached(page_for, live_server, appointment, parent):
    page = page_for(parent)
    page.goto(chat_url(live_server.url, appointment))
    composer = page.get_by_label("Your message")
    composer.fill("Screenshot of the label")
    data = base64.b64encode(photo(120, 80)).decode()
    composer.evaluate(
        """(area, data) => {
          const transfer = new DataTransfer();
          const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
          transfer.items.add(new File([bytes], "image.png", { type: "image/png" }));
          const paste = new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true });
          area.dispatchEvent(paste);
        }""",
        data,
    )
    expect(chip(page, "image.png").locator(".chip-status")).to_have_text("Ready to send")
    expect(composer).to_have_value("Screenshot of the label")


def test_a_message_takes_at_most_ten_files(page_for, live_server, appointment, parent):
    page = page_for(parent)
    page.goto(chat_url(live_server.url, appointment))
    page.locator(".attach-input").set_input_files(
        [file_payload(f"photo-{n}.png", "image/png", photo(40, 30)) for n in range(11)]
    )
    expect(page.locator(".upload-chip")).to_have_count(10)
    expect(page.locator(".composer-error")).to_have_text(
        "A message can carry at most 10 files; 1 not added."
    )
    expect(page.locator(".upload-chip.is-done")).to_have_count(10, timeout=20_000)
    page.get_by_label("Your message").press("Enter")
    expect(page.locator(".message.mine img.thumb")).to_have_count(10)


def test_long_file_names_never_push_the_page_sideways_at_320_px(
    page_for, live_server, appointment, parent, vet, video
):
    fill_chat_with_files(appointment, parent, vet, video)
    page = page_for(parent, width=320)
    page.goto(chat_url(live_server.url, appointment))
    page.locator(".attach-input").set_input_files(
        [file_payload("paw-" + "very-" * 30 + "long.png", "image/png", photo())]
    )
    expect(page.locator(".upload-chip.is-done")).to_have_count(1)
    add_text_spacing(page)
    assert page.evaluate(SIDEWAYS) <= 0
    for selector in (".doc-card", ".upload-chip", "img.thumb", ".attachment-video video"):
        box = page.locator(selector).first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, selector
    # the chip's name is cut with an ellipsis, and whole in its title
    name = page.locator(".chip-name")
    expect(name).to_have_attribute("title", "paw-" + "very-" * 30 + "long.png")
    assert name.evaluate("(el) => el.scrollWidth > el.clientWidth")


def test_a_file_over_its_limit_is_refused_in_plain_words(
    settings, page_for, live_server, appointment, parent
):
    settings.VETCHAT_IMAGE_MAX_BYTES = 1024 * 1024
    page = page_for(parent)
    page.goto(chat_url(live_server.url, appointment))
    big = photo(700, 700, noise=True)  # about 1.5 MB
    page.locator(".attach-input").set_input_files(
        [
            # declared a photo: refused by the page before a byte is sent
            file_payload("declared.png", "image/png", big),
            # declared as nothing in particular: sent, and refused by the server by its content
            file_payload("undeclared", "application/octet-stream", big),
        ]
    )
    expect(chip(page, "declared.png").locator(".chip-status")).to_have_text(
        "Too large: photos can be at most 1 MB."
    )
    expect(chip(page, "undeclared").locator(".chip-status")).to_have_text(
        "Photos can be at most 1 MB."
    )
    expect(page.locator(".upload-chip.is-failed")).to_have_count(2)


def test_a_file_dropped_on_a_read_only_chat_is_refused_there_not_opened(
    page_for, live_server, appointment, parent
):
    Appointment.objects.filter(pk=appointment.pk).update(status="cancelled")
    page = page_for(parent)
    page.goto(chat_url(live_server.url, appointment))
    notice = page.locator(".read-only-notice")
    expect(notice).to_contain_text("cancelled")

    # a drop the page does not take would make the browser open the file in its place
    taken = page.evaluate(
        """() => {
          const transfer = new DataTransfer();
          transfer.items.add(new File(["x"], "rash.jpg", { type: "image/jpeg" }));
          const target = document.getElementById("conversation");
          return ["dragover", "drop"].map((type) => {
            const init = { dataTransfer: transfer, bubbles: true, cancelable: true };
            const event = new DragEvent(type, init);
            target.dispatchEvent(event);
            return event.defaultPrevented;
          });
        }"""
    )

    assert taken == [True, True]
    expect(notice).to_have_class(re.compile(r"\bis-refusing\b"))
    assert page.js_errors == []

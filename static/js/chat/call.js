// The chat's video visit: the vet rings from the chat, the family answers from it, and the two
// pages talk peer to peer (WebRTC). Signalling travels over the chat's socket as `call.*`
// frames (chat/consumers.py), which the server relays only between the call's caller and its
// answerer. The caller is always the offerer: on accept, on rejoin and on an ICE restart, so
// the two sides never offer at once. The chat records each call itself (a clinic notice the
// server writes when it ends): this module keeps nothing.
//
// Markup: templates/chat/_call.html. Data from the page: `mayCall` (the "Video call" button),
// `mayAnswer` (the family, who are rung) and `callIcePolicy` ("relay" forces TURN).

// A connection that stays down this long is restarted: a Wi-Fi hand-over usually heals sooner.
const RESTART_AFTER_MS = 3000;
const TICK_MS = 1000;

const MEDIA_HELP =
  "Your browser did not let this page use the camera or microphone. To allow them, open the " +
  "site settings (the icon left of the address), set Camera and Microphone to Allow, then try " +
  "again. You can also continue with audio only.";
const NO_DEVICE_HELP =
  "No camera was found on this device. You can continue with audio only, or connect a camera " +
  "and try again.";
const NO_MICROPHONE_HELP =
  "The browser did not let this page use the microphone, so the call cannot start. Open the " +
  "site settings (the icon left of the address) and set Microphone to Allow, then try again.";

// "12 min" for a call of 11 min 40 s; a call that lasted seconds still reads "1 min".
export function minutes(seconds) {
  return `${Math.max(1, Math.round(seconds / 60))} min`;
}

// "4:05", "1:02:09": the running call's timer.
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const parts = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  const [h, m, sec] = parts.map((n) => String(n).padStart(2, "0"));
  return parts[0] ? `${parts[0]}:${m}:${sec}` : `${parts[1]}:${sec}`;
}

// The DTLS fingerprint of a description: a new one means the other side built a new peer
// connection (it reloaded or rejoined), which this side must answer with a new one too.
export function fingerprint(sdp) {
  const match = /^a=fingerprint:(.+)$/m.exec(sdp || "");
  return match ? match[1].trim() : "";
}

// What the line under the call says once it ended, for this side.
export function endedText(call, me) {
  const mine = call.callerId === me;
  switch (call.outcome) {
    case "declined":
      return mine ? "Call declined" : "You declined the call";
    case "missed":
      return mine ? "No answer" : `Missed call from ${call.callerName}`;
    case "failed":
      return "Call ended: the connection was lost";
    default: {
      if (!call.answeredAt || !call.endedAt) return "Call ended";
      const seconds = (Date.parse(call.endedAt) - Date.parse(call.answeredAt)) / 1000;
      return `Call ended, ${minutes(seconds)}`;
    }
  }
}

function mediaError(error, { video }) {
  const name = error && error.name;
  if (video && (name === "NotFoundError" || name === "OverconstrainedError")) return NO_DEVICE_HELP;
  return video ? MEDIA_HELP : NO_MICROPHONE_HELP;
}

export class CallController {
  constructor({ root, data, send }) {
    this.data = data;
    this.me = data.me;
    this.send = send;
    this.bar = root.querySelector(".call-bar");
    this.panel = root.querySelector(".call-panel");
    this.dialog = root.querySelector(".call-incoming");
    if (!this.bar || !this.panel || !this.dialog) return;
    this.enabled = true;
    const $ = (selector) => root.querySelector(selector);
    this.startButton = $(".call-start");
    this.answerButton = $(".call-answer");
    this.rejoinButton = $(".call-rejoin");
    this.notice = $(".call-notice");
    this.status = $(".call-status");
    this.timer = $(".call-timer");
    this.remoteVideo = $(".call-remote");
    this.remoteAudioNote = $(".call-remote-audio");
    this.selfVideo = $(".call-self");
    this.mediaBox = $(".call-media-error");
    this.mediaReason = $(".call-media-reason");
    this.muteButton = $(".call-mute");
    this.cameraButton = $(".call-camera");
    this.switchButton = $(".call-switch");
    this.hangupButton = $(".call-hangup");
    this.dialogTitle = this.dialog.querySelector("#call-incoming-title");
    this.dialogError = this.dialog.querySelector(".call-incoming-error");

    this.call = null; // the server's view of the running call (`call` frames)
    this.over = new Set(); // the calls seen ending: a late frame of one says nothing new
    this.role = null; // "caller" | "answerer" while this page takes part
    this.stream = null;
    this.pc = null;
    this.iceServers = null;
    this.waitingOffer = null; // an offer that came before this side knew its ICE servers
    this.pendingCandidates = [];
    this.remoteFingerprint = "";
    this.downTimer = null;
    this.tickTimer = null;
    this.connectedOnce = false;
    this.afterMedia = null; // what "Continue with audio only" goes on with

    this.bar.hidden = false;
    if (this.startButton) {
      this.startButton.hidden = false;
      this.startButton.addEventListener("click", () => this.start());
    }
    this.answerButton.addEventListener("click", () => this.ring());
    this.rejoinButton.addEventListener("click", () => this.rejoin());
    this.dialog.querySelector(".call-accept").addEventListener("click", () => this.accept({ video: true }));
    this.dialog
      .querySelector(".call-accept-audio")
      .addEventListener("click", () => this.accept({ video: false }));
    this.dialog.querySelector(".call-decline").addEventListener("click", () => this.decline());
    // Escape only puts the ringing aside: declining tells the vet "declined", which a stray key
    // must not do. The call keeps ringing and "Answer the call" brings the dialog back.
    this.dialog.addEventListener("cancel", () => this.setAside());
    $(".call-audio-only").addEventListener("click", () => this.continueAudioOnly());
    $(".call-media-cancel").addEventListener("click", () => this.cancelMedia());
    this.muteButton.addEventListener("click", () => this.toggleMute());
    this.cameraButton.addEventListener("click", () => this.toggleCamera());
    this.switchButton.addEventListener("click", () => this.switchCamera());
    this.hangupButton.addEventListener("click", () => this.hangup());
  }

  // Socket ---------------------------------------------------------------------------------

  // Every hello: the chat's running call, if any. A page reloaded during a call offers to
  // rejoin it (a click, so its sound may play); a page whose socket came back mid-call
  // rejoins by itself, since it still holds its camera and microphone.
  hello(event) {
    if (!this.enabled) return;
    const call = event.call || null;
    if (this.role && this.call && call && call.id === this.call.id && call.state !== "ended") {
      this.call = call;
      this.send({ type: "call.rejoin", callId: call.id });
      return;
    }
    if (this.role && this.call && (!call || call.id !== this.call.id)) {
      // It ended while this page could not hear: the chat's entry says how.
      this.ended(null);
      this.say("The call ended while you were disconnected.");
    }
    if (call) this.update(call);
  }

  receive(event) {
    if (!this.enabled) return;
    if (event.type === "call") this.update(event.call);
    else if (event.type === "call.ice") this.takeIce(event);
    else if (event.type === "call.signal") this.takeSignal(event);
    else if (event.type === "call.rejoined") this.otherRejoined(event);
  }

  refused(event) {
    if (!this.enabled || !event.error) return;
    const { code, message } = event.error;
    if (!["call_running", "not_permitted", "not_found", "answered_elsewhere"].includes(code)) return;
    if (code === "answered_elsewhere") {
      this.stopMedia();
      this.role = null;
      this.closeDialog();
      this.hidePanel();
      this.say("The call was answered elsewhere.");
      return;
    }
    if (this.role === "caller" && this.call === null) {
      this.stopMedia();
      this.role = null;
      this.hidePanel();
    }
    this.say(message || "The call could not start.");
  }

  // A `call` frame: the call as the server now holds it.
  update(call) {
    // The chat's broadcast can trail the actor's own answer: a frame of a call already over
    // must not end the one that followed it (a vet calling again at once).
    if (this.over.has(call.id)) return;
    const known = this.call && this.call.id === call.id ? this.call : null;
    this.call = call;
    if (call.state === "ended") {
      this.ended(call);
      return;
    }
    const isCaller = call.callerId === this.me;
    if (call.state === "ringing") {
      if (isCaller && this.role === "caller") this.setStatus("Ringing…");
      else if (!isCaller && this.data.mayAnswer && !this.role) this.ring();
      else if (!this.role) this.say(`${call.callerName} is in a video call about ${call.petName}.`);
      this.showStart(false);
      return;
    }
    // Active.
    this.closeDialog();
    this.answerButton.hidden = true;
    const party = isCaller || call.answeredById === this.me;
    if (!this.role) {
      this.showStart(false);
      if (party) {
        // A page opened (or reloaded) while this user's call runs.
        this.rejoinButton.hidden = false;
        this.say("Your video call is still running.");
      } else {
        this.say("A video call is in progress.");
      }
      return;
    }
    if (this.role === "caller" && (!known || known.state !== "active")) {
      this.setStatus("Connecting…");
      this.connect();
    } else if (this.role === "answerer" && call.answeredById !== this.me) {
      this.refused({ error: { code: "answered_elsewhere" } });
    }
  }

  takeIce(event) {
    this.iceServers = event.iceServers || [];
    // The caller's own rejoin: it offers again, from a new peer connection.
    if (this.role === "caller" && this.call && this.call.state === "active") this.connect();
    if (this.waitingOffer) {
      const offer = this.waitingOffer;
      this.waitingOffer = null;
      this.takeDescription(offer);
    }
  }

  async takeSignal(event) {
    if (!this.role || !this.call || event.callId !== this.call.id) return;
    const { signal } = event;
    if (signal.restart) {
      if (this.role === "caller" && this.pc) this.pc.restartIce();
      return;
    }
    if (signal.description) await this.takeDescription(signal.description);
    else if ("candidate" in signal) await this.takeCandidate(signal.candidate);
  }

  otherRejoined(event) {
    if (!this.role || event.userId === this.me) return;
    // The other side's page came back with a new peer connection: the caller offers afresh.
    if (this.role === "caller") this.connect();
    this.setStatus("Reconnecting…");
  }

  // Starting, answering, leaving ---------------------------------------------------------------

  async start() {
    this.showStart(false);
    this.role = "caller";
    this.call = null;
    this.showPanel();
    this.setStatus("Starting the camera…");
    this.afterMedia = () => this.send({ type: "call.start" });
    if (await this.openMedia({ video: true })) this.afterMedia();
  }

  ring() {
    const call = this.call;
    if (!call || call.state !== "ringing") return;
    this.dialogTitle.textContent = `${call.callerName} is calling about ${call.petName}`;
    this.dialogError.hidden = true;
    this.answerButton.hidden = true;
    if (!this.dialog.open) this.dialog.showModal();
    this.dialog.querySelector(".call-accept").focus();
  }

  setAside() {
    if (this.call && this.call.state === "ringing") {
      this.answerButton.hidden = false;
      this.say(`${this.call.callerName} is calling about ${this.call.petName}.`);
      // The dialog closes after this event; focus then has nowhere better to go.
      setTimeout(() => this.answerButton.focus(), 0);
    }
  }

  async accept({ video }) {
    const call = this.call;
    if (!call || this.role) return; // a second press while the first is under way
    this.closeDialog();
    this.role = "answerer";
    this.showPanel();
    this.setStatus("Starting the camera…");
    this.afterMedia = () => {
      this.setStatus("Connecting…");
      this.send({ type: "call.accept", callId: call.id });
    };
    if (await this.openMedia({ video })) this.afterMedia();
  }

  decline() {
    const call = this.call;
    this.closeDialog();
    if (call) this.send({ type: "call.decline", callId: call.id });
  }

  async rejoin() {
    const call = this.call;
    if (!call || call.state !== "active") return;
    this.rejoinButton.hidden = true;
    this.say("");
    this.role = call.callerId === this.me ? "caller" : "answerer";
    this.showPanel();
    this.setStatus("Reconnecting…");
    this.afterMedia = () => this.send({ type: "call.rejoin", callId: call.id });
    if (await this.openMedia({ video: true })) this.afterMedia();
  }

  hangup() {
    if (this.call) this.send({ type: "call.hangup", callId: this.call.id });
    else this.ended(null);
  }

  ended(call) {
    if (call) this.over.add(call.id);
    const wasParty = Boolean(this.role);
    const hadFocus = this.panel.contains(document.activeElement) || this.dialog.open;
    this.closeDialog();
    this.teardown();
    this.role = null;
    this.answerButton.hidden = true;
    this.rejoinButton.hidden = true;
    this.hidePanel();
    this.showStart(true);
    const rung = call && call.outcome === "missed" && this.data.mayAnswer;
    this.say(call && (wasParty || rung) ? endedText(call, this.me) : "");
    // Focus was on a button that is gone: it goes where the next thing to do is.
    if (hadFocus) (this.startButton || document.getElementById("conversation"))?.focus();
  }

  // Media -----------------------------------------------------------------------------------

  // The camera and microphone; refused, the page says how to allow them and offers audio only.
  async openMedia({ video }) {
    this.mediaBox.hidden = true;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: video ? { facingMode: "user" } : false,
      });
    } catch (error) {
      this.mediaReason.textContent = mediaError(error, { video });
      this.mediaBox.querySelector(".call-audio-only").hidden = !video;
      this.mediaBox.hidden = false;
      this.setStatus(video ? "Camera or microphone not available" : "Microphone not available");
      this.mediaBox.querySelector(video ? ".call-audio-only" : ".call-media-cancel").focus();
      return false;
    }
    this.showSelf();
    this.muteButton.focus();
    return true;
  }

  async continueAudioOnly() {
    if (await this.openMedia({ video: false })) this.afterMedia?.();
  }

  cancelMedia() {
    this.mediaBox.hidden = true;
    if (this.role === "answerer" && this.call && this.call.state === "ringing") {
      this.role = null;
      this.hidePanel();
      this.ring();
      return;
    }
    this.role = null;
    this.stopMedia();
    this.hidePanel();
    this.showStart(true);
  }

  showSelf() {
    const hasVideo = this.stream.getVideoTracks().length > 0;
    this.selfVideo.srcObject = hasVideo ? this.stream : null;
    this.selfVideo.hidden = !hasVideo;
    this.cameraButton.hidden = !hasVideo;
    this.cameraButton.setAttribute("aria-pressed", "false");
    this.muteButton.setAttribute("aria-pressed", "false");
    this.updateSwitch();
  }

  async updateSwitch() {
    this.switchButton.hidden = true;
    if (!this.stream || !this.stream.getVideoTracks().length) return;
    const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
    this.switchButton.hidden = devices.filter((d) => d.kind === "videoinput").length < 2;
  }

  toggleMute() {
    const muted = this.muteButton.getAttribute("aria-pressed") !== "true";
    for (const track of this.stream?.getAudioTracks() || []) track.enabled = !muted;
    this.muteButton.setAttribute("aria-pressed", String(muted));
  }

  toggleCamera() {
    const off = this.cameraButton.getAttribute("aria-pressed") !== "true";
    for (const track of this.stream?.getVideoTracks() || []) track.enabled = !off;
    this.cameraButton.setAttribute("aria-pressed", String(off));
  }

  // The next camera: by device where the browser lists them, else the other facing mode.
  async switchCamera() {
    const current = this.stream?.getVideoTracks()[0];
    if (!current) return;
    const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
    const settings = current.getSettings();
    const at = cameras.findIndex((d) => d.deviceId === settings.deviceId);
    const next = cameras[(at + 1) % cameras.length];
    const constraints = next && next.deviceId
      ? { deviceId: { exact: next.deviceId } }
      : { facingMode: settings.facingMode === "environment" ? "user" : "environment" };
    let fresh;
    try {
      fresh = (await navigator.mediaDevices.getUserMedia({ video: constraints })).getVideoTracks()[0];
    } catch (error) {
      this.setStatus("The other camera could not be started.");
      return;
    }
    fresh.enabled = current.enabled;
    const sender = this.pc?.getSenders().find((s) => s.track === current);
    if (sender) await sender.replaceTrack(fresh);
    this.stream.removeTrack(current);
    current.stop();
    this.stream.addTrack(fresh);
    this.selfVideo.srcObject = this.stream;
  }

  stopMedia() {
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
    this.selfVideo.srcObject = null;
  }

  // Peer connection -------------------------------------------------------------------------

  newPeer() {
    this.closePeer();
    const config = { iceServers: this.iceServers || [] };
    if (this.data.callIcePolicy === "relay") config.iceTransportPolicy = "relay";
    const pc = new RTCPeerConnection(config);
    this.pc = pc;
    this.pendingCandidates = [];
    this.remoteFingerprint = "";
    pc.addEventListener("icecandidate", (event) => {
      if (pc !== this.pc) return;
      this.signal({ candidate: event.candidate ? event.candidate.toJSON() : null });
    });
    pc.addEventListener("track", (event) => {
      if (pc !== this.pc) return;
      const stream = event.streams[0] || new MediaStream([event.track]);
      if (this.remoteVideo.srcObject !== stream) this.remoteVideo.srcObject = stream;
      this.remoteVideo.play().catch(() => {});
      this.showRemoteKind(stream);
      event.track.addEventListener("unmute", () => this.showRemoteKind(stream));
    });
    pc.addEventListener("iceconnectionstatechange", () => {
      if (pc === this.pc) this.connectionChanged(pc.iceConnectionState);
    });
    if (this.role === "caller") {
      // The only place the caller offers from: first tracks, and every ICE restart.
      pc.addEventListener("negotiationneeded", () => this.offer(pc));
    }
    return pc;
  }

  // The caller's side: a new peer connection that offers audio and video both ways, whatever
  // this side sends, so an audio-only caller still sees the family's camera.
  connect() {
    if (!this.stream || this.iceServers === null) return;
    const pc = this.newPeer();
    for (const track of this.stream.getTracks()) pc.addTrack(track, this.stream);
    for (const kind of ["audio", "video"]) {
      if (!this.stream.getTracks().some((t) => t.kind === kind)) {
        pc.addTransceiver(kind, { direction: "recvonly" });
      }
    }
  }

  async offer(pc) {
    try {
      await pc.setLocalDescription();
      if (pc === this.pc) this.signal({ description: pc.localDescription.toJSON() });
    } catch (error) {
      if (pc === this.pc) this.setStatus("Reconnecting…");
    }
  }

  async takeDescription(description) {
    if (description.type === "offer") {
      if (this.role !== "answerer") return;
      if (this.iceServers === null || !this.stream) {
        this.waitingOffer = description;
        return;
      }
      let pc = this.pc;
      const print = fingerprint(description.sdp);
      if (!pc || print !== this.remoteFingerprint) {
        pc = this.newPeer();
        this.remoteFingerprint = print;
        await pc.setRemoteDescription(description);
        // Added after the offer, the tracks take its transceivers rather than adding new ones.
        for (const track of this.stream.getTracks()) pc.addTrack(track, this.stream);
      } else {
        await pc.setRemoteDescription(description);
      }
      await this.flushCandidates(pc);
      await pc.setLocalDescription();
      if (pc === this.pc) this.signal({ description: pc.localDescription.toJSON() });
      return;
    }
    // An answer, to the caller's latest offer.
    const pc = this.pc;
    if (this.role !== "caller" || !pc || pc.signalingState !== "have-local-offer") return;
    await pc.setRemoteDescription(description);
    await this.flushCandidates(pc);
  }

  async takeCandidate(candidate) {
    const pc = this.pc;
    if (!pc || !pc.remoteDescription) {
      this.pendingCandidates.push(candidate);
      return;
    }
    await pc.addIceCandidate(candidate || undefined).catch(() => {});
  }

  async flushCandidates(pc) {
    const waiting = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const candidate of waiting) await pc.addIceCandidate(candidate || undefined).catch(() => {});
  }

  signal(signal) {
    if (this.call) this.send({ type: "call.signal", callId: this.call.id, signal });
  }

  connectionChanged(state) {
    if (state === "connected" || state === "completed") {
      clearTimeout(this.downTimer);
      this.downTimer = null;
      this.connectedOnce = true;
      this.setStatus("Connected");
      this.startTimer();
      return;
    }
    if (state !== "disconnected" && state !== "failed") return;
    if (this.connectedOnce) this.setStatus("Reconnecting…");
    if (this.downTimer) return;
    this.downTimer = setTimeout(() => {
      this.downTimer = null;
      const now = this.pc && this.pc.iceConnectionState;
      if (now !== "disconnected" && now !== "failed") return;
      if (this.role === "caller") this.pc.restartIce();
      else this.signal({ restart: true });
    }, RESTART_AFTER_MS);
  }

  showRemoteKind(stream) {
    const video = stream.getVideoTracks().some((t) => !t.muted);
    this.remoteAudioNote.hidden = video;
  }

  closePeer() {
    clearTimeout(this.downTimer);
    this.downTimer = null;
    if (this.pc) this.pc.close();
    this.pc = null;
  }

  teardown() {
    this.closePeer();
    this.stopMedia();
    this.remoteVideo.srcObject = null;
    this.iceServers = null;
    this.waitingOffer = null;
    this.connectedOnce = false;
    clearInterval(this.tickTimer);
    this.tickTimer = null;
  }

  // What the page shows ----------------------------------------------------------------------

  startTimer() {
    if (this.tickTimer) return;
    const since = this.call && this.call.answeredAt ? Date.parse(this.call.answeredAt) : Date.now();
    const tick = () => {
      this.timer.textContent = clock((Date.now() - since) / 1000);
    };
    tick();
    this.timer.hidden = false;
    this.tickTimer = setInterval(tick, TICK_MS);
  }

  setStatus(text) {
    this.status.textContent = text;
  }

  say(text) {
    this.notice.textContent = text;
  }

  showStart(shown) {
    if (this.startButton) this.startButton.hidden = !shown;
  }

  showPanel() {
    this.say("");
    this.mediaBox.hidden = true;
    this.timer.hidden = true;
    this.remoteAudioNote.hidden = true;
    this.panel.hidden = false;
  }

  hidePanel() {
    this.panel.hidden = true;
    this.mediaBox.hidden = true;
    this.timer.hidden = true;
  }

  closeDialog() {
    if (this.dialog.open) this.dialog.close();
  }
}

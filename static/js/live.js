// The live chat socket: a doorbell beside the HTTP API. It says when it is up ("live"), when it
// dropped and is trying again ("reconnecting"), and when it has failed too often in a row for
// that to be worth saying ("polling": where a proxy strips the upgrade or the server has no
// socket route it may never come up, and the caller's polling carries everything). It pings
// every 25 s so a dead connection is noticed, and retries with backoff for as long as the page
// is open. It never decides what is shown: every hello carries the chat's cursors, and the
// caller fetches whatever it lacks, so a push missed while the socket was down costs only
// latency.

const HEARTBEAT_MS = 25000;
const PONG_TIMEOUT_MS = 10000;
const FIRST_RETRY_MS = 1000;
// Short enough that a page whose server (or Redis) came back is live again within seconds.
const MAX_RETRY_MS = 10000;
// Attempts in a row that closed before their hello, after which the page says it is polling
// rather than reconnecting: with the backoff above, 1.5 to 3 s after a first failure.
const FAILURES_BEFORE_POLLING = 3;

// Close codes the server sends after accepting the handshake (chat/consumers.py).
const SIGNED_OUT = 4401;
const NOT_PERMITTED = 4403;
const NOT_FOUND = 4404;

// Which of the caller's handlers hears which event; each is optional.
const HANDLERS = {
  hello: "onHello",
  message: "onMessage",
  read: "onRead",
  changed: "onChanged",
  typing: "onTyping",
  chat: "onChat",
  alert: "onAlert",
  unread: "onUnread",
  error: "onError",
};

export function connectLive(path, handlers) {
  const url = `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}${path}`;
  let socket = null;
  let retries = 0;
  let retryTimer = null;
  let heartbeatTimer = null;
  let pongTimer = null;
  let stopped = false;
  let live = false;
  let status = null;
  // Attempts since the socket was last up that closed before their hello.
  let failures = 0;

  // Only changes are passed on: the caller's status is announced to screen readers.
  function setStatus(next) {
    if (next === status) return;
    status = next;
    if (handlers.onStatus) handlers.onStatus(next);
  }

  function heartbeat() {
    clearTimeout(heartbeatTimer);
    heartbeatTimer = setTimeout(() => {
      send({ type: "ping" });
      // No answer in time: the connection is dead even if the browser has not noticed.
      pongTimer = setTimeout(() => socket && socket.close(), PONG_TIMEOUT_MS);
    }, HEARTBEAT_MS);
  }

  function send(event) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(event));
  }

  function open() {
    clearTimeout(retryTimer);
    if (stopped) return;
    socket = new WebSocket(url);
    socket.addEventListener("message", (frame) => {
      let event;
      try {
        event = JSON.parse(frame.data);
      } catch (error) {
        return;
      }
      clearTimeout(pongTimer);
      heartbeat();
      if (event.type === "hello") {
        retries = 0;
        failures = 0;
        live = true;
        setStatus("live");
      }
      // A video call's frames (static/js/chat/call.js) go to the one handler that knows them.
      const isCall = typeof event.type === "string" && (event.type === "call" || event.type.startsWith("call."));
      const handler = isCall ? "onCall" : HANDLERS[event.type];
      if (handler && handlers[handler]) handlers[handler](event);
    });
    socket.addEventListener("close", (event) => {
      clearTimeout(heartbeatTimer);
      clearTimeout(pongTimer);
      socket = null;
      const dropped = live;
      live = false;
      if (stopped) return;
      if (event.code === SIGNED_OUT) {
        stopped = true;
        if (handlers.onSignedOut) handlers.onSignedOut();
        return;
      }
      if (event.code === NOT_FOUND || event.code === NOT_PERMITTED) {
        stopped = true;
        setStatus("off");
        if (event.code === NOT_FOUND && handlers.onGone) handlers.onGone();
        return;
      }
      if (dropped) setStatus("reconnecting");
      else if (++failures >= FAILURES_BEFORE_POLLING) setStatus("polling");
      // Until then a dropped socket stays "reconnecting", and one never up says nothing yet.
      const delay = Math.min(FIRST_RETRY_MS * 2 ** retries, MAX_RETRY_MS);
      retries += 1;
      // Jitter, so that the sockets of a restarted server do not all come back at once.
      retryTimer = setTimeout(open, delay * (0.5 + Math.random() / 2));
    });
  }

  open();
  return {
    typing() {
      send({ type: "typing" });
    },
    // Any frame, dropped while the socket is down: a caller that needs it through again waits
    // for the next hello.
    send,
    isLive() {
      return live;
    },
  };
}

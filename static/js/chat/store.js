// What the chat box knows, apart from the page: the messages it holds by seq, and the cursors a
// transport resumes from. A message that arrives twice (by a poll and as the answer to its own
// send, or by two overlapping fetches) is kept, and so shown, once.

export class ChatStore {
  constructor({ lastSeq, oldestSeq, otherLastReadSeq, rev }) {
    // The newest seq fetched by polling: the next poll asks for what came after it. A sent
    // message's own seq never moves it, or a message the other side sent just before would
    // be skipped.
    this.lastSeq = lastSeq;
    // The oldest seq held: the next page of history is fetched before it.
    this.oldestSeq = oldestSeq;
    // The other participant has read this user's messages up to this seq.
    this.otherLastReadSeq = otherLastReadSeq;
    // The chat's change cursor as last seen: polls pass it back to learn which messages held
    // here were edited, removed or acknowledged since.
    this.rev = rev;
    // While the tab is hidden messages are shown but not marked read; this is the seq after
    // which they were, so they can be fetched again, as read, once the tab is seen.
    this.unreadAfter = null;
    this.bySeq = new Map();
    this.ids = new Set();
  }

  has(message) {
    return this.ids.has(message._id) || (message.seq != null && this.bySeq.has(message.seq));
  }

  // Keeps the messages not held yet and returns them, oldest first.
  add(messages) {
    const fresh = [];
    for (const message of messages) {
      if (this.has(message)) continue;
      this.ids.add(message._id);
      if (message.seq != null) this.bySeq.set(message.seq, message);
      fresh.push(message);
    }
    return fresh.sort((a, b) => a.seq - b.seq);
  }

  // Where the next poll starts, and whether what it brings counts as read.
  resumeAfter({ reading }) {
    return reading && this.unreadAfter !== null ? this.unreadAfter : this.lastSeq;
  }

  // A page of newer messages, oldest first; `read` when the server marked them read as it
  // answered. Returns the ones not held yet.
  receive(messages, { read }) {
    const last = messages.length ? messages[messages.length - 1].seq : null;
    if (read) {
      this.unreadAfter = last !== null && last < this.lastSeq ? last : null;
    } else if (last !== null && this.unreadAfter === null) {
      this.unreadAfter = this.lastSeq;
    }
    if (last !== null) {
      this.lastSeq = Math.max(this.lastSeq, last);
      if (this.oldestSeq === null) this.oldestSeq = messages[0].seq;
    }
    return this.add(messages);
  }

  // A page of history, oldest first. Returns the ones not held yet.
  receiveOlder(messages) {
    if (messages.length) {
      const first = messages[0].seq;
      this.oldestSeq = this.oldestSeq === null ? first : Math.min(this.oldestSeq, first);
    }
    return this.add(messages);
  }

  // Messages that changed since `this.rev`, as they now stand; returns the ones held here (the
  // others are not on the page).
  receiveChanges(messages, rev) {
    if (rev > this.rev) this.rev = rev;
    const held = [];
    for (const message of messages) {
      if (!this.ids.has(message._id)) continue;
      this.bySeq.set(message.seq, message);
      held.push(message);
    }
    return held;
  }

  // Of these messages, the ones held here in an earlier state. A message shown while the tab was
  // hidden is fetched again once the tab is seen, and may have been edited or removed meanwhile:
  // the change cursor only reports changes to messages before where that fetch starts.
  changedAmong(messages) {
    return messages.filter((message) => {
      const held = this.bySeq.get(message.seq);
      return held && held._id === message._id && stateOf(held) !== stateOf(message);
    });
  }

  // Whether a socket's hello finds nothing this store lacks: no newer message, no change, no
  // further read mark, and nothing shown unread that a fetch should now mark read.
  holdsAllOf({ lastSeq, rev, otherLastReadSeq }, { reading }) {
    return (
      lastSeq <= this.lastSeq &&
      rev <= this.rev &&
      otherLastReadSeq <= this.otherLastReadSeq &&
      this.resumeAfter({ reading }) === this.lastSeq
    );
  }

  // Returns whether the other participant's read cursor moved.
  readUpTo(seq) {
    if (seq <= this.otherLastReadSeq) return false;
    this.otherLastReadSeq = seq;
    return true;
  }
}

function stateOf(message) {
  return [message.updatedAt, message.editedAt, message.retractedAt, message.acknowledgedAt].join();
}

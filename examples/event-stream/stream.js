'use strict';
// EventStream: the native Producer as an async iterable.
//
//   for await (const { seq, value } of new EventStream(1000, { window: 8 })) { ... }
//
// Iterating starts the producer thread; leaving the loop (the end, `break`, `return` or a throw)
// stops it and joins it. At most `window` events wait in `buffer` at any time: the producer
// gets one credit back each time the loop takes an event. (An iterator abandoned without
// return() keeps its thread waiting for credits until it is garbage collected.)
const { Producer } = require('./build/Release/addon.node');

class EventStream {
  constructor(count, { window = 8 } = {}) {
    this.count = count;
    this.window = window;
    this.producer = null;
  }

  // How many events the native thread has sent so far.
  get produced() {
    return this.producer ? this.producer.produced : 0;
  }

  async *[Symbol.asyncIterator]() {
    const buffer = [];
    let ended = false;
    let wake = null;
    let stopped = false;
    this.producer = new Producer(this.count, this.window, (seq, value) => {
      if (stopped) return;  // belt and braces: stop() drops what is still queued
      if (seq === undefined) ended = true;
      else buffer.push({ seq, value });
      if (wake) wake();
    });
    try {
      for (;;) {
        if (buffer.length === 0 && !ended) {
          // Keep the process alive only while a loop waits for an event: an iterator that is
          // abandoned mid-stream never holds the process open.
          this.producer.keepAlive(true);
          while (buffer.length === 0 && !ended) await new Promise((resolve) => { wake = resolve; });
          this.producer.keepAlive(false);
          wake = null;
        }
        if (buffer.length === 0) return;  // ended and drained
        this.producer.taken();  // one credit back: the producer may send one more event
        yield buffer.shift();
      }
    } finally {
      // `break` in a for-await loop calls return(), which runs this: the thread is stopped and
      // joined before the loop statement completes.
      stopped = true;
      this.producer.stop();
    }
  }
}

module.exports = { EventStream };

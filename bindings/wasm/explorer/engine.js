// The page's side of the engine worker: promise-returning calls, and a new
// worker when the engine stopped on an internal error.

export class Engine {
  constructor(onCrash) {
    this.onCrash = onCrash;
    this.nextId = 1;
    this.pending = new Map();
    this.spawn();
  }

  spawn() {
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.worker.onmessage = (event) => {
      const { id, ok, value, crashed, message } = event.data;
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      if (ok) p.resolve(value);
      else {
        p.reject(new Error(message));
        if (crashed) this.restart(message);
      }
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      this.restart(event.message || "the engine failed to start");
    };
  }

  restart(message) {
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new Error(message));
    this.pending.clear();
    this.spawn();
    this.onCrash?.(message);
  }

  /** Calls an operation of worker.js. */
  call(op, ...args) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args });
    });
  }
}

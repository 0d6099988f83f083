/**
 * The sockets of a server that crossed the IPC channel, counted on both
 * sides with Node's messages, so that a server whose connections were sent
 * to a child still answers getConnections() and waits in close():
 *   - the sender's list (given to net.Server's _setupWorker) asks the
 *     receiver: NODE_SOCKET_GET_COUNT → NODE_SOCKET_COUNT {count},
 *     NODE_SOCKET_NOTIFY_CLOSE → NODE_SOCKET_ALL_CLOSED once none is left;
 *   - the receiver's list counts the sockets it got until each closes, and answers.
 * Each message carries the server's key (its address).
 */
import { EventEmitter } from "node:events";
import type net from "node:net";
import type { SocketLists } from "./handles.ts";
import { nodeError } from "./node-errors.ts";

export interface Peer extends EventEmitter {
  connected: boolean;
}
/** A message of Node's own, sent outside the user's queue; `swallow`: no `error` event if it cannot go. */
export type InternalSend = (message: object, swallow: boolean) => void;

interface Reply {
  cmd: string;
  key?: string;
  count?: number;
}

class SentList extends EventEmitter {
  readonly #peer: Peer;
  readonly #send: InternalSend;
  readonly key: string;

  constructor(peer: Peer, send: InternalSend, key: string) {
    super();
    this.#peer = peer;
    this.#send = send;
    this.key = key;
    peer.once("exit", () => this.emit("exit", this));
  }

  #request(message: object, reply: string, swallow: boolean, callback: (e: Error | null, m?: Reply) => void): void {
    if (!this.#peer.connected) return callback(closedBeforeReply());
    const onReply = (m: Reply) => {
      if (m.cmd !== reply || m.key !== this.key) return;
      this.#peer.removeListener("internalMessage", onReply).removeListener("disconnect", onClose);
      callback(null, m);
    };
    const onClose = () => {
      this.#peer.removeListener("internalMessage", onReply);
      callback(closedBeforeReply());
    };
    this.#send(message, swallow);
    this.#peer.once("disconnect", onClose).on("internalMessage", onReply);
  }

  /** net.Server's close(): resolves once the receiver's sockets of this key all closed. */
  close(callback: (e: Error | null) => void): void {
    this.#request({ cmd: "NODE_SOCKET_NOTIFY_CLOSE", key: this.key }, "NODE_SOCKET_ALL_CLOSED", true, callback);
  }

  /** net.Server's getConnections(): the receiver's count. */
  getConnections(callback: (e: Error | null, count?: number) => void): void {
    this.#request({ cmd: "NODE_SOCKET_GET_COUNT", key: this.key }, "NODE_SOCKET_COUNT", false,
      (e, m) => (e ? callback(e) : callback(null, m!.count)));
  }
}

const closedBeforeReply = () =>
  nodeError(Error, "ERR_CHILD_CLOSED_BEFORE_REPLY", "Child closed before reply received");

class GotList extends EventEmitter {
  connections = 0;

  constructor(peer: Peer, send: InternalSend, key: string) {
    super();
    const allClosed = () => {
      if (peer.connected) send({ cmd: "NODE_SOCKET_ALL_CLOSED", key }, true);
    };
    peer.on("internalMessage", (m: Reply) => {
      if (m.key !== key) return;
      if (m.cmd === "NODE_SOCKET_NOTIFY_CLOSE") {
        if (this.connections === 0) allClosed();
        else this.once("empty", allClosed);
      } else if (m.cmd === "NODE_SOCKET_GET_COUNT" && peer.connected) {
        send({ cmd: "NODE_SOCKET_COUNT", key, count: this.connections }, false);
      }
    });
  }

  add(socket: net.Socket): void {
    this.connections++;
    socket.once("close", () => {
      if (--this.connections === 0) this.emit("empty");
    });
  }
}

/** The lists of one channel, by key. */
export function socketLists(peer: Peer, send: InternalSend): SocketLists {
  const sent = new Map<string, SentList>();
  const got = new Map<string, GotList>();
  return {
    sent(key) {
      const list = sent.get(key);
      if (list) return { created: false, list };
      const made = new SentList(peer, send, key);
      sent.set(key, made);
      return { created: true, list: made };
    },
    got(key, socket) {
      let list = got.get(key);
      if (!list) got.set(key, list = new GotList(peer, send, key));
      list.add(socket);
    },
  };
}

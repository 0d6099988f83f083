/** Web streams (Bun's and Deno's child pipes) as a Source and a Sink. */
import type { Sink, Source } from "./pipes.ts";

const noop = () => {};

export function webSource(stream: ReadableStream<Uint8Array>): Source {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return {
    async read() {
      const r = await (reader ??= stream.getReader()).read();
      return r.done ? null : r.value;
    },
    cancel() {
      (reader ? reader.cancel() : stream.cancel()).catch(noop);
    },
    setRef: noop, // the runtimes offer none on a stream
  };
}

export function webSink(stream: WritableStream<Uint8Array>): Sink {
  const writer = stream.getWriter();
  writer.closed.catch(noop);
  return {
    write: (chunk) => writer.write(chunk),
    close: () => void writer.close().catch(noop),
    setRef: noop,
  };
}

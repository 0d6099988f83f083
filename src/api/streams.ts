/** Web streams over the fd reader and writer. */
import type { FdReader } from "./fd-reader.ts";
import type { FdWriter } from "./fd-writer.ts";

/** Streams of ours over a child's pipe, so another spawn can take the pipe itself. */
const sources = new WeakMap<ReadableStream<Uint8Array>, FdReader>();

export function readerOf(stream: ReadableStream<Uint8Array>): FdReader | undefined {
  return sources.get(stream);
}

export function readableFrom(reader: FdReader): ReadableStream<Uint8Array> {
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await reader.read();
      if (chunk) controller.enqueue(chunk);
      else controller.close();
    },
    cancel() {
      reader.close();
    },
  }, { highWaterMark: 0 });
  sources.set(stream, reader);
  return stream;
}

export function writableFrom(writer: FdWriter): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write(chunk) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError("stdin accepts Uint8Array chunks");
      return writer.write(chunk);
    },
    close() {
      writer.close();
    },
    abort() {
      writer.close();
    },
  });
}

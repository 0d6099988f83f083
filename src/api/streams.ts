/** Web streams over the fd reader and writer. */
import type { PipeReader, PipeWriter } from "./child.ts";

/** Streams of ours over a child's pipe, so another spawn can take the pipe itself. */
const sources = new WeakMap<ReadableStream<Uint8Array>, PipeReader>();

export function readerOf(stream: ReadableStream<Uint8Array>): PipeReader | undefined {
  return sources.get(stream);
}

export function readableFrom(reader: PipeReader): ReadableStream<Uint8Array> {
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

export function writableFrom(writer: PipeWriter): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write(chunk) {
      // A write that fails errors the stream, and then neither close() nor
      // abort() reaches us: the end goes now, or the child would wait for
      // its EOF for ever (a failed writer.write() closes it itself).
      if (!(chunk instanceof Uint8Array)) {
        writer.close();
        throw new TypeError("stdin accepts Uint8Array chunks");
      }
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

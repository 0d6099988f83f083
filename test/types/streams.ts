// Type-level tests of the stream options: `tsc -p .` checks this file; nothing runs it.
import { createReadStream, createWriteStream } from "node:fs";
import { Readable, Writable } from "node:stream";
import { type InputSource, type OutputSink, run, spawn, type StdinOption, StreamError, type StdoutOption } from "../../src/index.ts";

export async function streams() {
  async function* chunks() {
    yield "text";
    yield new Uint8Array(1);
  }
  // Every source as stdin and as input; every sink as stdout and stderr.
  const sources: InputSource[] = [
    new Uint8Array(1), Buffer.from("x"), new DataView(new ArrayBuffer(1)), new ArrayBuffer(1),
    new Blob(["x"]), new ReadableStream<Uint8Array>(), new ReadableStream<string>(),
    chunks(), ["a", new Uint8Array(1)], createReadStream("/etc/hostname"), Readable.from(["x"]),
  ];
  for (const s of sources) spawn("cat", { stdin: s, stdout: "ignore" });
  spawn("cat", { stdin: createReadStream("/etc/hostname"), stdout: createWriteStream("/dev/null"), stderr: process.stderr });
  spawn("cat", { stdio: [chunks(), new WritableStream<Uint8Array>(), new Writable()] });
  await run("cat", { input: "text" });
  await run("cat", { input: createReadStream("/etc/hostname"), stdout: new WritableStream() });
  const sinks: OutputSink[] = [new WritableStream<Uint8Array>(), createWriteStream("/dev/null"), process.stdout, new Writable()];
  const stdin: StdinOption = "pipe";
  const stdout: StdoutOption = sinks[0]!;
  void [stdin, stdout];

  // A failed stream: the option it came from.
  const e: unknown = await spawn("cat").exited.catch((x) => x);
  if (e instanceof StreamError) {
    const option: string = e.option;
    void option;
  }

  // @ts-expect-error a string is a word, never input (text goes in `input`)
  spawn("cat", { stdin: "hello" });
  // @ts-expect-error stdout is written, never read from
  spawn("cat", { stdout: new ReadableStream() });
  // @ts-expect-error stdin is read, never written to
  spawn("cat", { stdin: new WritableStream() });
  // @ts-expect-error input is not a number
  spawn("cat", { input: 5 });
  // @ts-expect-error a ReadStream is no sink
  spawn("cat", { stdout: createReadStream("/etc/hostname") });
}

// signalNumber() / signalName(): Linux's table, for shell-style 128 + n.
import { assert, test } from "../adapter.ts";
import { run, signalName, signalNumber } from "../../src/index.ts";

test("signalNumber and signalName: names, numbers, real-time signals, round trips", async () => {
  assert.equal(signalNumber("SIGTERM"), 15);
  assert.equal(signalNumber("SIGKILL"), 9);
  assert.equal(signalNumber(10), 10);
  assert.equal(signalNumber("SIGRTMIN+2"), 36);
  assert.equal(signalNumber("SIGRTMAX"), 64);
  assert.equal(signalName(9), "SIGKILL");
  assert.equal(signalName(36), "SIGRTMIN+2");
  // The upper half as `kill -l` names it (was: SIGRTMIN+16..30).
  assert.equal(signalName(49), "SIGRTMIN+15");
  assert.equal(signalName(50), "SIGRTMAX-14");
  assert.equal(signalName(63), "SIGRTMAX-1");
  assert.equal(signalName(64), "SIGRTMAX");
  for (let n = 1; n <= 64; n++) if (n !== 32 && n !== 33) assert.equal(signalNumber(signalName(n)), n);
  // What a shell reports for a child killed by a signal.
  const r = await run("sh", ["-c", "kill -TERM $$"], { reject: false });
  assert.equal(128 + signalNumber(r.signal!), 143);
});

test("signalNumber: unknown names and numbers are TypeErrors", () => {
  assert.throws(() => signalNumber("SIGKIL"), /^TypeError: signal must be a signal name or number, got "SIGKIL"/);
  assert.throws(() => signalNumber(0), /^TypeError: signal must be a signal number from 1 to 64/);
  assert.throws(() => signalNumber(65), TypeError);
  assert.throws(() => signalNumber("toString"), TypeError);
});

test("signalName: unknown numbers and non-numbers are TypeErrors, as the README says", () => {
  for (const bad of [0, -1, 65, 32, 33, 1.5, NaN]) {
    assert.throws(() => signalName(bad), /^TypeError: signal must be a signal number from 1 to 64/, String(bad));
  }
  assert.throws(() => signalName("SIGTERM" as never), /^TypeError: signalName\(\) takes a signal number, got "SIGTERM"/);
});

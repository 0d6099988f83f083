// The build keeps names (esbuild --keep-names: a class renamed in the bundle,
// `var SpawnError = class _SpawnError`, must still say SpawnError), but
// esbuild also wraps every named closure in `__name(fn, "name")`, an
// Object.defineProperty each time the closure is made: on Node 20 that was a
// fifth of a worker call's CPU (calls in flight, 3.4 against 2.8 us). Here a
// wrapped arrow or function expression loses its wrapper and keeps the name
// the engine gives it, and `__name(f, "f")` after a function declaration,
// which sets the name it has, goes; classes (`__name(this, ...)`, once) and
// functions renamed in the bundle (`__name(spawn2, "spawn")`) keep theirs.
//   node scripts/cheap-names.mjs dist/*.js
import { readFileSync, writeFileSync } from "node:fs";
import ts from "typescript";

const isNameCall = (node) => ts.isCallExpression(node) && ts.isIdentifier(node.expression) &&
  node.expression.text === "__name" && node.arguments.length === 2 && ts.isStringLiteral(node.arguments[1]);

function closureWrappers(source) {
  const edits = [];
  const visit = (node) => {
    if (ts.isExpressionStatement(node) && isNameCall(node.expression)) {
      const [fn, name] = node.expression.arguments;
      if (ts.isIdentifier(fn) && fn.text === name.text) {
        edits.push({ start: node.getStart(source), end: node.end, text: "" });
        return;
      }
    }
    if (isNameCall(node)) {
      let fn = node.arguments[0];
      while (ts.isParenthesizedExpression(fn)) fn = fn.expression; // `(() => x) as T` in the source
      if (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) {
        // Parenthesised: the call could be a callee or an operand; the name
        // is still inferred through the parentheses (`{ done: (() => {}) }`).
        edits.push({ start: node.getStart(source), end: node.end, text: `(${fn.getText(source)})` });
        return; // a closure inside it is in its text already, unwrapped below
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edits;
}

function unwrap(text, file) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const edits = closureWrappers(source);
  if (!edits.length) return { text, count: 0 };
  // A closure inside an unwrapped one: unwrap its text again until none is left.
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  const again = unwrap(out, file);
  return { text: again.text, count: edits.length + again.count };
}

let total = 0;
for (const file of process.argv.slice(2)) {
  const { text, count } = unwrap(readFileSync(file, "utf8"), file);
  if (count) writeFileSync(file, text);
  total += count;
}
if (process.env.CHEAP_NAMES_VERBOSE) console.log(`cheap-names: ${total} wrappers removed`);

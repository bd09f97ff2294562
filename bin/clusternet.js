#!/usr/bin/env node
"use strict";
// Runs the TypeScript CLI directly through tsx, so there is no build step to forget. tsx also reads every `.js` file
// from node_modules to scan it for ESM syntax (es-module-lexer), which costs the Pulumi SDK's load about 0.4 s of
// CPU per run; those packages are CommonJS or `"type": "module"` (loaded natively by Node >= 20.19), so they go to
// Node's own loader and only the project's files go through tsx.
const Module = require("node:module");
const { sep } = require("node:path");
const nodeJs = Module._extensions[".js"];
require("tsx/cjs/api").register();
const tsxJs = Module._extensions[".js"];
Module._extensions[".js"] = function (module, filename) {
    return (filename.includes(`${sep}node_modules${sep}`) ? nodeJs : tsxJs).call(this, module, filename);
};
const cli = require("../cli/main.ts");
cli.guardStandardStreams();
cli.main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
});

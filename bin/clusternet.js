#!/usr/bin/env node
"use strict";
// Runs the TypeScript CLI directly through tsx, so there is no build step to forget.
require("tsx/cjs/api").register();
const cli = require("../cli/main.ts");
cli.guardStandardStreams();
cli.main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
});

// tsx for the tests, without its check of every CommonJS file loaded from node_modules. tsx reads each `.js` file
// that `require` loads and scans it for ESM syntax (es-module-lexer) in case it must be transformed; for the Pulumi
// SDK (typescript.js alone is 9 MB) that doubles the load: about 1.3 s of CPU instead of 0.7 s, paid by every
// test process. Packages in node_modules are CommonJS or declare `"type": "module"` (which Node 20.19 requires
// natively), so they go to Node's own loader; the project's files and every `import()` still go through tsx.
import { createRequire } from "node:module";
import { sep } from "node:path";

const Module = createRequire(import.meta.url)("node:module");
const nodeJs = Module._extensions[".js"];
await import("tsx");
const tsxJs = Module._extensions[".js"];
Module._extensions[".js"] = function (module, filename) {
    return (filename.includes(`${sep}node_modules${sep}`) ? nodeJs : tsxJs).call(this, module, filename);
};

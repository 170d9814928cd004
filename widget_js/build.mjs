// Bundle src/index.js into the core's static folder; fail above the size budget.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

export const OUTFILE = "../core/static/parrain/widget.js";
export const BUDGET = 10 * 1024; // bytes, minified + gzip

await build({
  entryPoints: ["src/index.js"],
  outfile: OUTFILE,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "none",
  banner: { js: "/* Parrain widget, BSD-3-Clause */" },
});

const size = gzipSync(readFileSync(OUTFILE), { level: 9 }).length;
console.log(`widget.js: ${size} bytes min+gzip (budget ${BUDGET})`);
if (size > BUDGET) {
  console.error(`widget.js is over its budget of ${BUDGET} bytes min+gzip`);
  process.exit(1);
}

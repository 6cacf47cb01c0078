#!/usr/bin/env node
// The `apigpt` command: serve, migrate, simulator and the administration automation needs.
// It runs the bundle of the compiled gateway (scripts/bundle.mjs: the same code in a few modules
// rather than hundreds, 11 MB less resident at start).
import { main } from '../dist/bundle/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err?.message ?? err);
    process.exitCode = 1;
  },
);

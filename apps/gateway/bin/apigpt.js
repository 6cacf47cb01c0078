#!/usr/bin/env node
// The `apigpt` command: serve, migrate, simulator and the administration automation needs.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err?.message ?? err);
    process.exitCode = 1;
  },
);

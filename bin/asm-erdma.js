#!/usr/bin/env node
// Tiny launcher: everything lives in the built CLI so this file never needs a build step.
import { main } from '../dist/asm-erdma.js';

process.exitCode = await main(process.argv);

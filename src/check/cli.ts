#!/usr/bin/env node
// The package's `bin`: runs the command line and sets the exit code, nothing else.
import { main } from './command-line.js'

process.exitCode = await main(process.argv.slice(2), process.stdout, process.stderr)

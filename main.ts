/**
 * The process entry: `node dist/main.js <role>` (or `tsx main.ts <role>`). It wires the roles
 * whose code lives outside src/ (the worker role, in workers/) into src/main.ts, which picks the
 * role, starts it and handles SIGTERM. Living here keeps src/ from importing workers/.
 */
import { runService } from './src/main';
import { startWorkers } from './workers';

void runService({ startWorkers });

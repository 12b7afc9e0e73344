import { cutoverRun } from './support/cutover-run.js';
import { faultRunSuite } from './support/fault-suite.js';

faultRunSuite({
  title: 'reliability: conversationEvents switching backends under seeded random faults',
  label: 'cutover',
  runs: 2,
  run: (r) => cutoverRun(r, { steps: 150 }),
});

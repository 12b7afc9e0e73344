import { faultRunSuite } from './support/fault-suite.js';
import { legacyRun } from './support/legacy-run.js';

faultRunSuite({
  title: 'reliability: legacy-chat source under seeded random faults',
  label: 'legacy',
  runs: 3,
  run: (r) => legacyRun(r, { chats: 6, steps: 120 }),
});

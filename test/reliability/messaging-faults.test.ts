import { faultRunSuite } from './support/fault-suite.js';
import { messagingRun } from './support/messaging-run.js';

faultRunSuite({
  title: 'reliability: messaging source under seeded random faults',
  label: 'messaging',
  runs: 3,
  run: (r) => messagingRun(r, { conversations: 6, steps: 150 }),
});

// An intra-op helper thread in Node (started by node.ts startThread): it serves the parts of
// kernel calls its team posts (thread-core.ts serveThread) until the team stops.

import { workerData } from 'node:worker_threads';
import { serveThread, type ThreadInit } from './thread-core.js';

serveThread(workerData as ThreadInit);

// The records the Trainer (trainer.ts) keeps and its checkpoints (checkpoint.ts) store, in a
// module of their own so neither of those two imports the other's types. Tests:
// test/train/trainer.test.ts, test/reliability/ (checkpoints).

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  /** trainMetrics.accuracy, when accuracy is reported (class labels by default); else null. */
  trainAccuracy: number | null;
  /** Each metric's sum over the epoch's samples divided by their number. */
  trainMetrics: Record<string, number>;
  testLoss: number | null;
  testAccuracy: number | null;
  testMetrics: Record<string, number> | null;
  lr: number;
  /** Training time of the epoch (evaluation excluded). */
  seconds: number;
  evalSeconds: number;
  /** Samples per second (images, for an image data set). */
  imagesPerSecond: number;
}

export interface CheckpointRun {
  batchSize: number;
  seed: number;
  trainSize: number;
}

export interface EpochSums {
  seen: number;
  lossSum: number;
  /** Each metric's sum over the steps done. */
  metrics?: Record<string, number>;
  /** Checkpoints written before metrics existed: the correct predictions. */
  correct?: number;
  seconds: number;
}

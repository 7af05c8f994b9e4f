// The ML core's public API: training (in-process or on a worker), inference, and bring-your-own models.
export type { TrainingColumn, TrainSpec, TrainProgress, TrainedModel, ModelType, ProblemType } from './types.ts';
export { trainModel } from './train/train_model.ts';
export { startTraining, type TrainingJob } from './worker/start.ts';
export { Predictor } from './infer/predictor.ts';
export { validateExternalModel } from './infer/validate.ts';

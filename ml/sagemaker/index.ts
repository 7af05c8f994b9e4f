// Remote training on SageMaker (TRAINER 'sagemaker'): export to S3, built-in XGBoost, import to ONNX.
export { trainRemote, importanceByColumn, type RemoteOptions } from './train_remote.ts';
export { remoteOptions, REMOTE_SETTINGS } from './settings.ts';
export { parseXgboostJson, parseXgboostModel, xgboostFormat, toTreeModel, xgbMargins, splitImportance, nextDown32, type XgbModel, type XgbTree } from './xgboost.ts';
export { decodeUbjson } from './ubjson.ts';
export { readXgboostBinary } from './xgboost_binary.ts';
export { readTarGz, writeTarGz, type TarEntry } from './tar.ts';
export { xgboostImage, xgboostHyperparameters, XGBOOST_VERSION } from './job.ts';
export type { Credentials } from './aws.ts';

// Public surface of engine/functions for the expression compiler and binder.
export { rt, createRuntime, evalEmitted, type Runtime } from './runtime.ts';
export {
  emitArithmetic, emitComparison, emitConcat, emitNegate, emitLike, emitIntervalLiteral, constantString,
  emitCast, emitCastNullable, canCast, likeMatcher, LikeMatcher, type CompareOp, type LikeOptions, type CastMode,
} from './ops.ts';
export {
  lookupScalar, resolveScalar, isScalarFunction, functionNotFound, signaturesOf, describeSignatures, scalarFunctionNames,
  type ScalarFunction, type Signature, type ParamKind,
} from './registry.ts';
export { emitExtract, extractType } from './dates.ts';

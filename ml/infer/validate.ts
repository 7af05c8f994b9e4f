// Bring-your-own model: checks an ONNX file against the function signature declared in CREATE MODEL.
import * as ort from 'onnxruntime-node';
import { SqlError } from '../../engine/errors.ts';
import { type SqlType, isString, typeName } from '../../engine/types/types.ts';
import { allocVector, stringVector } from '../../engine/types/vector.ts';
import { readMetadata } from '../onnx/graph.ts';
import { Predictor, layoutFor } from './predictor.ts';

interface TensorInfo { name: string; isTensor: boolean; type?: string; shape?: (number | string)[] }

const NUMERIC = new Set(['float32', 'float64', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool']);
const mismatch = (msg: string) => new SqlError('DATATYPE_MISMATCH', `model does not match the function signature: ${msg}`);
const shapeText = (t: TensorInfo) => `${t.type}[${(t.shape ?? []).join(',')}]`;

/** Throws a SqlError naming the first mismatch between the model's inputs/outputs and (argTypes) RETURNS returnType. */
export async function validateExternalModel(onnx: Uint8Array, argTypes: SqlType[], returnType: SqlType): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (e) {
    throw new SqlError('INVALID_PARAMETER', `not a valid ONNX model: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    checkInputs(readMetadata(onnx), session.inputMetadata as unknown as TensorInfo[], argTypes);
    checkOutput(session.outputMetadata as unknown as TensorInfo[], returnType);
  } finally {
    await session.release();
  }
  // A one-row dry run catches models that load but cannot run with these inputs.
  const p = await Predictor.create(onnx, { outputType: returnType });
  try {
    await p.predict(argTypes.map((t) => (isString(t) ? stringVector(t, ['']) : allocVector(t, 1))), 1);
  } catch (e) {
    throw new SqlError('INVALID_PARAMETER', `the model failed a test run: ${(e as Error).message}`);
  } finally {
    await p.release();
  }
}

function checkInputs(meta: Record<string, string>, inputs: TensorInfo[], args: SqlType[]): void {
  const layout = layoutFor(meta, inputs);
  if (layout.kind === 'packed') {
    // a Strata graph: numeric arguments in the packed input, one string input per text argument
    const total = layout.args.length + layout.text.length;
    if (total !== args.length) throw mismatch(`the model takes ${total} argument(s) (${layout.args.length} numeric in '${layout.name}', ${layout.text.length} text), but the function declares ${args.length}`);
    const text = layout.text.find((t) => !isString(args[t.arg]));
    if (text) throw mismatch(`argument ${text.arg + 1} is ${typeName(args[text.arg])}, but the model takes text there (input '${text.name}')`);
    const num = layout.args.find((a) => a >= args.length || isString(args[a]));
    if (num !== undefined) throw mismatch(`argument ${num + 1} is ${num < args.length ? typeName(args[num]) : 'missing'}, but the model takes a number there`);
    return;
  }
  if (layout.kind === 'matrix') {
    if (layout.width !== args.length) throw mismatch(`the model takes one input '${layout.name}' of ${layout.width} features, but the function declares ${args.length} argument(s)`);
    const text = args.findIndex(isString);
    if (text >= 0) throw mismatch(`argument ${text + 1} is ${typeName(args[text])}, but the model's feature matrix '${layout.name}' is numeric`);
    if (!NUMERIC.has(layout.type)) throw mismatch(`input '${layout.name}' has unsupported type ${layout.type}`);
    return;
  }
  if (inputs.length !== args.length) {
    throw mismatch(`the model has ${inputs.length} input(s) (${inputs.map((i) => i.name).join(', ')}), but the function declares ${args.length} argument(s)`);
  }
  inputs.forEach((inp, j) => {
    const where = `argument ${j + 1} (${typeName(args[j])}) and model input '${inp.name}' (${shapeText(inp)})`;
    if (!inp.isTensor) throw mismatch(`model input '${inp.name}' is not a tensor`);
    const rank = inp.shape?.length ?? 0;
    const last = inp.shape?.[rank - 1];
    if (rank < 1 || rank > 2 || (rank === 2 && typeof last === 'number' && last !== 1)) throw mismatch(`${where}: each input must hold one value per row, shape [N] or [N,1]`);
    if (isString(args[j]) !== (inp.type === 'string')) throw mismatch(`${where}: ${isString(args[j]) ? 'text needs a string input' : 'a number needs a numeric input'}`);
    if (inp.type !== 'string' && !NUMERIC.has(inp.type ?? '')) throw mismatch(`${where}: unsupported input type`);
  });
}

function checkOutput(outputs: TensorInfo[], ret: SqlType): void {
  const out = outputs.find((o) => o.name === 'label') ?? outputs.find((o) => o.isTensor);
  if (!out) throw mismatch('the model has no tensor output (map or sequence outputs such as ZipMap are not supported)');
  const rank = out.shape?.length ?? 0;
  const last = out.shape?.[rank - 1];
  if (rank < 1 || rank > 2 || (rank === 2 && typeof last === 'number' && last !== 1)) {
    throw mismatch(`output '${out.name}' is ${shapeText(out)}, but RETURNS ${typeName(ret)} needs one value per row ([N] or [N,1])`);
  }
  if (isString(ret) !== (out.type === 'string')) throw mismatch(`output '${out.name}' is ${out.type}, which cannot be returned as ${typeName(ret)}`);
  if (!isString(ret) && !NUMERIC.has(out.type ?? '')) throw mismatch(`output '${out.name}' has unsupported type ${out.type}`);
}

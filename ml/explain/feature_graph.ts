// The part of a model's graph that computes one tensor (the features a tree ensemble reads): the
// same inputs and metadata, one output, and only the nodes that output needs.
import onnxProto from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';

const { onnx } = onnxProto;

export interface FeatureGraph {
  bytes: Uint8Array;
  /** the output holding the tensor */
  output: string;
  /** whether the tensor is a graph input as it is (no preprocessing in the graph) */
  isInput: boolean;
}

export function featureGraph(model: O.IModelProto, tensor: string): FeatureGraph {
  const g = model.graph!;
  const output = `${tensor}__explained`;
  const need = new Set([tensor]);
  const nodes: O.INodeProto[] = [];
  // nodes are topologically sorted: walk back from the end keeping what the tensor depends on
  for (const n of [...(g.node ?? [])].reverse()) {
    if (!(n.output ?? []).some((o) => need.has(o))) continue;
    nodes.unshift(n);
    for (const i of n.input ?? []) if (i) need.add(i);
  }
  nodes.push({ opType: 'Identity', domain: '', input: [tensor], output: [output], name: `${output}_node` });
  const graph: O.IGraphProto = {
    ...g, node: nodes,
    initializer: (g.initializer ?? []).filter((t) => need.has(t.name ?? '')),
    output: [{ name: output, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }],
    valueInfo: [],
  };
  const bytes = onnx.ModelProto.encode({ ...model, graph }).finish();
  return { bytes, output, isInput: (g.input ?? []).some((i) => i.name === tensor) };
}

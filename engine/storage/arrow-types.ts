// The Arrow DataType of a raw stored column: which Arrow type each SQL type uses is declared in
// its TYPES entry (types/types.ts); this builds the apache-arrow object for it.
import { Bool, Float32, Float64, Int16, Int32, Int64, Uint8, Utf8, type DataType } from 'apache-arrow';
import { TYPES, type ArrowTypeName, type TypeId } from '../types/types.ts';

const ARROW: Record<ArrowTypeName, () => DataType> = {
  Int16: () => new Int16(), Int32: () => new Int32(), Int64: () => new Int64(),
  Float32: () => new Float32(), Float64: () => new Float64(),
  Bool: () => new Bool(), Utf8: () => new Utf8(), Uint8: () => new Uint8(),
};

/** The Arrow type of a raw (unencoded) column of SQL type `id`. */
export function rawArrowType(id: TypeId): DataType {
  return ARROW[TYPES[id].arrow]();
}

// Public surface of engine/storage: segments, deletion vectors and the manifest store.
export { writeSegment, readSegment, type SegmentMeta, type ColumnMeta } from './segment.ts';
export { writeDeletionVector, readDeletionVector, deletedMask, unionDeletions } from './deletion.ts';
export { ManifestStore, DEFAULT_GC_GRACE_MS, DEFAULT_KEEP_VERSIONS, type GcOptions } from './manifest.ts';
export { resolveEncodingName, type Encoding } from './encodings.ts';

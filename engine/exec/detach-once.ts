// Imported for its effect: detaches one ArrayBuffer before V8 optimizes anything in this isolate
// (each slice's, and the leader's). Until an isolate first detaches a buffer (a transfer to
// another thread does), V8 compiles typed array accesses on the promise that none ever is, and
// that first detach throws away every function so optimized: a slice's first result, sent with
// its buffers moved, discarded the hash join, grouping and scan code its first query had
// optimized (~100 functions per slice), and the next query compiled it all again, on the cores
// the slices wanted; the leader's first COPY or broadcast to the slices did the same to its code.
const detached = new ArrayBuffer(8);
structuredClone(detached, { transfer: [detached] });

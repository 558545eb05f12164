// netc's fused SIMD kernels, in AssemblyScript (compiled by `npm run build:simd` to dist/netc-simd.wasm).
//
// The module imports its memory: on tfjs's wasm backend it is that backend's own heap, so every pointer here
// is a tensor's memoryOffset and nothing is copied; on the cpu backend it is a private memory that the loader
// copies tensors into. So the module must own no memory of its own: no data segments (no strings, no lookup
// tables, no Math library calls), no allocation. Scratch space is a pointer the caller passes in.
//
// Layout is tfjs's: channels-last, so a batch-norm or bias input is [rows, C] with C the fastest axis, a
// pooling or convolution input is [N, H, W, C]. All pointers are byte offsets; all values float32.

// The module's exports, one file per kind of kernel. Only what this file exports is exported by the module.
export { activate } from './activations';
export { sumRows, channelScratchBytes, bnStats, bnTrain, bnInfer, bnGradSums, bnGradApply, bnGrad } from './channels';
export { avgPool, avgPoolGrad, maxPool, maxPoolGrad } from './pooling';
export { filterGradScratchBytes, conv2dFilterGrad } from './filterGrad';
export { inputGradScratchBytes, conv2dInputGrad } from './inputGrad';
export { filterGradColumnsScratchBytes, conv2dFilterGradColumns } from './filterGradColumns';
export { smallChannelsScratchBytes, conv2dSmallChannels } from './smallChannels';

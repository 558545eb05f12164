/**
 * Regenerates onnxSchema.ts from onnx.proto (the ONNX schema as Debian's python3-onnx 1.12 installs it):
 * `npm run onnx-schema`. A test keeps the two in step.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { onnxSchemaModule } from './schemaModule.js';

const proto = readFileSync(fileURLToPath(new URL('./onnx.proto', import.meta.url)), 'utf8');
writeFileSync(fileURLToPath(new URL('./onnxSchema.ts', import.meta.url)), onnxSchemaModule(proto));

import type { ArgValue, Shape } from '../ir/model.js';
import type { Code } from '../diagnostics/messages.js';
import { formatShape, isFlat, isImage } from '../ir/layout.js';

/**
 * How a residual block joins its input x to its body's output f(x): directly when the shapes agree, through a
 * projection on the skip path (`residual proj`), or not at all (an error, with its message).
 */
export type ResidualJoin =
  | { readonly kind: 'same' }
  | { readonly kind: 'project'; readonly op: 'conv' | 'dense'; readonly args: Readonly<Record<string, ArgValue>> }
  /** `addProj`: writing `residual proj` fixes it. */
  | { readonly kind: 'error'; readonly code: Code; readonly message: string; readonly addProj?: boolean };

/**
 * Decides the join of `skip` (the block's input) and `body` (its output).
 *
 * `residual proj` projects only when the shapes differ, as torchvision's ResNet adds its `downsample` only where a
 * block changes the shape, so one block definition serves both kinds of use. The projection is He et al.'s W_s x:
 * on a C x H x W map a 1x1 convolution without bias (the body normally ends in `bn`, which supplies the shift)
 * whose stride is the body's overall stride, worked out from the sizes; on a flat vector a dense layer without
 * bias. A body that changes the rank (a `flatten` inside) cannot be joined either way.
 */
export function joinResidual(skip: Shape, body: Shape, proj: boolean): ResidualJoin {
  if (skip.length !== body.length) {
    const fix =
      isImage(skip) && isFlat(body)
        ? 'move `flatten` after the residual block'
        : 'keep the body at the rank of its input';
    return {
      kind: 'error',
      code: 'NN3006',
      message:
        `The residual body turns ${formatShape(skip)} into ${formatShape(body)}, which changes the rank, so its input ` +
        `cannot be added to its output; ${fix}.`,
    };
  }
  if (skip.every((size, i) => size === body[i])) return { kind: 'same' };
  const projection = project(skip, body);
  if (!proj) {
    const fix =
      projection === null
        ? 'make the body keep its input\'s height and width, or divide them only by a stride'
        : `write \`residual proj { ... }\` to put ${describe(projection)} on the skip path`;
    return {
      kind: 'error',
      code: 'NN3005',
      ...(projection === null ? {} : { addProj: true }),
      message:
        `The residual body turns ${formatShape(skip)} into ${formatShape(body)}, so its input cannot be added to ` +
        `its output; ${fix}.`,
    };
  }
  if (projection === null) {
    const from = `${skip[1]}x${skip[2]}`;
    const to = `${body[1]}x${body[2]}`;
    return {
      kind: 'error',
      code: 'NN3007',
      message:
        `No 1x1 convolution takes ${formatShape(skip)} to ${formatShape(body)}: no stride turns ${from} into ${to}; ` +
        'pad the body\'s convolutions so that only their stride changes the size (`p1` with `k3`).',
    };
  }
  return projection;
}

/** The projection from `skip` to `body`, or null when a strided 1x1 convolution cannot reach the body's size. */
function project(skip: Shape, body: Shape): Extract<ResidualJoin, { kind: 'project' }> | null {
  if (isFlat(skip)) return { kind: 'project', op: 'dense', args: { out: body[0]!, bias: false } };
  const strideH = projectionStride(skip[1]!, body[1]!);
  const strideW = projectionStride(skip[2]!, body[2]!);
  if (strideH === null || strideW === null) return null;
  return {
    kind: 'project',
    op: 'conv',
    args: { out: body[0]!, kernel: [1, 1], stride: [strideH, strideW], pad: [0, 0], bias: false },
  };
}

/**
 * The stride s at which an unpadded 1x1 convolution turns `from` into `to` (ceil(from / s) = to), or null.
 * The smallest such s is ceil(from / to); any s that works gives the same output, so the smallest is taken.
 */
export function projectionStride(from: number, to: number): number | null {
  if (to < 1 || to > from) return null;
  const stride = Math.ceil(from / to);
  return Math.ceil(from / stride) === to ? stride : null;
}

function describe(projection: Extract<ResidualJoin, { kind: 'project' }>): string {
  if (projection.op === 'dense') return 'a dense projection';
  const stride = projection.args['stride'] as readonly number[];
  const shown = stride[0] === stride[1] ? `${stride[0]}` : stride.join('x');
  return stride[0] === 1 && stride[1] === 1 ? 'a 1x1 convolution' : `a 1x1 convolution with stride ${shown}`;
}

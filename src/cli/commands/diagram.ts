import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { Command } from '../Command.js';
import type { Direction } from '../../diagram/layout.js';
import { writeFileAtomic } from '../../compile/atomicWrite.js';
import { CliError } from '../io.js';
import { readModelFile, reportDiagnostics } from '../modelFile.js';

type Format = 'svg' | 'html' | 'dot';

interface DiagramArgs {
  readonly file: string;
  readonly output?: string;
  readonly format?: Format;
  readonly direction: Direction;
}

/** `netc diagram FILE`: the model as a picture with every shape, from the checker alone (no Graphviz, no tfjs). */
export const diagramCommand: Command<DiagramArgs> = {
  command: 'diagram <file>',
  describe: 'Draw the model as an SVG (or HTML page, or Graphviz DOT) with the output shape on every edge',
  builder: (yargs: Argv) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'a .net file' })
      .option('output', { alias: 'o', type: 'string', describe: 'Write here instead of stdout (format from the extension)' })
      .option('format', { choices: ['svg', 'html', 'dot'] as const, describe: 'Output format (default: from -o, else svg)' })
      .option('direction', { choices: ['TB', 'LR'] as const, default: 'TB' as const, describe: 'Top to bottom or left to right' })
      .example('netc diagram models/resnet-mini.net -o resnet.svg', '')
      .example('netc diagram models/vgg-mini.net -o vgg.html', 'a page: click a layer to see its line, fold blocks')
      .epilogue(
        'A model with errors is drawn up to its first error, which is marked with its message; the errors are ' +
          'printed as by `netc check` and the exit status is 1.',
      ) as unknown as Argv<DiagramArgs>,
  async run(args, io) {
    const format = args.format ?? formatOf(args.output);
    const file = readModelFile(args.file);
    // The diagram modules and elkjs (about 1.6 MB of JavaScript) load only when a diagram is drawn: `netc check` starts
    // from one bundle of the other commands (src/cli/bundleFrontDoor.ts) and must not pay for them.
    const [{ diagramOfAnalysis }, { layoutDiagram }, { renderDot }, { renderHtml }, { renderSvg }] = await Promise.all([
      import('../../diagram/fromAnalysis.js'), import('../../diagram/layout.js'), import('../../diagram/dot.js'), import('../../diagram/html.js'), import('../../diagram/svg.js'),
    ]);
    const diagram = diagramOfAnalysis(file);
    const layout = await layoutDiagram(diagram, args.direction);
    const text =
      format === 'dot' ? renderDot(diagram, args.direction) : format === 'html' ? renderHtml(layout, file.source, args.file) : renderSvg(layout);
    if (args.output === undefined) io.out(text);
    else {
      try {
        writeFileAtomic(resolve(args.output), text);
      } catch (error) {
        throw new CliError(`cannot write ${args.output}: ${(error as Error).message}`);
      }
    }
    if (file.diagnostics.length > 0) reportDiagnostics(io, [file]);
    if (args.output !== undefined) {
      const drawn = diagram.nodes.filter((node) => node.role !== 'input' && node.role !== 'output').length;
      io.err(`netc: wrote ${args.output} (${drawn} stage${drawn === 1 ? '' : 's'}${diagram.error === null ? '' : ', up to the first error'}).\n`);
    }
    return file.errors > 0 ? 1 : 0;
  },
};

/** `.html`/`.htm` and `.dot`/`.gv` choose their format; anything else (and stdout) is SVG. */
function formatOf(output: string | undefined): Format {
  const lower = (output ?? '').toLowerCase();
  if (lower.endsWith('.html') || lower.endsWith('.htm')) return 'html';
  if (lower.endsWith('.dot') || lower.endsWith('.gv')) return 'dot';
  return 'svg';
}

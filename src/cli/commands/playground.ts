import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import type { Command } from '../Command.js';
import { NetcError } from '../../diagnostics/NetcError.js';
import { defaultTestSize, defaultTrainSize, loadPlaygroundData, type PlaygroundData } from '../../playground/data.js';
import { defaultStaticDir, startPlaygroundServer } from '../../playground/server.js';
import { writeStaticPlayground } from '../../playground/staticBuild.js';
import { CliError } from '../io.js';

interface PlaygroundArgs {
  readonly port: number;
  readonly host: string;
  readonly open: boolean;
  readonly build?: string;
  readonly data?: string;
  readonly 'train-size': number;
  readonly 'test-size': number;
}

/** `netc playground`: the editor, live diagnostics, summary, diagram and in-browser training, on localhost. */
export const playgroundCommand: Command<PlaygroundArgs> = {
  command: 'playground',
  describe: 'Serve a web page to edit, check, draw and train a model in the browser (or --build it as static files)',
  builder: (yargs: Argv) =>
    yargs
      .option('port', { type: 'number', default: 8080, describe: 'Port to listen on (0 picks a free one)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on (another than loopback exposes the page)' })
      .option('open', { type: 'boolean', default: false, describe: 'Open the page in the default browser' })
      .option('build', { type: 'string', describe: 'Write the page and its data into this (new or empty) directory instead of serving' })
      .option('data', { type: 'string', describe: 'Directory with the Fashion-MNIST files (default: as `netc train` finds them)' })
      .option('train-size', { type: 'number', default: defaultTrainSize, describe: 'Training images served to the page' })
      .option('test-size', { type: 'number', default: defaultTestSize, describe: 'Test images served to the page' })
      .example('netc playground --open', 'serve on http://127.0.0.1:8080/ and open it')
      .example('netc playground --build site/', 'static files for any web server')
      .epilogue(
        'The page links to its model with #src=<the source, URI-encoded>. It trains with TensorFlow.js in the ' +
          'browser on the served images and keeps working offline once loaded.',
      ) as unknown as Argv<PlaygroundArgs>,
  async run(args, io) {
    for (const name of ['port', 'train-size', 'test-size'] as const) {
      const value = args[name];
      const max = name === 'port' ? 65535 : Number.MAX_SAFE_INTEGER;
      if (!Number.isInteger(value) || value < 0 || value > max) throw new CliError(`--${name} must be a whole number from 0 to ${max}, not ${value}.`);
    }
    if (!existsSync(defaultStaticDir)) {
      throw new CliError(`the playground page is not built (${defaultStaticDir} is missing); run \`npm run build\`.`);
    }
    const sizes = { trainSize: args['train-size'], testSize: args['test-size'] };
    const search = args.data === undefined ? {} : { dataDir: args.data };
    if (args.build !== undefined) {
      const data = await loadPlaygroundData(search, sizes);
      const files = await writeStaticPlayground(defaultStaticDir, data, args.build);
      io.out(`netc: wrote the playground to ${args.build} (${files.length} files; ${data.meta.train} training and ${data.meta.test} test images from ${data.from}).\n`);
      return 0;
    }
    let data: PlaygroundData | { error: string };
    try {
      data = await loadPlaygroundData(search, sizes);
    } catch (error) {
      if (!(error instanceof NetcError)) throw error;
      // The editor, diagnostics and diagram work without data; the page says why Train cannot.
      io.err(`netc: warning ${error.code}: ${error.message}\n`);
      data = { error: `${error.code}: ${error.message}` };
    }
    const server = await startPlaygroundServer({ staticDir: defaultStaticDir, data, host: args.host, port: args.port }).catch((error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? `port ${args.port} is in use (try --port 0)` : error.message;
      throw new CliError(`cannot listen on ${args.host}:${args.port}: ${why}.`);
    });
    const loaded = 'meta' in data ? ` with ${data.meta.train} training and ${data.meta.test} test images` : '';
    io.out(`netc playground: ${server.url}${loaded} (Ctrl-C stops it)\n`);
    if (args.open) openBrowser(server.url);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
    return 0;
  },
};

/** Opens `url` with the platform's opener; a failure leaves the printed address to click. */
function openBrowser(url: string): void {
  const [command, ...args] =
    process.platform === 'darwin' ? ['open', url] : process.platform === 'win32' ? ['cmd', '/c', 'start', '', url] : ['xdg-open', url];
  const child = spawn(command!, args, { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}

import type { IOrAlt, IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
import { CstParser, EOF, tokenMatcher } from './chevrotain.js';
import { shorten } from './lexer.js';
import {
  allTokens,
  Budget,
  Comma,
  Count,
  Def,
  Dims,
  Equals,
  Expect,
  Identifier,
  Input,
  LBrace,
  LessEqual,
  LParen,
  MalformedNumber,
  Model,
  Newline,
  NumberLiteral,
  NumberToken,
  Pipe,
  Proj,
  RBrace,
  Repeat,
  Residual,
  RParen,
  ShortOption,
  Times,
  Train,
} from './tokens.js';

/** True for the keywords that start a statement of their own. */
export function isStatementKeyword(token: IToken | undefined): boolean {
  const type = token?.tokenType;
  return type === Model || type === Input || type === Train || type === Def || type === Budget;
}

/** How a token reads in a message: `` `conv` ``, "the number `6`", "the end of the line". */
export function describeToken(token: IToken | undefined): string {
  if (token === undefined || token.tokenType === EOF) return 'the end of the file';
  const image = `\`${shorten(token.image)}\``;
  switch (token.tokenType) {
    case Newline:
      return 'the end of the line';
    case Model:
    case Input:
    case Train:
    case Def:
    case Residual:
    case Expect:
    case Budget:
      return `the keyword ${image}`;
    case NumberLiteral:
    case MalformedNumber:
    case Count:
      return `the number ${image}`;
    case Dims:
      return `the size ${image}`;
    case ShortOption:
      return `the option ${image}`;
    case Repeat:
      return `the repetition ${image}`;
    default:
      return image;
  }
}

/**
 * Builds NN1001 messages as whole sentences. Chevrotain calls it while parsing; the parse driver tells it which
 * tokens surround the unit being parsed (`before`, `after`), because a unit's own input starts and ends in EOF.
 */
export class SyntaxMessages implements IParserErrorMessageProvider {
  /** The token just before the unit being parsed (the `|` before a stage), if any. */
  before: IToken | undefined;
  /** The token just after the unit being parsed (the `|` or line break that ends it), if any. */
  after: IToken | undefined;

  /** The token a message should name: chevrotain's EOF stands for whatever ends the unit. */
  actual(token: IToken): IToken | undefined {
    return token.tokenType === EOF ? this.after : token;
  }

  /** The token a message says "after": chevrotain's EOF before the first token stands for `before`. */
  previous(token: IToken | undefined): IToken | undefined {
    return token === undefined || token.tokenType === EOF ? this.before : token;
  }

  buildMismatchTokenMessage(options: { expected: TokenType; actual: IToken; previous: IToken; ruleName: string }): string {
    const previous = this.previous(options.previous);
    const actualToken = this.actual(options.actual);
    const found = describeToken(actualToken);
    const after = previous === undefined ? '' : ` after ${describeToken(previous)}`;
    if (options.expected === Identifier) {
      switch (options.ruleName) {
        case 'modelStatement':
          return `Expected a model name after \`model\` but found ${found}.`;
        case 'defStatement':
          return `Expected a block name after \`def\` but found ${found}; a block is defined as \`def NAME(PARAMS) = PIPELINE\`.`;
        case 'parameter':
          return `Expected a parameter name${after} but found ${found}.`;
        case 'keyValue':
          return `Expected a \`key=value\` option${after} but found ${found}.`;
        case 'budgetStatement':
          return `Expected what the budget limits (${budgetMetricList}) after \`budget\` but found ${found}; a budget is written \`budget params <= 50k\`.`;
      }
    }
    if (options.expected === LessEqual) {
      return `Expected \`<=\`${after} but found ${found}; a budget is written \`budget params <= 50k\`.`;
    }
    if (options.expected === Equals && previous !== undefined && options.ruleName !== 'defStatement') {
      const example = actualToken !== undefined && isValueToken(actualToken) ? `, as in \`${shorten(previous.image)}=${shorten(actualToken.image)}\`` : '';
      return `Expected \`=\` after \`${shorten(previous.image)}\` but found ${found}; options are written \`key=value\`${example}.`;
    }
    if (options.expected === Equals) {
      return `Expected \`=\`${after} but found ${found}; a block is defined as \`def NAME(PARAMS) = PIPELINE\`.`;
    }
    if (options.expected === RParen && (options.ruleName === 'parameters' || options.ruleName === 'blockUse')) {
      return `Expected \`,\` or \`)\`${after} but found ${found}.`;
    }
    if (options.expected === Newline) return `Expected the end of the line${after} but found ${found}.`;
    return `Expected ${describeType(options.expected)}${after} but found ${found}.`;
  }

  buildNotAllInputParsedMessage(options: { firstRedundant: IToken; ruleName: string }): string {
    // The parse driver replaces this with a message that names the token before; this is its fallback.
    return `Expected the end of the line but found ${describeToken(this.actual(options.firstRedundant))}.`;
  }

  buildNoViableAltMessage(options: {
    expectedPathsPerAlt: TokenType[][][];
    actual: IToken[];
    previous: IToken;
    customUserDescription?: string;
    ruleName: string;
  }): string {
    const actualToken = options.actual[0] === undefined ? undefined : this.actual(options.actual[0]);
    const found = describeToken(actualToken);
    const previous = this.previous(options.previous);
    const after = previous === undefined ? '' : ` after ${describeToken(previous)}`;
    switch (options.ruleName) {
      case 'statement': {
        const hint =
          actualToken?.tokenType === Pipe
            ? '; to continue the line before, end it with `|` instead of starting this one with it'
            : braceHint(actualToken);
        return `Expected a statement (\`model\`, \`input\`, \`train\`, \`def\`, \`budget\` or a layer name) but found ${found}${hint}.`;
      }
      case 'stage':
        return `Expected a layer name${after} but found ${found}${continuationHint(actualToken, previous)}${braceHint(actualToken)}.`;
      case 'inputStatement':
        return `Expected the input shape after \`input\`, such as \`1x28x28\` or \`784\`, but found ${found}.`;
      case 'expectation':
        return `Expected a shape after \`expect\`, such as \`16x4x4\` or \`120\`, but found ${found}.`;
      case 'budgetStatement':
        return `Expected the budget's limit${after}, a number such as \`50000\` or \`50k\`, but found ${found}.`;
      case 'value':
        return `Expected a value${after} (a number, a size such as \`3x5\`, or a name) but found ${found}.`;
      case 'blockArgument':
        return `Expected a block argument${after} (a value or \`key=value\`) but found ${found}.`;
      case 'repetition':
        return `Expected a repetition count${after} (a number or a parameter name, as in \`x 3\` or \`x n\`) but found ${found}.`;
    }
    const expected = options.expectedPathsPerAlt.flatMap((alt) => alt.map((path) => path[0])).filter((t) => t !== undefined);
    return `Expected ${listTypes(expected)}${after} but found ${found}.`;
  }

  buildEarlyExitMessage(options: {
    expectedIterationPaths: TokenType[][];
    actual: IToken[];
    previous: IToken;
    customUserDescription?: string;
    ruleName: string;
  }): string {
    const actualToken = options.actual[0] === undefined ? undefined : this.actual(options.actual[0]);
    const expected = options.expectedIterationPaths.map((path) => path[0]).filter((t) => t !== undefined);
    return `Expected ${listTypes(expected)} but found ${describeToken(actualToken)}.`;
  }
}

/** What a `budget` may limit, for messages (the checker's list in src/check/budgets.ts is the one that decides). */
const budgetMetricList = '`params`, `trainable`, `macs` or `memory`';

/** `{` where a stage should start: the keyword before it is missing. */
function braceHint(token: IToken | undefined): string {
  return token?.tokenType === LBrace ? '; a residual block is written `residual { PIPELINE }`' : '';
}

/** After a line that ends in `|` (or in a `def` header's `=`), a statement keyword is read as a stage: say why. */
function continuationHint(token: IToken | undefined, previous: IToken | undefined): string {
  if (!isStatementKeyword(token)) return '';
  if (previous?.tokenType === Equals) return '; the line before ends in `=`, so this line is the body of its `def`';
  return '; the line before ends in `|`, so this line continues its pipeline';
}

function isValueToken(token: IToken): boolean {
  return [NumberLiteral, MalformedNumber, Dims, Identifier, ShortOption, Repeat, Times, Proj].includes(token.tokenType);
}

/** How an expected token type reads in a message. */
function describeType(type: TokenType): string {
  if (type === Identifier) return 'a name';
  if (type === NumberToken || type === NumberLiteral) return 'a number';
  if (type === Dims) return 'a size such as `3x5`';
  if (type === ShortOption) return 'an option such as `k5`';
  if (type === Repeat) return 'a repetition such as `x3`';
  if (type === Newline) return 'the end of the line';
  if (type === EOF) return 'the end of the file';
  if (type === Count) return 'a number such as `50k`';
  if (type === Model || type === Input || type === Train || type === Def || type === Residual || type === Expect || type === Budget) {
    return `\`${type.name.toLowerCase()}\``;
  }
  const literal = [Pipe, Equals, LessEqual, Comma, LParen, RParen, LBrace, RBrace, Times, Proj].includes(type);
  return literal ? `\`${String(type.LABEL).slice(1, -1)}\`` : type.name;
}

function listTypes(types: readonly TokenType[]): string {
  const names = [...new Set(types.map(describeType))];
  if (names.length <= 1) return names[0] ?? 'something else';
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/**
 * The `.net` grammar. Each rule's JSDoc is its production; grammar/netc.ebnf is printed from these rules
 * (`npm run grammar`). Line breaks that continue a statement (after `|`, after a `def` header's `=`, inside
 * brackets) never reach the parser: the parse driver drops them, so the rules see one statement per NEWLINE.
 * Error recovery is done by the parse driver (src/syntax/parse.ts), one statement, stage, option, parameter or
 * block argument at a time, so chevrotain's own recovery is off and a failed unit never yields a half-invented tree.
 */
export class NetParser extends CstParser {
  /** `validate` checks the grammar (ambiguities, left recursion) at a startup cost; tests turn it on. */
  constructor(messages: SyntaxMessages, options: { validate: boolean } = { validate: false }) {
    super(allTokens as TokenType[], {
      recoveryEnabled: false,
      maxLookahead: 2,
      errorMessageProvider: messages,
      skipValidations: !options.validate,
    });
    this.performSelfAnalysis();
  }

  // The alternatives and loop bodies below are built once, not at each call: a 10 MB file runs these rules
  // millions of times, and the arrays and closures made per call were most of the garbage the parse leaves
  // (chevrotain's performance guide recommends caching them; they capture nothing but the parser).
  private readonly fileItems: IOrAlt<unknown>[] = [
    { ALT: () => this.CONSUME(Newline) },
    {
      ALT: () => {
        this.SUBRULE(this.statement);
        this.CONSUME2(Newline);
      },
    },
  ];
  private readonly fileItem = (): void => void this.OR(this.fileItems);
  private readonly statements: IOrAlt<unknown>[] = [
    { ALT: () => this.SUBRULE(this.modelStatement) },
    { ALT: () => this.SUBRULE(this.inputStatement) },
    { ALT: () => this.SUBRULE(this.trainStatement) },
    { ALT: () => this.SUBRULE(this.defStatement) },
    { ALT: () => this.SUBRULE(this.budgetStatement) },
    { ALT: () => this.SUBRULE(this.pipeline) },
  ];
  private readonly limits: IOrAlt<unknown>[] = [{ ALT: () => this.CONSUME(NumberToken) }, { ALT: () => this.CONSUME(Count) }];
  private readonly shapes: IOrAlt<unknown>[] = [{ ALT: () => this.CONSUME(NumberToken) }, { ALT: () => this.CONSUME(Dims) }];
  private readonly trainOption = (): void => {
    this.SUBRULE(this.keyValue);
  };
  private readonly defParameters = (): void => {
    this.SUBRULE(this.parameters);
  };
  private readonly parameterList = { SEP: Comma, DEF: (): void => void this.SUBRULE(this.parameter) };
  private readonly parameterDefault = (): void => {
    this.CONSUME(Equals);
    this.SUBRULE(this.value);
  };
  private readonly nextStage = (): void => {
    this.CONSUME(Pipe);
    this.SUBRULE2(this.stage);
  };
  private readonly stageForms: IOrAlt<unknown>[] = [
    { ALT: () => this.SUBRULE(this.expectation) },
    {
      ALT: () => {
        this.OR2(this.stages);
        this.OPTION(this.stageRepetition);
      },
    },
  ];
  private readonly stages: IOrAlt<unknown>[] = [
    { ALT: () => this.SUBRULE(this.blockUse) },
    { ALT: () => this.SUBRULE(this.layer) },
    { ALT: () => this.SUBRULE(this.group) },
    { ALT: () => this.SUBRULE(this.residual) },
  ];
  private readonly stageRepetition = (): void => {
    this.SUBRULE(this.repetition);
  };
  // A bare `x` after a layer's arguments is the repetition operator (`relu x 3`), not a positional name; `x=` is
  // still a key. Two tokens of lookahead tell them apart.
  private readonly layerArguments = {
    GATE: (): boolean => this.LA(1).tokenType !== Times || this.LA(2).tokenType === Equals,
    DEF: (): void => void this.SUBRULE(this.argument),
  };
  private readonly blockArguments = { SEP: Comma, DEF: (): void => void this.SUBRULE(this.blockArgument) };
  private readonly blockArgumentForms: IOrAlt<unknown>[] = [{ ALT: () => this.SUBRULE(this.keyValue) }, { ALT: () => this.SUBRULE(this.value) }];
  private readonly residualProj = (): void => void this.CONSUME(Proj);
  private readonly repetitions: IOrAlt<unknown>[] = [
    { ALT: () => this.CONSUME(Repeat) },
    {
      ALT: () => {
        this.CONSUME(Times);
        this.OR2(this.counts);
      },
    },
  ];
  private readonly counts: IOrAlt<unknown>[] = [{ ALT: () => this.CONSUME(NumberToken) }, { ALT: () => this.CONSUME(Identifier) }];
  private readonly arguments: IOrAlt<unknown>[] = [
    { ALT: () => this.CONSUME(NumberToken) },
    { ALT: () => this.CONSUME(Dims) },
    { ALT: () => this.CONSUME(ShortOption) },
    { ALT: () => this.SUBRULE(this.keyValue) },
    { ALT: () => this.CONSUME(Identifier) },
  ];
  private readonly values: IOrAlt<unknown>[] = [
    { ALT: () => this.CONSUME(NumberToken) },
    { ALT: () => this.CONSUME(Dims) },
    { ALT: () => this.CONSUME(Identifier) },
    { ALT: () => this.CONSUME(ShortOption) },
    { ALT: () => this.CONSUME(Repeat) },
  ];

  /** file = { NEWLINE | statement NEWLINE } ; (the end of the file counts as a final NEWLINE) */
  readonly file = this.RULE('file', () => {
    this.MANY(this.fileItem);
  });

  /** statement = modelStatement | inputStatement | trainStatement | defStatement | budgetStatement | pipeline ; */
  readonly statement = this.RULE('statement', () => {
    this.OR(this.statements);
  });

  /** modelStatement = "model" IDENTIFIER ; */
  readonly modelStatement = this.RULE('modelStatement', () => {
    this.CONSUME(Model);
    this.CONSUME(Identifier);
  });

  /** inputStatement = "input" ( NUMBER | DIMS ) ; */
  readonly inputStatement = this.RULE('inputStatement', () => {
    this.CONSUME(Input);
    this.OR(this.shapes);
  });

  /** trainStatement = "train" { keyValue } ; */
  readonly trainStatement = this.RULE('trainStatement', () => {
    this.CONSUME(Train);
    this.MANY(this.trainOption);
  });

  /** defStatement = "def" IDENTIFIER [ parameters ] "=" pipeline ; */
  readonly defStatement = this.RULE('defStatement', () => {
    this.CONSUME(Def);
    this.CONSUME(Identifier);
    this.OPTION(this.defParameters);
    this.CONSUME(Equals);
    this.SUBRULE(this.pipeline);
  });

  /** budgetStatement = "budget" IDENTIFIER "<=" ( NUMBER | COUNT ) ; */
  readonly budgetStatement = this.RULE('budgetStatement', () => {
    this.CONSUME(Budget);
    this.CONSUME(Identifier);
    this.CONSUME(LessEqual);
    this.OR(this.limits);
  });

  /** parameters = "(" [ parameter { "," parameter } ] ")" ; */
  readonly parameters = this.RULE('parameters', () => {
    this.CONSUME(LParen);
    this.MANY_SEP(this.parameterList);
    this.CONSUME(RParen);
  });

  /** parameter = IDENTIFIER [ "=" value ] ; */
  readonly parameter = this.RULE('parameter', () => {
    this.CONSUME(Identifier);
    this.OPTION(this.parameterDefault);
  });

  /** pipeline = stage { "|" stage } ; */
  readonly pipeline = this.RULE('pipeline', () => {
    this.SUBRULE(this.stage);
    this.MANY(this.nextStage);
  });

  /** stage = expectation | ( blockUse | layer | group | residual ) [ repetition ] ; */
  readonly stage = this.RULE('stage', () => {
    this.OR(this.stageForms);
  });

  /** expectation = "expect" ( NUMBER | DIMS ) ; */
  readonly expectation = this.RULE('expectation', () => {
    this.CONSUME(Expect);
    this.OR(this.shapes);
  });

  /** layer = IDENTIFIER { argument } ; (an argument never starts with the repetition operator "x") */
  readonly layer = this.RULE('layer', () => {
    this.CONSUME(Identifier);
    this.MANY(this.layerArguments);
  });

  /** blockUse = IDENTIFIER "(" [ blockArgument { "," blockArgument } ] ")" ; */
  readonly blockUse = this.RULE('blockUse', () => {
    this.CONSUME(Identifier);
    this.CONSUME(LParen);
    this.MANY_SEP(this.blockArguments);
    this.CONSUME(RParen);
  });

  /** blockArgument = keyValue | value ; */
  readonly blockArgument = this.RULE('blockArgument', () => {
    this.OR(this.blockArgumentForms);
  });

  /** group = "(" pipeline ")" ; */
  readonly group = this.RULE('group', () => {
    this.CONSUME(LParen);
    this.SUBRULE(this.pipeline);
    this.CONSUME(RParen);
  });

  /** residual = "residual" [ "proj" ] "{" pipeline "}" ; */
  readonly residual = this.RULE('residual', () => {
    this.CONSUME(Residual);
    this.OPTION(this.residualProj);
    this.CONSUME(LBrace);
    this.SUBRULE(this.pipeline);
    this.CONSUME(RBrace);
  });

  /** repetition = REPEAT | "x" ( NUMBER | IDENTIFIER ) ; */
  readonly repetition = this.RULE('repetition', () => {
    this.OR(this.repetitions);
  });

  /** argument = NUMBER | DIMS | SHORT_OPTION | keyValue | IDENTIFIER ; */
  readonly argument = this.RULE('argument', () => {
    this.OR(this.arguments);
  });

  /** keyValue = IDENTIFIER "=" value ; */
  readonly keyValue = this.RULE('keyValue', () => {
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.value);
  });

  /** value = NUMBER | DIMS | IDENTIFIER | SHORT_OPTION | REPEAT ; (a SHORT_OPTION or REPEAT here is read as a name) */
  readonly value = this.RULE('value', () => {
    this.OR(this.values);
  });
}

/** True when `token` is chevrotain's end-of-input token. */
export function isEof(token: IToken): boolean {
  return tokenMatcher(token, EOF);
}

let instance: { parser: NetParser; messages: SyntaxMessages } | undefined;

/** The parser and its message provider, built once per process on first use (self-analysis takes milliseconds). */
export function netParser(): { parser: NetParser; messages: SyntaxMessages } {
  if (instance === undefined) {
    const messages = new SyntaxMessages();
    instance = { parser: new NetParser(messages), messages };
  }
  return instance;
}

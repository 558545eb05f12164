// The types of `#chevrotain` (see chevrotain.ts): whichever file the `imports` map picks, it is chevrotain.
export * from 'chevrotain';

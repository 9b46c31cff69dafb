// The shape of one `physarum` subcommand (main.ts dispatches; each command file exports one).
export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

/** A template's variable scope: a chain of frames, the innermost binding wins. */
export class Scope {
  readonly vars = new Map<string, unknown>();
  constructor(readonly parent: Scope | undefined) {}

  /** The innermost binding of `name`; a name bound to undefined still hides outer ones. */
  lookup(name: string): unknown {
    const value = this.vars.get(name);
    if (value !== undefined || this.vars.has(name)) return value;
    return this.parent?.lookup(name);
  }
}

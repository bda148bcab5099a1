/**
 * Prepared statements kept by their SQL text, least recently used dropped
 * first: the text of a statement depends only on the table, the columns and
 * the shape of the filter (values are always bound parameters), so a busy
 * gateway prepares each of its few statement shapes once. Bounded, since a
 * client chooses its filters' shapes.
 */
export class StatementCache<S> {
  private readonly statements = new Map<string, S>();

  constructor(
    private readonly prepare: (text: string) => S,
    private readonly capacity: number,
  ) {}

  get(text: string): S {
    const statements = this.statements;
    let statement = statements.get(text);
    if (statement !== undefined) {
      statements.delete(text); // re-inserted below: most recently used last
    } else {
      statement = this.prepare(text);
      if (statements.size >= this.capacity) statements.delete(statements.keys().next().value!);
    }
    statements.set(text, statement);
    return statement;
  }

  clear(): void {
    this.statements.clear();
  }
}

/**
 * Prepared statements kept by their SQL text: the text of a statement
 * depends only on the table, the columns and the shape of the filter
 * (values are always bound parameters), so a busy gateway prepares each of
 * its few statement shapes once. Bounded, since a client chooses its
 * filters' shapes: when full, the oldest statement is dropped (first in,
 * first out: a hit costs one Map lookup).
 */
export class StatementCache<S> {
  private readonly statements = new Map<string, S>();

  constructor(
    private readonly prepare: (text: string) => S,
    private readonly capacity: number,
  ) {}

  get(text: string): S {
    const cached = this.statements.get(text);
    if (cached !== undefined) return cached;
    const statement = this.prepare(text);
    if (this.statements.size >= this.capacity) this.statements.delete(this.statements.keys().next().value!);
    this.statements.set(text, statement);
    return statement;
  }

  clear(): void {
    this.statements.clear();
  }
}

/**
 * Keeps `String.prototype` in V8's fast-properties mode.
 *
 * When a dependency makes `String.prototype` the prototype of another object
 * (ioredis does, with `class VerbatimString extends String`), V8 switches
 * `String.prototype` to dictionary mode and leaves it there: nothing reads a
 * property *through* it afterwards, and only such a read makes a prototype
 * fast again. From then on, optimized code can no longer inline
 * `text.charCodeAt(i)`, `text.slice(a, b)`, `text.startsWith(s, i)` or
 * `text.indexOf(s, i)`: each becomes a full builtin call, and the request
 * parser, canonicalization and serialization ran 2.3x slower in any process
 * that had loaded ioredis (measured: docs/performance.md, "Third session",
 * step 10).
 *
 * A property read through a String wrapper object, from code that has its
 * inline cache (V8 allocates one after a few calls), walks the prototype
 * chain and makes `String.prototype` fast again. The gateway does it once
 * all its modules are loaded (startGateway); it changes no property and no
 * behaviour, only V8's internal representation.
 */
export function keepStringPrototypeFast(): void {
  const wrapper: object = Object(""); // a String wrapper: its prototype is String.prototype
  // The first calls run without an inline cache; a miss of the cache, once it exists, makes the chain fast.
  for (let i = 0; i < 64; i++) readThrough(wrapper);
}

function readThrough(wrapper: object): unknown {
  return (wrapper as { readonly absentProperty?: unknown }).absentProperty;
}

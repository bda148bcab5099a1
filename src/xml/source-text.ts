/**
 * The decoded text of a request, held as pieces no larger than V8 keeps in
 * its ordinary heap.
 *
 * A string longer than about 128 KiB is a "large object" to V8: fresh pages
 * mapped for it, faulted in, and unmapped after the next collection. On the
 * machines measured (docs/performance.md, "A performance cliff") that made
 * decoding a 700 KB request cost 2.6 ms instead of 0.23 ms, and parsing any
 * request between 128 KB and 1 MB about twice as slow per byte as a
 * slightly larger one (Node makes strings of 1,031,913 bytes and more
 * external, outside V8's heap, but its malloc then has its own cost). So a
 * request is decoded into chunks (128 KiB for ASCII, 64 KiB of UTF-8 bytes
 * otherwise), and the tree's offsets, which count UTF-16 code units of the
 * whole text as before, are read through this class.
 *
 * Chunks are cut only between characters (never inside a UTF-8 sequence or
 * a surrogate pair). Most requests fit one chunk: every method then goes straight to that
 * string. Reads of several chunks are nearly always in document order, so
 * the chunk last found is tried first.
 */
/**
 * The longest one-byte string V8 keeps as an ordinary heap object, with a
 * margin for its header (measured on Node 20: decoding 131,050 bytes took
 * 7 µs, 131,072 bytes 0.7–0.9 ms).
 */
const ASCII_CHUNK_BYTES = 128 * 1024 - 64;
/** UTF-8 bytes decode to at most as many UTF-16 units, two bytes each: half as many bytes per chunk. */
const UTF8_CHUNK_BYTES = ASCII_CHUNK_BYTES >> 1;

export class SourceText {
  /** The length in UTF-16 code units. */
  readonly length: number;
  /** The whole text when it is one chunk, else undefined. */
  private readonly whole: string | undefined;
  /** `starts[k]` is where chunk k begins; `starts[chunks.length]` is the length. */
  private readonly starts: number[];
  /** The chunk the last lookup found. */
  private current = 0;

  private constructor(private readonly chunks: readonly string[]) {
    const starts = [0];
    for (const chunk of chunks) starts.push(starts[starts.length - 1]! + chunk.length);
    this.starts = starts;
    this.length = starts[chunks.length]!;
    this.whole = chunks.length === 1 ? chunks[0] : chunks.length === 0 ? "" : undefined;
  }

  /** The text of a string already decoded (one chunk, whatever its length). */
  static of(text: string): SourceText {
    return new SourceText([text]);
  }

  /** `text` as chunks of `chunkUnits` code units, one more where a surrogate pair would be cut (for tests of reads across chunk boundaries). */
  static chunked(text: string, chunkUnits: number): SourceText {
    const chunks: string[] = [];
    for (let start = 0; start < text.length; ) {
      let end = Math.min(start + chunkUnits, text.length);
      if (isHighSurrogate(text.charCodeAt(end - 1)) && end < text.length) end++;
      chunks.push(text.slice(start, end));
      start = end;
    }
    return new SourceText(chunks);
  }

  /** The text of `bytes[from..]`, all ASCII: one code unit per byte. */
  static fromAscii(bytes: Buffer, from = 0): SourceText {
    if (bytes.length - from <= ASCII_CHUNK_BYTES) return new SourceText([bytes.toString("latin1", from)]);
    const chunks: string[] = [];
    for (let start = from; start < bytes.length; start += ASCII_CHUNK_BYTES) chunks.push(bytes.toString("latin1", start, Math.min(start + ASCII_CHUNK_BYTES, bytes.length)));
    return new SourceText(chunks);
  }

  /** The text of `bytes[from..]`, valid UTF-8: chunks are cut only where a character starts. */
  static fromUtf8(bytes: Buffer, from = 0): SourceText {
    if (bytes.length - from <= UTF8_CHUNK_BYTES) return new SourceText([bytes.toString("utf8", from)]);
    const chunks: string[] = [];
    for (let start = from; start < bytes.length; ) {
      let end = Math.min(start + UTF8_CHUNK_BYTES, bytes.length);
      while (end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--; // not inside a character
      chunks.push(bytes.toString("utf8", start, end));
      start = end;
    }
    return new SourceText(chunks);
  }

  /** The chunks in order (to copy the code units, see code-units.ts). */
  pieces(): readonly string[] {
    return this.chunks;
  }

  /** As `String.prototype.slice` for offsets that are not negative. */
  slice(start: number, end: number): string {
    const whole = this.whole;
    if (whole !== undefined) return whole.slice(start, end);
    if (end > this.length) end = this.length;
    if (start >= end) return "";
    const starts = this.starts;
    let k = this.current;
    if (start < starts[k]! || start >= starts[k + 1]!) k = this.chunkOf(start);
    const base = starts[k]!;
    if (end <= starts[k + 1]!) return this.chunks[k]!.slice(start - base, end - base);
    let text = this.chunks[k]!.slice(start - base);
    for (let next = k + 1; next < this.chunks.length && starts[next]! < end; next++) text += this.chunks[next]!.slice(0, end - starts[next]!);
    return text;
  }

  /**
   * Hands the text from `start` to `end` to `write` in pieces, one per chunk
   * it spans (so a long span is never joined into one large string). No
   * piece ends inside a surrogate pair: chunks are never cut there.
   */
  writeEach(start: number, end: number, write: (piece: string) => void): void {
    const whole = this.whole;
    if (whole !== undefined) {
      if (start < end) write(whole.slice(start, end));
      return;
    }
    if (end > this.length) end = this.length;
    const starts = this.starts;
    for (let k = start < end ? this.chunkOf(start) : this.chunks.length; k < this.chunks.length && starts[k]! < end; k++) {
      write(this.chunks[k]!.slice(Math.max(start, starts[k]!) - starts[k]!, Math.min(end, starts[k + 1]!) - starts[k]!));
    }
  }

  /** The code unit at `index`, or NaN outside the text (as `String.prototype.charCodeAt`). */
  charCodeAt(index: number): number {
    const whole = this.whole;
    if (whole !== undefined) return whole.charCodeAt(index);
    if (!(index >= 0 && index < this.length)) return NaN;
    const k = this.chunkOf(index);
    return this.chunks[k]!.charCodeAt(index - this.starts[k]!);
  }

  startsWith(search: string, position: number): boolean {
    const whole = this.whole;
    if (whole !== undefined) return whole.startsWith(search, position);
    if (position < 0 || position + search.length > this.length) return false;
    const k = this.chunkOf(position);
    const base = this.starts[k]!;
    if (position + search.length <= this.starts[k + 1]!) return this.chunks[k]!.startsWith(search, position - base);
    return this.slice(position, position + search.length) === search;
  }

  /**
   * The first index at or after `from` where `search` (non-empty, shorter
   * than a chunk) occurs, or -1. Each chunk is searched in place, and only
   * the few units around a boundary are joined: the cost is the distance
   * searched, as for one string (a join of the rest of a chunk per call
   * would make many small comments cost the square of their number).
   */
  indexOf(search: string, from: number): number {
    const whole = this.whole;
    if (whole !== undefined) return whole.indexOf(search, from);
    if (from >= this.length) return -1;
    const starts = this.starts;
    const overlap = search.length - 1;
    for (let k = this.chunkOf(Math.max(0, from)); k < this.chunks.length; k++) {
      const base = starts[k]!;
      const found = this.chunks[k]!.indexOf(search, Math.max(from, base) - base);
      if (found >= 0) return base + found;
      if (overlap > 0 && k + 1 < this.chunks.length) {
        // An occurrence that starts in this chunk and ends in a later one.
        const windowStart = Math.max(from, starts[k + 1]! - overlap);
        const across = this.slice(windowStart, Math.min(starts[k + 1]! + overlap, this.length)).indexOf(search);
        if (across >= 0) return windowStart + across;
      }
    }
    return -1;
  }

  /** The whole text as one string (for refusals' extra scans and for tests; a large request pays the cost this class avoids). */
  toString(): string {
    return this.whole ?? this.chunks.join("");
  }

  /** The chunk holding `index` (0 ≤ index < length). */
  private chunkOf(index: number): number {
    const starts = this.starts;
    const k = this.current;
    if (index >= starts[k]! && index < starts[k + 1]!) return k;
    let low = 0;
    let high = this.chunks.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= index) low = middle;
      else high = middle - 1;
    }
    this.current = low;
    return low;
  }
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

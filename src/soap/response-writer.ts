/**
 * A response's text collected as UTF-8 bytes: appended to a short string
 * that is encoded every 16 K characters (the chunks are joined once at the
 * end), never joined into one long string. A 1 MB insertMultiple's 4,318
 * insertResponse elements once made a rope of ~250,000 pieces that stayed
 * alive (and was copied by every young-generation GC) until the HTTP layer
 * flattened it to count its bytes (docs/performance.md, "After the
 * decision"). Writing each character's byte into a buffer from JavaScript
 * measured slower than this (V8 builds short strings cheaply and encodes
 * them natively; "Fifth session").
 */

export class ResponseWriter {
  /** Characters gathered before they are encoded. */
  private static readonly FLUSH_CHARS = 16 * 1024;
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  private pending = "";

  /** Appends `text` as markup, unescaped (tags, the envelope's fixed parts). */
  markup(text: string): void {
    this.pending += text;
    if (this.pending.length >= ResponseWriter.FLUSH_CHARS) this.flush();
  }

  /** Appends `open`, `value` escaped as character data (`escapeText`), and `close`: one element of text. */
  element(open: string, value: string, close: string): void {
    this.pending += open + escapeText(value) + close;
    if (this.pending.length >= ResponseWriter.FLUSH_CHARS) this.flush();
  }

  /**
   * Appends `utf8`, bytes already in their final (escaped, UTF-8) form: kept
   * as they are, a view, until `finish` copies them once into the response.
   * For a long value echoed from the request's own bytes, this skips making
   * it a string and encoding it again: a 1 MB value's string lives in V8's
   * large-object space, fresh memory each time, and encoding it took
   * ~7 ms here (docs/performance.md, "Seventh session").
   */
  bytes(utf8: Uint8Array): void {
    this.flush();
    this.chunks.push(utf8);
    this.length += utf8.length;
  }

  /** The bytes of everything appended. Ends the writer. */
  finish(): Buffer {
    this.flush();
    const only = this.chunks[0]!;
    return this.chunks.length === 1 && Buffer.isBuffer(only) ? only : Buffer.concat(this.chunks, this.length);
  }

  private flush(): void {
    if (this.pending === "" && this.chunks.length > 0) return;
    const chunk = Buffer.from(this.pending, "utf8");
    this.pending = "";
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
}

/**
 * Character data: `&`, `<`, `>` as entities, and CR as `&#13;` (a literal
 * CR would reach the client as LF, XML 1.0 §2.11). Returns `value` itself
 * when nothing needs escaping.
 */
export function escapeText(value: string): string {
  let escaped = "";
  let copied = 0;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    let entity: string;
    if (code === 0x26) entity = "&amp;";
    else if (code === 0x3c) entity = "&lt;";
    else if (code === 0x3e) entity = "&gt;";
    else if (code === 0x0d) entity = "&#13;";
    else continue;
    escaped += value.slice(copied, index) + entity;
    copied = index + 1;
  }
  return copied === 0 ? value : escaped + value.slice(copied);
}

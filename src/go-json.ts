/**
 * JSON as Go's encoding/json writes it, because clients written in Go are what read us and
 * the reference helpers emit these bytes: `<`, `>` and `&` become \u003c, \u003e, \u0026, and
 * U+2028/U+2029 are escaped too. Object keys keep insertion order (Go sorts map keys: callers sort).
 */
const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

export function goJsonStringify(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => GO_ESCAPES[ch] ?? ch);
}

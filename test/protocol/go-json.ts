/**
 * JSON as Go's encoding/json writes it (what Docker sends to a helper and what the reference
 * helper prints): JSON.stringify plus Go's HTML-safe escapes of <, >, & and U+2028/U+2029.
 * Control characters other than \n \r \t are avoided in tests: Go changed their escapes over time.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One credential as a helper prints it on `get` and as Docker writes it to `store`: Go field order, newline. */
export function credentialLine(serverURL: string, username: string, secret: string): string {
  return `${goJson({ ServerURL: serverURL, Username: username, Secret: secret })}\n`;
}

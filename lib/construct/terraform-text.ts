/**
 * Terraform reads `${...}` and `%{...}` in every string of the configuration
 * as templates. What the construct writes from user input (literal values,
 * integration ids, versions) is escaped, so that it arrives byte for byte.
 */
export function escapeTemplate(text: string): string {
  // Replacer functions: in a replacement string, "$$" would mean one "$".
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/**
 * Text as the inside of a quoted string in a Terraform expression (within
 * `${...}`): quotes, backslashes and control characters escaped as HCL
 * reads them, templates escaped, so that it arrives byte for byte.
 */
export function hclStringBody(text: string): string {
  const escaped = text.replace(/[\\"\u0000-\u001f]/g, (c) => {
    if (c === "\\") return "\\\\";
    if (c === '"') return '\\"';
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
  return escapeTemplate(escaped);
}

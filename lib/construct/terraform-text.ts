/**
 * Terraform reads `${...}` and `%{...}` in every string of the configuration
 * as templates. What the construct writes from user input (literal values,
 * integration ids, versions) is escaped, so that it arrives byte for byte.
 */
export function escapeTemplate(text: string): string {
  // Replacer functions: in a replacement string, "$$" would mean one "$".
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/** Wording shared by everything that prints: "1 secret", "2 secrets". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** The block every command's --help ends with: operators copy these lines more than they read option lists. */
export const examples = (...lines: string[]) => `\nExamples:\n${lines.map((line) => `  ${line}`).join('\n')}`;

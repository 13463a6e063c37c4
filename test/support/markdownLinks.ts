/**
 * The links of a Markdown document and the anchors its headings get, as GitHub renders them: enough
 * to check that the repository's documentation points at files (and headings) that exist. Pure: the
 * caller reads the files.
 */

/** A link target as written, with the line it is on. */
export type MarkdownLink = { target: string; line: number };

const FENCE = /^\s{0,3}(```|~~~)/;
/** `[text](target)` and `![alt](target)`; the target ends at whitespace (a title may follow) or `)`. */
const INLINE = /!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+["'(][^)]*)?\)/g;
/** `[label]: target` reference definitions. */
const DEFINITION = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;

/** Each line outside fenced code blocks, as written and with code spans blanked (a link in code is not a link). */
function proseLines(markdown: string): { raw: string; text: string; line: number }[] {
  const lines: { raw: string; text: string; line: number }[] = [];
  let fence: string | null = null;
  markdown.split('\n').forEach((raw, index) => {
    const opening = FENCE.exec(raw)?.[1];
    if (fence) {
      if (opening === fence) fence = null;
      return;
    }
    if (opening) {
      fence = opening;
      return;
    }
    lines.push({ raw, text: raw.replace(/(`+)[\s\S]*?\1/g, (code) => ' '.repeat(code.length)), line: index + 1 });
  });
  return lines;
}

export function linksOf(markdown: string): MarkdownLink[] {
  return proseLines(markdown).flatMap(({ text, line }) => {
    const inline = [...text.matchAll(INLINE)].map((m) => ({ target: m[1] ?? '', line }));
    const definition = DEFINITION.exec(text)?.[1];
    return definition ? [...inline, { target: definition, line }] : inline;
  });
}

/** Whether a target leaves the repository's files: a URL with a scheme, or protocol-relative. */
export const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

/**
 * GitHub's anchor for a heading's text (github-slugger's rule): the rendered text lower-cased,
 * everything but letters, marks, digits, spaces, `-` and `_` dropped, spaces turned into `-`.
 */
export function slug(headingText: string): string {
  const rendered = headingText
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/`([^`]*)`/g, '$1') // code spans: their content
    .replace(/[*]/g, ''); // emphasis markers
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a document's headings get; a repeated heading gets `-1`, `-2`, … as on GitHub. */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { raw } of proseLines(markdown)) {
    const heading = HEADING.exec(raw);
    if (!heading) continue;
    const base = slug(heading[2] ?? '');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

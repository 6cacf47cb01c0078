/**
 * Pasted HTML from Word and from web pages, cleaned before ProseMirror parses it. The schema
 * already drops what it does not know (fonts, colours, spans); what it would keep by mistake is
 * taken out here: Word's conditional comments and XML islands (`<o:p>`, `<w:…>`), its list
 * paragraphs that are really bullets, empty spacer paragraphs, and every style, class and event
 * attribute (a pasted `onerror` must never reach the DOM).
 */
const WORD_LIST = /mso-list:\s*l\d+\s+level(\d+)/i;

export function cleanPastedHTML(html: string): string {
  if (typeof DOMParser === 'undefined') return html;
  const doc = new DOMParser().parseFromString(stripWordMarkup(html), 'text/html');
  const body = doc.body;
  wordListsToLists(body);
  for (const el of Array.from(body.querySelectorAll('script, style, meta, link, title, xml, o\\:p, iframe, object, embed'))) el.remove();
  for (const el of Array.from(body.querySelectorAll('*'))) {
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      const keep = (name === 'href' && el.tagName === 'A') || ((name === 'src' || name === 'alt' || name === 'title') && el.tagName === 'IMG') || name === 'colspan' || name === 'rowspan';
      if (!keep || /^\s*javascript:/i.test(attr.value)) el.removeAttribute(attr.name);
    }
  }
  // Word's spacer paragraphs hold only a non-breaking space.
  for (const p of Array.from(body.querySelectorAll('p'))) if (p.textContent?.replace(/\u00a0/g, '').trim() === '' && !p.querySelector('img')) p.remove();
  return body.innerHTML;
}

/** Conditional comments (`<!--[if …]>`), namespaced tags and Word's own comments. */
function stripWordMarkup(html: string): string {
  return html
    .replace(/<!--\[if[\s\S]*?<!\[endif\]-->/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    // Word's downlevel-revealed conditionals (`<![if !supportLists]>`): the markers go, the content stays.
    .replace(/<!\[(if[^\]]*|endif)\]>/gi, '')
    .replace(/<\/?(o|w|v|m):[^>]*>/gi, '');
}

/**
 * Word writes bullets as paragraphs with `mso-list` styles and a bullet glyph in front; they become
 * a real list (one level; nesting is rare in pasted text and the user can indent).
 */
function wordListsToLists(body: HTMLElement): void {
  let list: HTMLElement | null = null;
  for (const p of Array.from(body.querySelectorAll('p'))) {
    const style = p.getAttribute('style') ?? '';
    if (!WORD_LIST.test(style) && !/MsoListParagraph/.test(p.className)) {
      list = null;
      continue;
    }
    // The bullet or number Word draws itself sits in a span marked `mso-list: Ignore`.
    const glyph = p.querySelector('span[style*="mso-list"][style*="Ignore" i]');
    const text = (glyph?.textContent ?? p.textContent ?? '').replace(/\u00a0/g, ' ');
    glyph?.remove();
    const ordered = /^\s*\d+[.)]/.test(text);
    if (!list || p.previousElementSibling !== list || (list.tagName === 'OL') !== ordered) {
      list = p.ownerDocument.createElement(ordered ? 'ol' : 'ul');
      p.before(list);
    }
    const li = p.ownerDocument.createElement('li');
    li.innerHTML = glyph ? p.innerHTML : p.innerHTML.replace(/^(\s|&nbsp;)*([·•▪o§\-–]|\d+[.)])(\s|&nbsp;)+/, '');
    list.appendChild(li);
    p.remove();
  }
}

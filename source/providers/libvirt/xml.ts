// Just enough XML for what virsh prints (dumpxml of domains, volumes, pools, nwfilters, capabilities) and
// what strata writes to it. Reading: elements, attributes, text, comments, CDATA, the five entities and
// character references; no DTDs. Writing: every value goes through esc(), never pasted raw.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (its text nodes joined), entities decoded. */
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return ENTITIES[ref] ?? whole;
  });
}

/** Escapes text for an element's content or an attribute value (either quote). */
export function esc(value: string | number): string {
  return String(value).replace(/[<>&"']/g, (ch) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[ch]};`);
}

export class XmlError extends Error {}

/** Parses one document and returns its root element. Throws XmlError with the offset where it went wrong. */
export function parseXml(source: string): XmlElement {
  const roots = parseXmlFragments(source);
  if (roots.length !== 1) throw new XmlError(`Expected one XML document, found ${roots.length} top-level elements.`);
  return roots[0]!;
}

/** Parses a run of top-level elements (virsh prints several documents when given several commands). */
export function parseXmlFragments(source: string): XmlElement[] {
  const roots: XmlElement[] = [];
  const stack: XmlElement[] = [];
  const texts: string[][] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new XmlError(`${why} at offset ${i}.`);
  };
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const end = lt === -1 ? source.length : lt;
    if (end > i && stack.length > 0) texts[texts.length - 1]!.push(decode(source.slice(i, end)));
    if (lt === -1) break;
    i = lt;
    if (source.startsWith('<!--', i)) {
      const close = source.indexOf('-->', i + 4);
      if (close === -1) fail('An unclosed comment');
      i = close + 3;
    } else if (source.startsWith('<![CDATA[', i)) {
      const close = source.indexOf(']]>', i + 9);
      if (close === -1) fail('An unclosed CDATA section');
      if (stack.length > 0) texts[texts.length - 1]!.push(source.slice(i + 9, close));
      i = close + 3;
    } else if (source.startsWith('<?', i) || source.startsWith('<!', i)) {
      const close = source.indexOf('>', i);
      if (close === -1) fail('An unclosed declaration');
      i = close + 1;
    } else if (source.startsWith('</', i)) {
      const close = source.indexOf('>', i);
      if (close === -1) fail('An unclosed end tag');
      const name = source.slice(i + 2, close).trim();
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> does not close <${open?.name ?? 'nothing'}>`);
      open!.text = texts.pop()!.join('');
      if (stack.length === 0) roots.push(open!);
      i = close + 1;
    } else {
      const tag = /^<([A-Za-z_][\w.:-]*)/.exec(source.slice(i, i + 256));
      if (!tag) fail('A malformed tag');
      const element: XmlElement = { name: tag![1]!, attrs: {}, children: [], text: '' };
      i += tag![0].length;
      const attr = /\s*([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;
      for (;;) {
        attr.lastIndex = i;
        const m = attr.exec(source);
        if (!m) break;
        element.attrs[m[1]!] = decode(m[3] ?? m[4] ?? '');
        i = attr.lastIndex;
      }
      while (/\s/.test(source[i] ?? '')) i++;
      const selfClosing = source.startsWith('/>', i);
      if (!selfClosing && source[i] !== '>') fail(`A malformed <${element.name}> tag`);
      i += selfClosing ? 2 : 1;
      if (stack.length > 0) stack[stack.length - 1]!.children.push(element);
      if (selfClosing) {
        if (stack.length === 0) roots.push(element);
      } else {
        stack.push(element);
        texts.push([]);
      }
    }
  }
  if (stack.length > 0) throw new XmlError(`<${stack[stack.length - 1]!.name}> is never closed.`);
  return roots;
}

/** The first descendant along a path of element names ("devices/disk/source"), or undefined. */
export function child(element: XmlElement | undefined, path: string): XmlElement | undefined {
  let at = element;
  for (const name of path.split('/')) {
    at = at?.children.find((c) => c.name === name);
    if (!at) return undefined;
  }
  return at;
}

/** Every direct child of this name. */
export function children(element: XmlElement | undefined, name: string): XmlElement[] {
  return element ? element.children.filter((c) => c.name === name) : [];
}

/** The trimmed text at a path, or undefined where the element is absent. */
export function textAt(element: XmlElement | undefined, path: string): string | undefined {
  const found = child(element, path);
  return found ? found.text.trim() : undefined;
}

// Reads a trace page back with regular expressions (no DOM library in the project): the cards,
// and per card every token element with its span container's attributes.
export interface TokenElement {
  kind: string;
  /** start index of the container + position inside it: the token's index in `tokens`. */
  index: number;
  group: Record<string, string>;
  attrs: Record<string, string>;
  classes: string[];
  text: string;
}

export function attributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([\w-]+)=(?:"([^"]*)"|([^\s>"]+))/g)) out[m[1]!] = unescape(m[2] ?? m[3]!);
  return out;
}

export function unescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

export function cards(html: string): string[] {
  return html.split('<section class="card"').slice(1).map((c) => `<section class="card"${c.slice(0, c.indexOf('</section>'))}`);
}

export function tokenElements(card: string): TokenElement[] {
  const out: TokenElement[] = [];
  for (const g of card.matchAll(/<span class="g (\w)"([^>]*)>(.*?)<\/span>/gs)) {
    const group = attributes(g[2]!);
    let position = 0;
    for (const t of g[3]!.matchAll(/<i([^>]*)>([^<]*)<\/i>/g)) {
      const attrs = attributes(t[1]!);
      out.push({ kind: g[1]!, index: Number(group['data-s']) + position++, group, attrs, classes: (attrs.class ?? '').split(' ').filter(Boolean), text: unescape(t[2]!) });
    }
  }
  return out;
}

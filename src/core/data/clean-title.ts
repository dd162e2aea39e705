/**
 * Item titles as the model sees them: HTML entities decoded, tags removed,
 * whitespace (including tabs and newlines) collapsed to single spaces.
 */

// Latin-1 named entities, code points 160..255 in order.
const LATIN1 =
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml'.split(' ');

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'",
  ndash: '\u2013', mdash: '\u2014', lsquo: '\u2018', rsquo: '\u2019', sbquo: '\u201a', ldquo: '\u201c', rdquo: '\u201d', bdquo: '\u201e',
  hellip: '\u2026', trade: '\u2122', bull: '\u2022', dagger: '\u2020', Dagger: '\u2021', permil: '\u2030', euro: '\u20ac',
  lsaquo: '\u2039', rsaquo: '\u203a', OElig: '\u0152', oelig: '\u0153', Scaron: '\u0160', scaron: '\u0161', Yuml: '\u0178',
  ensp: '\u2002', emsp: '\u2003', thinsp: '\u2009', zwnj: '\u200c', zwj: '\u200d', prime: '\u2032', Prime: '\u2033',
  hearts: '\u2665', spades: '\u2660', clubs: '\u2663', diams: '\u2666', larr: '\u2190', rarr: '\u2192', uarr: '\u2191', darr: '\u2193',
  alpha: '\u03b1', beta: '\u03b2', gamma: '\u03b3', delta: '\u03b4', pi: '\u03c0', mu: '\u03bc', omega: '\u03c9', Omega: '\u03a9',
};
LATIN1.forEach((name, i) => (NAMED[name] = String.fromCodePoint(160 + i)));

/** Decodes named and numeric character references; unknown names stay as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});/g, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return NAMED[body] ?? whole;
  });
}

export function cleanTitle(raw: string): string {
  // Tags first (an encoded "&lt;b&gt;" is text, not a tag), then entities, then whitespace.
  const withoutTags = raw.replace(/<\/?[a-zA-Z][^<>]*>/g, ' ');
  return decodeEntities(withoutTags).replace(/[\s\u00a0]+/g, ' ').trim();
}

// Draws the package state badges (spec 08 §5.18) into static/images/badges/: <state>.svg and
// <state>.png, a grey "koschei" half and a coloured half with the state, 20 px high. The PNGs
// are drawn pixel by pixel with a small built-in bitmap font and encoded with node:zlib, so
// nothing but Node is needed. Run once after changing a badge: node scripts/make-badges.mjs
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { deflateSync } from "node:zlib";

const OUT = join(import.meta.dirname, "..", "static", "images", "badges");
const LEFT_TEXT = "koschei";
const LEFT_WIDTH = 53;
const LEFT_COLOR = "#555";
const HEIGHT = 20;

/** State, colour and total width in pixels, as the spec lists them. */
const BADGES = [
  ["ok", "#4c1", 74],
  ["failing", "#e05d44", 94],
  ["unresolved", "#e05d44", 122],
  ["untracked", "#dfb317", 116],
  ["blocked", "#fe7d37", 104],
  ["unknown", "#9f9f9f", 112],
];

function svgBadge(state, color, width) {
  const right = width - LEFT_WIDTH;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" role="img" aria-label="${LEFT_TEXT}: ${state}">
  <title>${LEFT_TEXT}: ${state}</title>
  <linearGradient id="shine" x2="0" y2="100%">
    <stop offset="0" stop-color="#bbb" stop-opacity=".1"/>
    <stop offset="1" stop-opacity=".1"/>
  </linearGradient>
  <clipPath id="round"><rect width="${width}" height="${HEIGHT}" rx="3" fill="#fff"/></clipPath>
  <g clip-path="url(#round)">
    <rect width="${LEFT_WIDTH}" height="${HEIGHT}" fill="${LEFT_COLOR}"/>
    <rect x="${LEFT_WIDTH}" width="${right}" height="${HEIGHT}" fill="${color}"/>
    <rect width="${width}" height="${HEIGHT}" fill="url(#shine)"/>
  </g>
  <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
    <text x="${LEFT_WIDTH / 2}" y="15" fill="#010101" fill-opacity=".3">${LEFT_TEXT}</text>
    <text x="${LEFT_WIDTH / 2}" y="14">${LEFT_TEXT}</text>
    <text x="${LEFT_WIDTH + right / 2}" y="15" fill="#010101" fill-opacity=".3">${state}</text>
    <text x="${LEFT_WIDTH + right / 2}" y="14">${state}</text>
  </g>
</svg>
`;
}

// A 5×9 bitmap font of the lowercase letters the badges use; row 6 is the baseline, rows 7–8
// hold descenders. Empty columns are trimmed, so the font is proportional.
const GLYPHS = {
  a: [".....", ".....", ".###.", "....#", ".####", "#...#", ".####"],
  b: ["#....", "#....", "####.", "#...#", "#...#", "#...#", "####."],
  c: [".....", ".....", ".####", "#....", "#....", "#....", ".####"],
  d: ["....#", "....#", ".####", "#...#", "#...#", "#...#", ".####"],
  e: [".....", ".....", ".###.", "#...#", "#####", "#....", ".####"],
  f: ["..##.", ".#...", "####.", ".#...", ".#...", ".#...", ".#..."],
  g: [".....", ".....", ".####", "#...#", "#...#", "#...#", ".####", "....#", ".###."],
  h: ["#....", "#....", "####.", "#...#", "#...#", "#...#", "#...#"],
  i: ["..#..", ".....", ".##..", "..#..", "..#..", "..#..", ".###."],
  k: ["#....", "#....", "#..#.", "#.#..", "##...", "#.#..", "#..#."],
  l: [".##..", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."],
  n: [".....", ".....", "####.", "#...#", "#...#", "#...#", "#...#"],
  o: [".....", ".....", ".###.", "#...#", "#...#", "#...#", ".###."],
  r: [".....", ".....", "#.##.", "##...", "#....", "#....", "#...."],
  s: [".....", ".....", ".####", "#....", ".###.", "....#", "####."],
  t: [".#...", ".#...", "####.", ".#...", ".#...", ".#...", "..##."],
  u: [".....", ".....", "#...#", "#...#", "#...#", "#...#", ".####"],
  v: [".....", ".....", "#...#", "#...#", "#...#", ".#.#.", "..#.."],
  w: [".....", ".....", "#...#", "#...#", "#.#.#", "#.#.#", ".#.#."],
};

/** The glyph's rows with empty columns on both sides removed. */
function trimmedGlyph(letter) {
  const rows = GLYPHS[letter];
  if (rows === undefined) throw new Error(`no glyph for ${letter}`);
  const used = [0, 1, 2, 3, 4].filter((x) => rows.some((row) => row[x] === "#"));
  const from = Math.min(...used);
  const to = Math.max(...used);
  return rows.map((row) => row.slice(from, to + 1));
}

function textWidth(text) {
  return (
    [...text].reduce((sum, letter) => sum + trimmedGlyph(letter)[0].length, 0) + text.length - 1
  );
}

function hexColor(hex) {
  const full = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, (d) => d + d) : hex;
  return [1, 3, 5].map((i) => parseInt(full.slice(i, i + 2), 16));
}

function pngBadge(state, color, width) {
  const pixels = new Uint8Array(width * HEIGHT * 4);
  const set = (x, y, [r, g, b], alpha = 255) => {
    const i = (y * width + x) * 4;
    pixels.set([r, g, b, alpha], i);
  };
  const left = hexColor(LEFT_COLOR);
  const right = hexColor(color);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < width; x++) {
      // A slight vertical shine, as the SVG's gradient.
      const shade = 1 - (0.1 * y) / HEIGHT;
      const base = x < LEFT_WIDTH ? left : right;
      set(
        x,
        y,
        base.map((c) => Math.round(c * shade)),
      );
    }
  }
  // Rounded corners (radius 3): the outermost pixels transparent, the next ones half.
  for (const [cx, cy] of [
    [0, 0],
    [width - 1, 0],
    [0, HEIGHT - 1],
    [width - 1, HEIGHT - 1],
  ]) {
    const dx = cx === 0 ? 1 : -1;
    const dy = cy === 0 ? 1 : -1;
    for (const [ox, oy, alpha] of [
      [0, 0, 0],
      [1, 0, 128],
      [0, 1, 128],
      [2, 0, 220],
      [0, 2, 220],
    ]) {
      const i = ((cy + oy * dy) * width + (cx + ox * dx)) * 4 + 3;
      pixels[i] = alpha;
    }
  }
  const drawText = (text, centre) => {
    let x = Math.round(centre - textWidth(text) / 2);
    const top = 7;
    for (const letter of text) {
      const glyph = trimmedGlyph(letter);
      glyph.forEach((row, gy) => {
        [...row].forEach((cell, gx) => {
          if (cell !== "#") return;
          set(x + gx, top + gy + 1, [1, 1, 1], 255); // shadow
        });
      });
      glyph.forEach((row, gy) => {
        [...row].forEach((cell, gx) => {
          if (cell === "#") set(x + gx, top + gy, [255, 255, 255]);
        });
      });
      x += glyph[0].length + 1;
    }
  };
  drawText(LEFT_TEXT, LEFT_WIDTH / 2);
  drawText(state, LEFT_WIDTH + (width - LEFT_WIDTH) / 2);
  return encodePng(width, HEIGHT, pixels);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function encodePng(width, height, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const raw = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

mkdirSync(OUT, { recursive: true });
for (const [state, color, width] of BADGES) {
  writeFileSync(join(OUT, `${state}.svg`), svgBadge(state, color, width));
  writeFileSync(join(OUT, `${state}.png`), pngBadge(state, color, width));
}
console.log(`wrote ${BADGES.length * 2} badges to ${OUT}`);

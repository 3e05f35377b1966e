"""Render a `tmux capture-pane -e -p` dump (text with SGR escapes) as SVG.

Usage: python3 scripts/ansi2svg.py IN.ansi OUT.svg [COLS ROWS]

Handles the SGR codes ratatui/crossterm emit: reset, bold, dim, italic,
underline, reverse, 30-37/90-97/40-47/100-107, 38;5;n / 48;5;n and
38;2;r;g;b / 48;2;r;g;b. One monospace cell is 9.6 x 19 px.
"""

import html
import re
import sys

BASE16 = [
    "#1e1e2e", "#f38ba8", "#a6e3a1", "#f9e2af", "#89b4fa", "#cba6f7", "#94e2d5", "#bac2de",
    "#585b70", "#f38ba8", "#a6e3a1", "#f9e2af", "#89b4fa", "#cba6f7", "#94e2d5", "#a6adc8",
]
FG, BG = "#cdd6f4", "#11111b"
CW, CH = 9.6, 19


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


def parse(line):
    """Yields (char, fg, bg, bold, underline) per cell."""
    fg, bg, bold, under, rev = None, None, False, False, False
    i = 0
    for m in re.finditer(r"\x1b\[([0-9;]*)m|([^\x1b])", line):
        if m.group(2) is not None:
            f, b = (bg or BG, fg or FG) if rev else (fg, bg)
            yield m.group(2), f, b, bold, under
            continue
        codes = [int(c) if c else 0 for c in m.group(1).split(";")]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                fg, bg, bold, under, rev = None, None, False, False, False
            elif c == 1:
                bold = True
            elif c == 4:
                under = True
            elif c == 7:
                rev = True
            elif c in (22,):
                bold = False
            elif c == 24:
                under = False
            elif c == 27:
                rev = False
            elif 30 <= c <= 37:
                fg = BASE16[c - 30]
            elif 90 <= c <= 97:
                fg = BASE16[c - 90 + 8]
            elif 40 <= c <= 47:
                bg = BASE16[c - 40]
            elif 100 <= c <= 107:
                bg = BASE16[c - 100 + 8]
            elif c == 39:
                fg = None
            elif c == 49:
                bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    col = xterm256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    col = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
                    i += 4
                else:
                    col = None
                if c == 38:
                    fg = col
                else:
                    bg = col
            i += 1


def main():
    src, dst = sys.argv[1], sys.argv[2]
    lines = open(src, encoding="utf-8").read().rstrip("\n").split("\n")
    cols = int(sys.argv[3]) if len(sys.argv) > 3 else 140
    rows = int(sys.argv[4]) if len(sys.argv) > 4 else len(lines)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{cols * CW:.0f}" height="{rows * CH:.0f}" '
        f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="15">',
        f'<rect width="100%" height="100%" fill="{BG}"/>',
    ]
    for y, line in enumerate(lines[:rows]):
        for x, (ch, fg, bg, bold, under) in enumerate(parse(line)):
            if x >= cols:
                break
            if bg:
                out.append(f'<rect x="{x * CW:.1f}" y="{y * CH}" width="{CW + 0.2:.1f}" height="{CH}" fill="{bg}"/>')
            if ch != " ":
                attrs = f'fill="{fg or FG}"'
                if bold:
                    attrs += ' font-weight="bold"'
                if under:
                    attrs += ' text-decoration="underline"'
                out.append(
                    f'<text x="{x * CW:.1f}" y="{y * CH + 14}" {attrs}>{html.escape(ch)}</text>'
                )
    out.append("</svg>")
    open(dst, "w", encoding="utf-8").write("\n".join(out))


if __name__ == "__main__":
    main()

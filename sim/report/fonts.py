"""Fonts for Chinese figure labels: find an installed CJK font, or say what to install.

Matplotlib's own fonts (DejaVu) have no Chinese characters. A CJK font is looked
up among the fonts matplotlib knows, then among the system's font files (a font
installed after matplotlib built its font cache is not in that cache yet), in the
order of :data:`CJK_FONTS`.
"""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from collections.abc import Iterator

from matplotlib import font_manager

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Sarasa Gothic SC",
    "AR PL UMing CN",
)
"""Font families that can draw Chinese, best first."""

_FILE_HINTS = re.compile(
    r"(notosanscjk|notosanssc|sourcehansans|wqy|wenquanyi|simhei|msyh|pingfang|"
    r"sarasa|uming|ukai)",
    re.IGNORECASE,
)

INSTALL_HINT = (
    "on Debian/Ubuntu: apt-get install fonts-noto-cjk; elsewhere install Noto Sans CJK SC, "
    "Source Han Sans SC or WenQuanYi Zen Hei"
)
"""What to install when no CJK font is found."""

BASE_FONT = "DejaVu Sans"
"""Matplotlib's bundled font, used for Latin text in both languages."""


def _known_families() -> set[str]:
    return {entry.name for entry in font_manager.fontManager.ttflist}


def _first_known() -> str | None:
    known = _known_families()
    return next((name for name in CJK_FONTS if name in known), None)


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """The family name of an installed font that draws Chinese, or None.

    Returns
    -------
    str or None
        The best of :data:`CJK_FONTS` that is installed. System font files that
        matplotlib's cache does not list yet are added to it first.
    """
    found = _first_known()
    if found is not None:
        return found
    cached = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in cached and _FILE_HINTS.search(path):
            with contextlib.suppress(Exception):  # an unreadable font file: skip it
                font_manager.fontManager.addfont(path)
    return _first_known()


def font_rc(lang: str) -> dict:
    """Matplotlib settings for figures in ``lang``: Latin in DejaVu, Chinese in a CJK font.

    The families are named one by one (not through ``sans-serif``), so matplotlib
    falls back to the CJK font glyph by glyph.
    """
    families = [BASE_FONT]
    if lang == "zh":
        cjk = find_cjk_font()
        if cjk is not None:
            families.append(cjk)
    return {"font.family": families}


@contextlib.contextmanager
def quiet_missing_glyphs() -> Iterator[None]:
    """Silence matplotlib's per-character warnings; the report warns once instead."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        warnings.filterwarnings("ignore", message=r"findfont: Font family", category=UserWarning)
        yield

#!/usr/bin/env bash
# Install, from Debian packages, what `make pdf` needs: XeLaTeX with the LaTeX packages
# Sphinx's LaTeX writer uses, xeCJK and a CJK font (the glossary's Chinese terms), GNU
# FreeFont (Sphinx's default fonts under XeLaTeX), xindy (Sphinx's index under XeLaTeX),
# rsvg-convert (SVG figures to PDF) and pdftoppm (to look at pages). Does nothing when
# every tool is already there. Needs root (or sudo) and apt-get.
set -euo pipefail

PACKAGES=(
  texlive-xetex             # xelatex, fontspec; pulls texlive-latex-extra (fncychap, ...)
  texlive-latex-recommended
  texlive-fonts-recommended
  tex-gyre
  texlive-lang-cjk          # xeCJK
  texlive-lang-chinese      # ctexhook.sty, which xeCJK loads
  fonts-noto-cjk            # Noto Serif/Sans CJK SC
  fonts-freefont-otf        # FreeSerif, FreeSans, FreeMono
  latexmk
  xindy
  librsvg2-bin              # rsvg-convert
  poppler-utils             # pdftoppm, pdfinfo
)

missing=0
for tool in xelatex latexmk xindy rsvg-convert pdftoppm pdfinfo; do
  command -v "$tool" >/dev/null 2>&1 || missing=1
done
[ "$(kpsewhich xeCJK.sty ctexhook.sty 2>/dev/null | wc -l)" = 2 ] || missing=1
[ -n "$(fc-list "Noto Serif CJK SC" 2>/dev/null)" ] || missing=1
[ -n "$(fc-list FreeSerif 2>/dev/null)" ] || missing=1
if [ "$missing" = 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  SUDO="sudo"
fi
echo "install_latex.sh: installing ${PACKAGES[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"

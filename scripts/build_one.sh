#!/usr/bin/env bash
# Build one page (a notebook or a book/*.md page) as a tiny book with the book's own
# config, warnings as errors and nitpicky references, without executing notebooks.
# Used while writing a chapter; the full build is `make book`.
#   scripts/build_one.sh notebooks/02_attention.ipynb [--execute]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
page=${1:?usage: build_one.sh PAGE [--execute]}
mode=off; [ "${2:-}" = "--execute" ] && mode=force
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for item in book notebooks _vendor seqattn_lib; do ln -s "$root/$item" "$work/$item"; done
sed "s/execute_notebooks: cache/execute_notebooks: $mode/" "$root/_config.yml" > "$work/_config.yml"
cat > "$work/_toc.yml" <<TOC
format: jb-book
root: book/notation
chapters:
  - file: ${page%.*}
  - file: book/glossary
  - file: book/references
TOC
"$root/.venv/bin/jupyter-book" build "$work" -W -n --keep-going --path-output "$work/out" 2>&1 | tail -n 40
echo "HTML (temporary) was in $work/out/_build/html"

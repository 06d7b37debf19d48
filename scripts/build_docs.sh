#!/usr/bin/env bash
# `make docs`: the collection's docsite in .build/docs/html (override with DOCS_BUILD_DIR).
#   1. antsibull-docs lint-collection-docs: every module, filter and role documentation and the guides in docs/docsite/
#      (extra-docs.yml, links.yml, rst/) are valid, and every reference to hyperv.mobility content resolves;
#   2. antsibull-docs sphinx-init + collection: RST for every plugin and role from their own documentation, plus the guides;
#   3. sphinx-build -W --keep-going: HTML; any warning fails the build.
# Offline on purpose: no intersphinx inventories are downloaded (CI has no internet), so links to docs.ansible.com are plain links.
set -euo pipefail

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DOCS_BUILD_DIR:-$repo/.build/docs}"
# The tools come from the same virtualenv as the python running make (BIN), or from PATH.
if [ -n "${BIN:-}" ]; then export PATH="$BIN:$PATH"; fi

# antsibull-docs finds the collection through ANSIBLE_COLLECTIONS_PATH: a private tree that links this repository.
collections="$build/collections"
mkdir -p "$collections/ansible_collections/hyperv"
ln -sfn "$repo" "$collections/ansible_collections/hyperv/mobility"
export ANSIBLE_COLLECTIONS_PATH="$collections" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
# antsibull's default log file is ~/antsibull.log: this configuration logs problems to stderr only.
logging_cfg="$repo/docs/sphinx/antsibull-logging.cfg"

echo "==> antsibull-docs lint-collection-docs"
antsibull-docs --config-file "$logging_cfg" lint-collection-docs --plugin-docs --skip-rstcheck --validate-collection-refs self \
    "$collections/ansible_collections/hyperv/mobility"

echo "==> antsibull-docs sphinx-init + collection"
site="$build/site"
rm -rf "$site"
mkdir -p "$site"
chmod og-w "$site"
antsibull-docs --config-file "$logging_cfg" sphinx-init --use-current --dest-dir "$site" --fail-on-error hyperv.mobility >/dev/null
cat >>"$site/conf.py" <<'CONF'

# hyperv.mobility: build offline (no intersphinx inventory downloads); references stay plain links.
intersphinx_mapping = {}
project = 'hyperv.mobility'
title = html_short_title = 'hyperv.mobility collection documentation'
CONF
mkdir -p "$site/rst"
chmod og-w "$site/rst"   # antsibull-docs wants the directory writable only by itself
antsibull-docs --config-file "$site/antsibull-docs.cfg" --config-file "$logging_cfg" collection --cleanup everything --fail-on-error --use-current \
    --dest-dir "$site/rst" hyperv.mobility

# Offline: the labels of Ansible's own documentation that generated pages refer to (see the page itself).
cp "$repo/docs/sphinx/ansible_labels.rst" "$site/rst/ansible_labels.rst"

echo "==> sphinx-build -W"
rm -rf "$build/html"
sphinx-build -W --keep-going -q -b html -c "$site" "$site/rst" "$build/html"
echo "docsite: $build/html/index.html"

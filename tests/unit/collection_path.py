# -*- coding: utf-8 -*-
"""Make the repository importable as ansible_collections.hyperv.mobility (imported by conftest.py and the tests).

The repository root is the collection root, so a temporary tree <tmp>/ansible_collections/hyperv/mobility -> repo
is put on sys.path (and registered with ansible's collection loader, so ansible's own plugin loading finds it too).
"""


import os
import sys
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _collections_root():
    # Already inside an ansible_collections tree (ansible-test, or the Makefile's sanity layout)?
    parts = REPO_ROOT.split(os.sep)
    if len(parts) >= 4 and parts[-3] == 'ansible_collections':
        return os.sep.join(parts[:-3])
    root = tempfile.mkdtemp(prefix='hyperv-mobility-unit-')
    namespace = os.path.join(root, 'ansible_collections', 'hyperv')
    os.makedirs(namespace)
    os.symlink(REPO_ROOT, os.path.join(namespace, 'mobility'))
    return root


COLLECTIONS_ROOT = _collections_root()
if COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, COLLECTIONS_ROOT)
os.environ['ANSIBLE_COLLECTIONS_PATH'] = COLLECTIONS_ROOT

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder  # noqa: E402  pylint: disable=wrong-import-position

_AnsibleCollectionFinder(paths=[COLLECTIONS_ROOT])._install()  # pylint: disable=protected-access

# -*- coding: utf-8 -*-
"""Unit tests import the collection as ansible_collections.hyperv.mobility: see collection_path.py."""

import collection_path  # noqa: F401  pylint: disable=unused-import  # imported for its effect on sys.path

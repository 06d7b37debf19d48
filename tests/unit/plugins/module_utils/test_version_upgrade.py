# -*- coding: utf-8 -*-
"""vm_migrate upgrade_version: a host's supported versions and default, and when an upgrade on the source makes a VM movable."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import PSObjectData
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.hyperv import HostVersions
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.version_upgrade import upgrade_refusal

HV = 'Microsoft.HyperV.PowerShell.'


class Result:
    def __init__(self, objects):
        self.objects = objects

    def of_type(self, name):
        return [item for item in self.objects if item.type_names[0] == name]


def host(*versions, default=None):
    return HostVersions(Result([PSObjectData([HV + 'VMHostSupportedVersion'], {'Version': version, 'IsDefault': version == default})
                                for version in versions]))


def test_versions_sort_as_versions_and_the_default_is_the_one_marked():
    versions = host('10.0', '9.0', '5.0', default='9.0')
    assert versions.supported == ['5.0', '9.0', '10.0'] and versions.default == '9.0'
    assert versions.upgrade_results == ['9.0', '10.0']
    assert versions.supports('9.0') and not versions.supports('8.0')


@pytest.mark.parametrize('vm, source, destination, words', [
    ('8.0', host('8.0', '10.0', default='10.0'), host('9.0', '10.0', default='10.0'), None),
    ('8.0', host('8.0', '10.0', default='10.0'), host('9.0', default='9.0'), 'would make it version 10.0'),
    ('8.0', host('8.0', '9.0', '10.0', default='9.0'), host('9.0', default='9.0'), 'would make it version 10.0'),  # highest above default
    ('10.0', host('9.0', '10.0', default='10.0'), host('8.0', '9.0', default='9.0'), 'already the newest the source supports'),
])
def test_an_upgrade_helps_only_when_the_destination_runs_what_it_produces(vm, source, destination, words):
    refusal = upgrade_refusal(vm, source, destination)
    assert refusal is None if words is None else words in refusal

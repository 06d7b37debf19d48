# -*- coding: utf-8 -*-
"""live_migration with mesh_facts: one read gives the settings and the host's mesh facts (the facts as the task leaves the host);
the preflight's extra reads' error records go into the facts, this module's own still fail the task."""

import pytest

from clixml import Enum, Obj, pypsrp_object
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import HostCommandError, Journal
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import ErrorRecordData, psrp_output
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.preflight import MESH_FACTS_KEY, HostFacts
from ansible_collections.hyperv.mobility.plugins.modules.live_migration import LiveMigrationSettings
from test_host_info import computer_system

HV = 'Microsoft.HyperV.PowerShell.'


def installed_host():
    """A host as Hyper-V installs it: migration off, CredSSP, no networks; one VM."""
    vmhost = Obj([HV + 'VMHost', HV + 'VirtualizationObject', 'System.Object'], {
        'ComputerName': 'HV01', 'VirtualMachineMigrationEnabled': False,
        'VirtualMachineMigrationAuthenticationType': Enum(HV + 'MigrationAuthenticationType', 'CredSSP', 0),
        'VirtualMachineMigrationPerformanceOption': Enum(HV + 'VMMigrationPerformance', 'Compression', 1),
        'UseAnyNetworkForMigration': False, 'MaximumVirtualMachineMigrations': 2, 'MaximumStorageMigrations': 2})
    vm = Obj([HV + 'VirtualMachine', 'System.Object'], {'Name': 'web01', 'Id': '0f8fad5b-d9cb-469f-a165-70867728950e', 'Version': '10.0'})
    return [computer_system('hv01', 'hvlab.test'), vmhost, vm]


class FakeSession:
    def __init__(self, objects, errors=()):
        self.objects, self.errors = objects, list(errors)
        self.options = type('Options', (), {'host': 'hv01'})()
        self.pipelines = []

    def run(self, commands, check=True):
        self.pipelines.append([command.name for command in commands])
        if len(self.pipelines) > 1:              # the write
            return PipelineResult()
        result = PipelineResult([psrp_output(pypsrp_object(item)) for item in self.objects], errors=self.errors)
        if check and result.errors:
            raise HostCommandError('hv01', result.errors)
        return result


class FakeModule:
    diff_mode = False
    host = 'hv01'

    def __init__(self, session, check_mode=False):
        self.session, self.check_mode, self.journal, self.warnings = session, check_mode, Journal(), []

    def warn(self, message):
        self.warnings.append(message)


def settings(mesh_facts=True):
    return LiveMigrationSettings(dict(
        state='enabled', authentication='kerberos', performance=None, max_migrations=None, max_storage_migrations=None,
        networks=[{'subnet': '192.168.10.0/24', 'priority': 1}], networks_mode='exclusive', use_any_network=False,
        mesh_facts=mesh_facts, hyperv_host='hv01', hyperv_auth='kerberos'))


def test_without_mesh_facts_the_read_is_the_settings_alone_and_no_facts_are_returned():
    session = FakeSession(installed_host())
    result = settings(mesh_facts=False).run(FakeModule(session))
    assert session.pipelines[0] == [command.name for command in reads.LIVE_MIGRATION]
    assert 'ansible_facts' not in result


def test_the_facts_come_from_the_settings_read_and_show_the_host_as_the_task_left_it():
    session = FakeSession(installed_host())
    result = settings().run(FakeModule(session))
    assert session.pipelines[0] == [command.name for command in reads.PREFLIGHT] and len(session.pipelines) == 2   # read, write
    facts = result['ansible_facts'][MESH_FACTS_KEY]
    assert facts['live_migration'] == {'enabled': True, 'authentication_type': 'Kerberos', 'performance_option': 'Compression',
                                       'use_any_network': False, 'maximum_vm_migrations': 2, 'maximum_storage_migrations': 2}
    assert facts['migration_networks'] == [{'subnet': '192.168.10.0/24', 'priority': 1}]
    assert facts['fqdn'] == 'hv01.hvlab.test' and facts['connection_auth'] == 'kerberos'
    assert facts['vms'] == [{'name': 'web01', 'version': '10.0', 'id': '0f8fad5b-d9cb-469f-a165-70867728950e'}]
    assert HostFacts.from_facts('source', 'hv01', facts).answered


def test_in_check_mode_the_facts_are_the_host_as_it_is():
    session = FakeSession(installed_host())
    result = settings().run(FakeModule(session, check_mode=True))
    assert result['changed'] and len(session.pipelines) == 1
    facts = result['ansible_facts'][MESH_FACTS_KEY]
    assert facts['live_migration']['enabled'] is False and facts['live_migration']['authentication_type'] == 'CredSSP'
    assert facts['migration_networks'] == []


def test_an_error_of_a_preflight_read_goes_into_the_facts_and_one_of_its_own_reads_fails_the_task():
    feature_error = ErrorRecordData('Get-WindowsFeature', "The term 'Get-WindowsFeature' is not recognized",
                                    'CommandNotFoundException', 'ObjectNotFound')
    result = settings().run(FakeModule(FakeSession(installed_host(), errors=[feature_error])))
    assert result['ansible_facts'][MESH_FACTS_KEY]['live_migration']['enabled'] is True
    vmhost_error = ErrorRecordData('Get-VMHost', 'You do not have the required permission to complete this task.',
                                   'Microsoft.HyperV.PowerShell.Commands.GetVMHost', 'PermissionDenied')
    with pytest.raises(HostCommandError):
        settings().run(FakeModule(FakeSession(installed_host(), errors=[vmhost_error])))

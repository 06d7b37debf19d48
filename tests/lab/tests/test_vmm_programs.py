"""A lab machine as a VMM server (hvlab.model.vmm): the VMM flavour of the Site Recovery provider, a highly available VMM's nodes,
the Recovery Services agent on Hyper-V hosts, Get-Service / Stop-Service, and Start-VM with the VM's heartbeat."""
# pylint: disable=redefined-outer-name  # pytest fixtures

import pytest

from hvlab.azure import start_fake_azure
from hvlab.azure.bootstrap import ServicePrincipalSession, create_site
from hvlab.engine import Command, Identity, LabEnum
from hvlab.model import programs
from hvlab.model.world import World

IDENTITY = Identity('labadmin', 'basic', 'winrm')
RG, VAULT = 'rg-dr', 'vault-dr'
KEY = 'C:\\ASR\\vmm.VaultCredentials'
INSTALLER = 'C:\\ASR\\AzureSiteRecoveryProvider.exe'
VMM_BIN = 'C:\\Program Files\\Microsoft System Center 2012 R2\\Virtual Machine Manager\\bin'
CLOUDS = [{'name': 'Primary', 'hosts': ['hv01'], 'vms': ['hv01-web', 'hv01-db']}, {'name': 'Secondary', 'hosts': ['hv02'], 'vms': []}]


@pytest.fixture(scope='module')
def azure(tmp_path_factory):
    handle = start_fake_azure(str(tmp_path_factory.mktemp('azure')), address='127.0.0.1', port=0)
    yield handle
    handle.stop()


@pytest.fixture
def world(azure):
    azure.control.reset()
    azure.control.settings(job_seconds=0)
    azure.control.create_vault(RG, VAULT)
    world = World.create(5)
    world.configure_site_recovery(azure.base_url, azure.ca_path)
    key = azure.control.vault_credentials(RG, VAULT)  # the vault's key for VMM servers
    for host in world.hosts:
        host.patch({'files': {INSTALLER: programs.INSTALLER_CONTENT, KEY: key}})
    return world


def run(host, name, *parameters):
    return host.execute([[Command(name, list(parameters))]], IDENTITY)


def program(host, line):
    return host.run_program(line, skip_cmd_shell=True)


def make_vmm(world, machine='hv03', **fields):
    host = world.get_host_by_name(machine)
    host.patch({'vmm': dict({'name': host.fqdn, 'clouds': CLOUDS, 'networks': [{'name': 'Corp'}, {'name': 'Corp-DR'}]}, **fields)})
    return host


def install(host):
    """Microsoft's command line on a VMM server: stop the VMM service, extract, install."""
    assert run(host, 'Stop-Service', ('Name', 'SCVMMService')).errors == []
    assert program(host, '"%s" /x:C:\\ASR /q' % INSTALLER).exit_code == 0
    return program(host, 'C:\\ASR\\setupdr.exe /i')


def register(host, friendly_name, *extra):
    return program(host, '"%s\\DRConfigurator.exe" /r /Friendlyname %s /Credentials "%s" %s' % (VMM_BIN, friendly_name, KEY, ' '.join(extra)))


def vmm_providers(azure, friendly_name):
    vault = azure.control.state()['%s/%s' % (RG, VAULT)]
    fabric = next(f for f in vault['fabrics'] if f['properties']['friendlyName'] == friendly_name)
    return fabric, vault


# ---- Get-Service / Stop-Service ------------------------------------------------------------------------------------------
def test_services_come_with_what_is_installed(world):
    host = world.hosts[0]
    missing = run(host, 'Get-Service', ('Name', 'SCVMMService'))
    assert missing.output == [] and missing.errors[0].fully_qualified_error_id == \
        'NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.GetServiceCommand'
    assert missing.errors[0].category == 'ObjectNotFound'
    assert run(host, 'Get-Service', ('Name', 'SCVMM*')).errors == []  # a pattern matching nothing is no error
    vmm = make_vmm(world)
    (service,) = run(vmm, 'Get-Service', ('Name', 'SCVMMService')).output
    assert service.type_names[0] == 'System.ServiceProcess.ServiceController'
    assert service['Status'] == LabEnum('System.ServiceProcess.ServiceControllerStatus', 'Running', 4) and service['CanStop'] is True
    assert run(vmm, 'Stop-Service', ('Name', 'SCVMMService')).output == []
    assert run(vmm, 'Stop-Service', ('Name', 'SCVMMService')).errors == []  # not running: not an error
    assert vmm.to_state()['services']['SCVMMService']['status'] == 'Stopped'
    # -Confirm over the winrm runner (powershell.exe -NonInteractive): the prompt fails, the service is left as it is.
    (refused,) = run(vmm, 'Stop-Service', ('Name', 'SCVMMService'), ('Confirm', None)).errors
    assert refused.fully_qualified_error_id == 'InvalidOperation,Microsoft.PowerShell.Commands.StopServiceCommand'
    assert refused.target == 'System Center Virtual Machine Manager (SCVMMService)'


# ---- the provider on a VMM server -----------------------------------------------------------------------------------------
def test_standalone_vmm_server_installs_with_the_service_stopped_and_registers_its_clouds(world, azure):
    vmm = make_vmm(world)
    assert program(vmm, '"%s" /x:C:\\ASR /q' % INSTALLER).exit_code == 0
    running = program(vmm, 'C:\\ASR\\setupdr.exe /i')
    assert running.exit_code == 1 and 'SCVMMService' in running.stderr
    assert install(vmm).exit_code == 0
    state = vmm.to_state()
    assert state['site_recovery']['products'] == {programs.PROVIDER_PRODUCT: programs.PROVIDER_VERSION}  # no agent on a VMM server
    assert vmm.has_file(VMM_BIN + '\\DRConfigurator.exe') and not vmm.has_file(programs.DRCONFIGURATOR)
    assert register(vmm, vmm.fqdn, '/EncryptionEnabled C:\\ASR\\cert.txt').exit_code == 1  # the certificate file is a .pfx
    done = register(vmm, vmm.fqdn, '/startvmmservice')
    assert done.exit_code == 0, done.stderr
    assert vmm.to_state()['services']['SCVMMService']['status'] == 'Running'
    fabric, vault = vmm_providers(azure, vmm.fqdn)
    assert fabric['properties']['customDetails']['instanceType'] == 'VMM'
    clouds = {c['properties']['friendlyName']: c for c in vault['containers']}
    assert set(clouds) == {'Primary', 'Secondary'}
    protectable = sorted(i['properties']['friendlyName'] for i in vault['protectable_items'] if i['id'].startswith(clouds['Primary']['id']))
    assert protectable == ['hv01-db', 'hv01-web']
    assert sorted(n['properties']['friendlyName'] for n in vault['networks']) == ['Corp', 'Corp-DR']
    history = [(entry['program'], entry['exit_code']) for entry in vmm.to_state()['site_recovery']['history']]
    assert history == [('AzureSiteRecoveryProvider.exe', 0), ('setupdr.exe', 1), ('AzureSiteRecoveryProvider.exe', 0), ('setupdr.exe', 0),
                       ('DRConfigurator.exe', 1), ('DRConfigurator.exe', 0)]


def test_a_hyperv_site_key_is_refused_on_a_vmm_server(world, azure):
    vmm = make_vmm(world)
    create_site(service_principal(azure), RG, VAULT, 'site-hq')
    vmm.patch({'files': {KEY: azure.control.vault_credentials(RG, VAULT, 'site-hq')}})
    assert install(vmm).exit_code == 0
    refused = register(vmm, vmm.fqdn)
    assert refused.exit_code == 1 and "Hyper-V site 'site-hq'" in refused.stderr


def test_stretched_vmm_registers_from_the_active_node_then_the_others_join(world, azure):
    nodes = ['hv03', 'hv04', 'hv05']
    active = make_vmm(world, 'hv03', name='vmm-role', nodes=nodes, role_owner=True)
    others = [make_vmm(world, name, name='vmm-role', nodes=nodes, role_owner=False, service_status='Stopped') for name in nodes[1:]]
    early = install(others[0])  # before the active node registered: installed, nothing to join
    assert early.exit_code == 0 and 'joined' not in early.stdout
    refused = register(others[0], 'vmm-role')
    assert refused.exit_code == 1 and 'node that owns the VMM cluster role vmm-role' in refused.stderr
    assert install(active).exit_code == 0 and register(active, 'vmm-role', '/startvmmservice').exit_code == 0
    joined = install(others[1])
    assert joined.exit_code == 0 and 'joined the registration of VMM server vmm-role' in joined.stdout
    fabric, vault = vmm_providers(azure, 'vmm-role')
    machines = sorted(p['properties']['machineName'] for p in azure_providers(azure, fabric))
    assert machines == ['hv03.hvlab.test', 'hv05.hvlab.test']  # hv04 installed before the registration and did not join
    assert len([f for f in vault['fabrics'] if f['properties']['friendlyName'] == 'vmm-role']) == 1


def service_principal(azure):
    return ServicePrincipalSession({'base_url': azure.base_url, 'ca_path': azure.ca_path, 'client_id': azure.client_id,
                                    'secret': azure.secret, 'tenant_id': azure.tenant_id, 'subscription_id': azure.subscription_id})


def azure_providers(azure, fabric):
    session = service_principal(azure)
    status, body = session.arm('GET', '%s/replicationFabrics/%s/replicationRecoveryServicesProviders' % (session.vault_path(RG, VAULT), fabric['name']))
    assert status == 200, body
    return body['value']


# ---- the Recovery Services agent on a Hyper-V host -------------------------------------------------------------------------
def test_agent_only_install_on_a_hyperv_host(world):
    host = world.hosts[0]
    host.patch({'files': {'C:\\ASR\\MARSAgentInstaller.exe': 'MARSAgentInstaller'}})
    interactive = program(host, 'C:\\ASR\\MARSAgentInstaller.exe /nu')
    assert interactive.exit_code == 1 and '/q is required' in interactive.stderr
    assert program(host, 'C:\\ASR\\MARSAgentInstaller.exe /q /nu /ph:proxy.corp /pu:svc /pw:secret').exit_code == 1  # no /po
    assert program(host, 'C:\\ASR\\MARSAgentInstaller.exe /q /nu').exit_code == 0
    state = host.to_state()
    assert state['site_recovery']['products'] == {programs.AGENT_PRODUCT: programs.AGENT_VERSION}
    assert state['services']['obengine']['status'] == 'Running'
    (service,) = run(host, 'Get-Service', ('Name', 'obengine')).output
    assert service['DisplayName'] == programs.AGENT_PRODUCT


# ---- Start-VM and the heartbeat --------------------------------------------------------------------------------------------
def test_start_vm_and_heartbeat(world):
    host = world.hosts[0]
    (off,) = run(host, 'Get-VM', ('Name', 'hv01-app')).output
    assert off['State'].name == 'Off' and off['Heartbeat'] is None
    assert run(host, 'Start-VM', ('Name', 'hv01-app')).output == []
    (started,) = run(host, 'Start-VM', ('Name', 'hv01-web'), ('Passthru', None)).errors  # already running
    assert started.fully_qualified_error_id == 'InvalidState,Microsoft.HyperV.PowerShell.Commands.StartVM'
    (running,) = run(host, 'Get-VM', ('Name', 'hv01-app')).output
    heartbeat = LabEnum('Microsoft.HyperV.PowerShell.VMHeartbeatStatus', 'OkApplicationsUnknown', 5)
    assert running['State'].name == 'Running' and running['Heartbeat'] == heartbeat
    host.patch({'vms': {'hv01-app': {'state': 'Off', 'boot_seconds': 3600}}})
    run(host, 'Start-VM', ('Name', 'hv01-app'))
    assert run(host, 'Get-VM', ('Name', 'hv01-app')).output[0]['Heartbeat'].name == 'NoContact'  # still booting
    host.patch({'vms': {'hv01-db': {'guest_responding': False}}})
    assert run(host, 'Get-VM', ('Name', 'hv01-db')).output[0]['Heartbeat'].name == 'NoContact'
    (missing,) = run(host, 'Start-VM', ('Name', 'ghost')).errors
    assert missing.message == 'Hyper-V was unable to find a virtual machine with name "ghost".'
    assert missing.fully_qualified_error_id == 'ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.StartVM' and missing.category == 'ObjectNotFound'
    host.patch({'vms': {'hv01-db': {'state': 'Paused'}}})
    paused = run(host, 'Start-VM', ('Name', 'hv01-db'))
    assert paused.errors == [] and 'paused' in paused.warnings[0] and host.to_state()['vms'][1]['state'] == 'Paused'

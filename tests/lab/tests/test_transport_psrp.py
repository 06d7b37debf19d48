"""pypsrp 0.9.1, unmodified, against the lab: HTTPS+Basic with the lab CA, HTTP+NTLM with message encryption."""
# pylint: disable=redefined-outer-name  # pytest fixtures

import pytest
from pypsrp.exceptions import AuthenticationError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from transport_helpers import lab, runner_path, transport_lab  # noqa: F401  pylint: disable=unused-import,wrong-import-order

ADDRESS = '127.0.11.1'


def https_basic(lab, user='labadmin', password=None):
    return WSMan(ADDRESS, port=lab.https_port, ssl=True, auth='basic', username=user, password=password or lab.password,
                 cert_validation=lab.ca_path)


def http_ntlm(lab, user='labadmin', password=None):
    return WSMan(ADDRESS, port=lab.http_port, ssl=False, auth='negotiate', username=user, password=password or lab.password)


def run(wsman, name, **parameters):
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet(name)
        for key, value in parameters.items():
            ps.add_parameter(key, value)
        output = ps.invoke()
    return ps, output


@pytest.mark.parametrize('connect', [https_basic, http_ntlm], ids=['https-basic', 'http-ntlm-encrypted'])
def test_get_vmhost_returns_hyperv_typed_object(lab, connect):
    ps, output = run(connect(lab), 'Get-VMHost')
    assert not ps.streams.error
    assert len(output) == 1
    host = output[0]
    assert host.types[0] == 'Microsoft.HyperV.PowerShell.VMHost'
    # Hyper-V's FullyQualifiedDomainName is the domain (Win32_ComputerSystem.Domain); the lab used to answer hv01.hvlab.test.
    assert host.adapted_properties['FullyQualifiedDomainName'] == 'hvlab.test'
    # Remoting serializes at depth 1: an enum property is met at depth 0 and arrives as its name, a plain string (the lab used to
    # send it as an enum object with its type name and value, which only a top-level enum keeps).
    assert host.adapted_properties['VirtualMachineMigrationAuthenticationType'] in ('CredSSP', 'Kerberos')


@pytest.mark.parametrize('user', ['labadmin', 'HVLAB\\labadmin', 'labadmin@hvlab.test'])
def test_ntlm_accepts_every_spelling_of_the_user(lab, user):
    ps, output = run(http_ntlm(lab, user=user), 'Get-VMHost')
    assert len(output) == 1 and not ps.streams.error


@pytest.mark.parametrize('connect', [https_basic, http_ntlm], ids=['https-basic', 'http-ntlm'])
def test_wrong_password_is_401(lab, connect):
    with pytest.raises(AuthenticationError):
        run(connect(lab, password='not-the-password'), 'Get-VMHost')


def test_basic_over_http_is_refused_like_allow_unencrypted_false(lab):
    wsman = WSMan(ADDRESS, port=lab.http_port, ssl=False, auth='basic', username='labadmin', password=lab.password,
                  encryption='never')
    with pytest.raises(AuthenticationError):
        run(wsman, 'Get-VMHost')


def test_https_validation_fails_without_the_lab_ca(lab):
    import requests  # pylint: disable=import-outside-toplevel
    wsman = WSMan(ADDRESS, port=lab.https_port, ssl=True, auth='basic', username='labadmin', password=lab.password,
                  cert_validation=True)
    with pytest.raises(requests.exceptions.SSLError):
        run(wsman, 'Get-VMHost')


def test_parameter_binding_error_arrives_as_error_record(lab):
    ps, output = run(http_ntlm(lab), 'Get-VMHost', NoSuchParameter='x')
    assert output == []
    assert not ps.had_errors  # non-terminating record, like PowerShell's cmdlet errors: callers read streams.error
    assert len(ps.streams.error) == 1
    record = ps.streams.error[0]
    assert record.fq_error == 'NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.GetVMHost'
    assert 'NoSuchParameter' in str(record)
    assert record.command_name == 'Get-VMHost'
    assert record.message.startswith('InvalidArgument')


def test_statements_and_counters(lab):
    with RunspacePool(https_basic(lab)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet('Get-VMHost').add_statement().add_cmdlet('Get-VMHost')
        output = ps.invoke()
    assert len(output) == 2
    counters = lab.control.counters()['hv01']
    assert counters['pipelines'] == 1
    assert counters['commands'] == {'Get-VMHost': 2}
    assert counters['shells'] == 1
    assert counters['requests'] > 3 and counters['bytes_in'] > 0 and counters['bytes_out'] > 0
    assert lab.control.counters()['hv02']['requests'] == 0


def test_an_output_larger_than_one_receive_arrives_whole(lab):
    # Each Receive carries whole PSRP fragments: pypsrp parses a stream element's fragments on their own, so a fragment cut
    # between two Receives failed with FragmentError (seen with 40 VMs and their disks).
    host = lab.world.hosts[0]
    seeded = list(host.vms)
    try:
        for number in range(60):
            host.add_vm('bulk%02d' % number, state='Running')
        ps, output = run(http_ntlm(lab), 'Get-VM')
        assert not ps.streams.error and len(output) == len(seeded) + 60
        assert sorted(item.adapted_properties['Name'] for item in output) == sorted(vm.name for vm in host.vms)
    finally:
        host.vms[:] = seeded

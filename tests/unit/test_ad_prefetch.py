# -*- coding: utf-8 -*-
"""ADClient.prefetch: many accounts in one search, then each name answered as its own search would have (no network)."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import ADClient, ADConnectionOptions, ADError

BASE = 'DC=corp,DC=test'


def entry(name, dns=None):
    dn = 'CN=%s,CN=Computers,%s' % (name.upper(), BASE)
    return {'type': 'searchResEntry', 'dn': dn, 'raw_attributes': {},
            'attributes': {'sAMAccountName': name.upper() + '$', 'dNSHostName': dns or '%s.corp.test' % name, 'userAccountControl': 4096}}


class Directory:
    """Stands in for the LDAP connection: counts searches, answers with the entries whose names the filter names."""

    def __init__(self, entries):
        self.entries = entries
        self.searches = []
        self.modified = []
        self.result = {'result': 0}
        self.response = []

    def search(self, base, search_filter, search_scope=None, attributes=None):  # pylint: disable=unused-argument
        self.searches.append(search_filter)
        lowered = search_filter.lower()
        if base != BASE:   # a base search of a DN
            self.response = [e for e in self.entries if e['dn'].lower() == base.lower()]
            return True
        self.response = [e for e in self.entries if '=%s)' % e['attributes']['sAMAccountName'].lower() in lowered
                         or '=%s)' % e['attributes']['dNSHostName'].lower() in lowered]
        return True

    def modify(self, dn, changes):  # pylint: disable=unused-argument
        self.modified.append(dn)
        return True


@pytest.fixture()
def client():
    ad = ADClient(ADConnectionOptions(server='dc01.corp.test', username='admin@CORP.TEST', password='pw'))
    ad.connection = Directory([entry('hv01'), entry('hv02'), entry('hv03'), entry('dup1', 'shared.corp.test'), entry('dup2', 'shared.corp.test')])
    ad.base_dn = BASE
    return ad


def test_prefetched_names_are_answered_without_another_search(client):
    client.prefetch(['hv01', 'hv02.corp.test', 'HV03$', 'hv09', 'shared.corp.test'])
    assert len(client.connection.searches) == 1
    assert client.find_computer('HV01').sam_account_name == 'HV01$'
    assert client.find_computer('hv02.CORP.test').sam_account_name == 'HV02$'
    assert client.find_computer('hv03$').dns_host_name == 'hv03.corp.test'
    with pytest.raises(ADError, match="'hv09' not found"):
        client.find_computer('hv09')
    with pytest.raises(ADError, match='ambiguous'):
        client.find_computer('shared.corp.test')
    assert len(client.connection.searches) == 1


def test_a_name_not_prefetched_and_an_account_by_its_dn_are_read_again(client):
    client.prefetch(['hv01', 'hv02'])
    client.find_computer('hv03')
    assert len(client.connection.searches) == 2
    account = client.find_computer('hv01')
    client.modify(account, {'userAccountControl': [('MODIFY_REPLACE', ['16781312'])]})
    client.find_computer('hv01')                    # as a peer: its names, from the prefetch
    assert len(client.connection.searches) == 2
    client.find_computer(account.dn)                # its state after the write: read again
    assert client.connection.searches[-1] == '(objectClass=computer)' and len(client.connection.searches) == 3

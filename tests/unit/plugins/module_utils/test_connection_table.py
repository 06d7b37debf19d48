# -*- coding: utf-8 -*-
"""The one table of connection options: the doc fragments (literal YAML), the argument specs and the action plugin agree with it."""

import re

import yaml

from ansible_collections.hyperv.mobility.plugins.action import controller_module
from ansible_collections.hyperv.mobility.plugins.doc_fragments.ad import ModuleDocFragment as AdFragment
from ansible_collections.hyperv.mobility.plugins.doc_fragments.connection import ModuleDocFragment as ConnectionFragment
from ansible_collections.hyperv.mobility.plugins.doc_fragments.destination import ModuleDocFragment as DestinationFragment
from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import AD_ARGUMENT_SPEC
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.peer_connection import CONNECTION_KEYS, INHERITED_KEYS
from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import (
    CONNECTION_ARGUMENT_SPEC, CONNECTION_OPTIONS, CONNECTION_SUBOPTIONS, ConnectionOptions)


def documented(fragment_text):
    return yaml.safe_load(fragment_text)['options']


def test_the_connection_fragment_documents_each_option_of_the_table_as_specified():
    options = documented(ConnectionFragment.DOCUMENTATION)
    assert list(options) == [option.name for option in CONNECTION_OPTIONS]
    for option in CONNECTION_OPTIONS:
        doc, spec = options[option.name], CONNECTION_ARGUMENT_SPEC[option.name]
        assert (doc['type'], doc.get('default'), doc.get('choices'), bool(doc.get('required'))) == \
            (spec['type'], spec.get('default'), spec.get('choices'), bool(spec.get('required'))), option.name


def test_the_fragment_names_every_inventory_variable_the_action_plugin_reads():
    options = documented(ConnectionFragment.DOCUMENTATION)
    for option in CONNECTION_OPTIONS:
        text = ' '.join(options[option.name]['description'])
        named = set(re.findall(r'C\((ansible_[a-z_]+)\)', text))
        read = set(option.psrp_vars + option.winrm_vars + option.common_vars) - {'inventory_hostname'}
        if option.key == 'transport':
            read = {'ansible_connection'}      # transport_of(ansible_connection)
        assert named == read, (option.name, named ^ read)
        assert set(re.findall(r'C\((HYPERV_[A-Z_]+)\)', text)) == set(option.env_vars), option.name
        if option.env_vars:
            assert CONNECTION_ARGUMENT_SPEC[option.name]['fallback'][1] == list(option.env_vars)
            assert 'fallback' not in CONNECTION_SUBOPTIONS[option.key]      # a peer inherits the source's value instead
    # Nothing reads ansible_psrp_password (ansible-core's psrp plugin does not either).
    assert 'ansible_psrp_password' not in ConnectionFragment.DOCUMENTATION


def test_the_action_plugin_maps_are_the_tables():
    for option in CONNECTION_OPTIONS:
        assert controller_module.PSRP_VARS.get(option.name, ()) == option.psrp_vars
        assert controller_module.WINRM_VARS.get(option.name, ()) == option.winrm_vars
        assert controller_module.COMMON_VARS.get(option.name, ()) == option.common_vars
    assert set(controller_module.AD_OPTIONS) == set(documented(AdFragment.DOCUMENTATION)) == set(AD_ARGUMENT_SPEC)


def test_the_destination_suboptions_are_the_connection_options_without_prefix():
    for fragment_text, name in ((DestinationFragment.DOCUMENTATION, 'destination_connection'),
                                (DestinationFragment.DESTINATIONS, 'destination_connections')):
        suboptions = documented(fragment_text)[name]['suboptions']
        suboptions.pop('destination', None)
        assert list(suboptions) == list(CONNECTION_KEYS)
        for key, spec in CONNECTION_SUBOPTIONS.items():
            assert (suboptions[key]['type'], suboptions[key].get('choices')) == (spec['type'], spec.get('choices')), key
            assert 'default' not in spec and 'required' not in spec
    assert INHERITED_KEYS == ('user', 'password', 'auth', 'validate_certs', 'ca_cert', 'cert_pem', 'cert_key_pem', 'connection_timeout',
                              'operation_timeout', 'read_timeout', 'retries')


def test_the_hosts_connection_suboptions_of_live_migration_are_the_connection_options_without_prefix():
    from ansible_collections.hyperv.mobility.plugins.modules import live_migration
    suboptions = documented(live_migration.DOCUMENTATION)['hosts']['suboptions']['connection']['suboptions']
    assert list(suboptions) == list(CONNECTION_KEYS)
    for key, spec in CONNECTION_SUBOPTIONS.items():
        assert (suboptions[key]['type'], suboptions[key].get('choices')) == (spec['type'], spec.get('choices')), key
    assert CONNECTION_SUBOPTIONS['password']['no_log'] is True


def test_from_params_takes_the_documented_default_of_an_option_left_out():
    options = ConnectionOptions.from_params({'hyperv_host': 'hv01'})
    assert (options.transport, options.auth, options.validate_certs, options.connection_timeout, options.operation_timeout,
            options.retries) == ('psrp', 'negotiate', True, 30, 20, 3)

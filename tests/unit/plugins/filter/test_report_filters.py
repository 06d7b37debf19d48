# -*- coding: utf-8 -*-
"""The report filters: preflight / replication results to Markdown and to a self-contained HTML page with an SVG diagram."""

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from ansible.errors import AnsibleFilterError
from ansible.plugins.loader import filter_loader
from ansible.template import Templar, trust_as_template

from ansible_collections.hyperv.mobility.plugins.plugin_utils import reports

CHECK_NAMES = ('connection', 'hyperv_installed', 'administrator', 'domain', 'migration_enabled', 'networks',
               'authentication_type', 'delegation', 'vm_versions', 'smb_performance', 'concurrency')


def preflight_result(source, destination, failed=(), warnings=(), item=None):
    """A migration_preflight result shaped as its RETURN documents it."""
    checks = []
    for name in CHECK_NAMES:
        status = 'failed' if name in failed else 'warning' if name in warnings else 'ok'
        checks.append(dict(name=name, status=status, detail='%s of %s -> %s is %s' % (name, source, destination, status),
                           fix=None if status == 'ok' else 'fix %s' % name))
    first = next((check for check in checks if check['status'] == 'failed'), None)
    result = dict(changed=False, checks=checks, first_failure=first, ready=first is None,
                  summary=dict(ok=sum(c['status'] == 'ok' for c in checks), warning=len(warnings), failed=len(failed)),
                  source=dict(name=source, reachable=True, fqdn=source + '.hvlab.test'),
                  destination=dict(name=destination, reachable=True, fqdn=destination + '.hvlab.test'))
    if item is not None:
        result['item'] = item
    return result


def replication(name, primary, replica, health='Normal', mode='Primary', problems=()):
    return dict(name=name, vm_id='id-' + name, mode=mode, state='Replicating', health=health, primary_server=primary,
                replica_server=replica, last_replication_time='2026-11-22T00:10:00+00:00',
                needs=problems[0]['classification'] if problems else None, problems=list(problems))


NETWORK_PROBLEM = dict(reason='network', classification='retried', explanation='A network error interrupted replication.',
                       action='Check the listener firewall rule.', detail='')


class StrictHTML(HTMLParser):
    """Collects tags and the external references a page would load."""

    VOID = {'meta', 'br', 'img', 'link', 'input', 'hr'}  # SVG's <path/> arrives as start + end (handle_startendtag)

    def __init__(self):
        super().__init__()
        self.stack = []
        self.external = []
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ('src', 'href') and value and not value.startswith('#'):
                self.external.append(value)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, 'unbalanced </%s> after %s' % (tag, self.stack[-3:])
        self.stack.pop()


def svg_of(page):
    match = re.search(r'<svg .*?</svg>', page, re.S)
    assert match, 'no inline SVG'
    return ET.fromstring(match.group(0))


SVG_NS = '{http://www.w3.org/2000/svg}'


def test_preflight_markdown_one_row_per_direction_sorted_with_first_problem():
    results = [preflight_result('hv02', 'hv01'),
               preflight_result('hv01', 'hv02', failed=('networks',), warnings=('domain',)),
               preflight_result('hv01', 'hv03', warnings=('smb_performance',))]
    text = reports.preflight_markdown(results)
    lines = text.splitlines()
    assert lines[0] == '# Live migration preflight'
    table = [line for line in lines if line.startswith('|')]
    assert table[0] == '| source | destination | status | ok | warning | failed | first problem | fix |'
    assert table[2].startswith('| hv01 | hv02 | failed | 9 | 1 | 1 | networks: networks of hv01 -> hv02 is failed | fix networks |')
    assert table[3].startswith('| hv01 | hv03 | warning | 10 | 1 | 0 | smb_performance:')
    assert table[4] == '| hv02 | hv01 | ok | 11 | 0 | 0 |  |  |'
    assert len(table) == 5


def test_preflight_markdown_accepts_registered_loops_nested_lists_and_playbook_directions():
    loop = {'results': [preflight_result('hv01', 'hv02', item='hv02'), preflight_result('hv01', 'hv03', item='hv03')]}
    nested = [[preflight_result('hv02', 'hv01')], [loop]]
    text = reports.preflight_markdown(nested, title='')
    assert not text.startswith('#')
    assert [line.split(' | ')[:2] for line in text.splitlines()[2:]] == [['| hv01', 'hv02'], ['| hv01', 'hv03'], ['| hv02', 'hv01']]
    # playbooks/preflight.yml's directions name the hosts as strings
    direction = dict(source='hv03', destination='hv01', status='ok', checks=preflight_result('hv03', 'hv01')['checks'])
    assert '| hv03 | hv01 | ok |' in reports.preflight_markdown(direction)


def test_a_destinations_result_is_one_row_per_direction_like_the_pairs():
    pairs = [preflight_result('hv01', 'hv02', failed=('networks',)), preflight_result('hv01', 'hv03')]
    many = dict(changed=False, ready=False, not_ready=['hv02'], source=pairs[0]['source'],
                directions=[dict(destination=pair['destination']['name'], destination_facts=pair['destination'], checks=pair['checks'],
                                 summary=pair['summary'], first_failure=pair['first_failure'], ready=pair['ready']) for pair in pairs])
    assert reports.preflight_markdown(many) == reports.preflight_markdown(pairs)
    assert reports.preflight_html([many]) == reports.preflight_html(pairs)


def test_hosts_are_named_by_their_computer_name_when_they_answered():
    result = preflight_result('127.0.10.1', 'hv02')
    result['source']['computer_name'] = 'HV01'
    result['destination']['computer_name'] = 'HV02'
    row = reports.preflight_rows(result)[0]
    assert (row.source, row.destination) == ('HV01', 'HV02')


def test_failed_task_without_checks_is_a_failed_row_with_its_message():
    failed_task = dict(failed=True, msg='hv09: connection refused', item='hv09')
    row = reports.preflight_rows([failed_task])[0]
    assert (row.destination, row.status) == ('hv09', 'failed')
    assert 'task: hv09: connection refused' in reports.preflight_markdown([failed_task])


def test_markdown_cells_cannot_break_the_table():
    result = preflight_result('hv01', 'hv02', failed=('networks',))
    result['checks'][5]['detail'] = 'a | b\nc'
    line = [line for line in reports.preflight_markdown(result).splitlines() if line.startswith('| hv01')][0]
    assert 'a \\| b c' in line
    assert len(re.split(r'(?<!\\)\|', line)) == len(reports.PREFLIGHT_HEADER) + 2


def test_preflight_markdown_details_lists_every_check_per_direction():
    text = reports.preflight_markdown([preflight_result('hv01', 'hv02', failed=('delegation',))], details=True)
    assert '## hv01 -> hv02 (failed)' in text
    section = text.split('## hv01 -> hv02 (failed)')[1]
    assert [line.split(' | ')[0][2:] for line in section.strip().splitlines()[2:]] == list(CHECK_NAMES)


def test_preflight_html_is_self_contained_balanced_and_escapes_host_values():
    evil = preflight_result('hv01', 'hv02', failed=('networks',))
    evil['checks'][5]['detail'] = '<script>alert(1)</script>'
    page = reports.preflight_html([evil, preflight_result('hv02', 'hv01')], title='Mesh <prod>')
    assert page.startswith('<!DOCTYPE html>') and page.rstrip().endswith('</html>')
    assert '<script>' not in page and '&lt;script&gt;' in page
    assert '<title>Mesh &lt;prod&gt;</title>' in page
    parser = StrictHTML()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    assert parser.external == [], 'the page must not load anything'
    assert 'style' in parser.tags and 'script' not in parser.tags


def test_preflight_diagram_has_a_node_per_host_and_an_arrow_per_direction_dashed_without_delegation():
    results = [preflight_result('hv01', 'hv02'), preflight_result('hv02', 'hv01', failed=('delegation',)),
               preflight_result('hv01', 'hv03', warnings=('domain',))]
    svg = svg_of(reports.preflight_html(results))
    hosts = [text.text for group in svg.iter(SVG_NS + 'g') if group.get('class') == 'host' for text in group.iter(SVG_NS + 'text')]
    assert hosts == ['hv01', 'hv02', 'hv03']
    edges = {group.find(SVG_NS + 'title').text: group for group in svg.iter(SVG_NS + 'g') if (group.get('class') or '').startswith('edge')}
    assert set(edges) == {'hv01 -> hv02: ok', 'hv02 -> hv01: delegation failed', 'hv01 -> hv03: warning'}
    ok_path = edges['hv01 -> hv02: ok'].find(SVG_NS + 'path')
    broken_path = edges['hv02 -> hv01: delegation failed'].find(SVG_NS + 'path')
    assert ok_path.get('stroke-dasharray') is None and ok_path.get('stroke') == reports.STATUS_COLOURS['ok']
    assert broken_path.get('stroke-dasharray') and broken_path.get('stroke') == reports.STATUS_COLOURS['failed']
    assert ok_path.get('marker-end') == 'url(#arrow-ok)'
    # A -> B and B -> A bow to different sides: their control points differ
    assert ok_path.get('d').split(' Q ')[1] != broken_path.get('d').split(' Q ')[1]


def test_replication_markdown_dedupes_and_keeps_both_sides():
    primary_side = dict(replications=[replication('web01', 'hv01.hvlab.test', 'hv02.hvlab.test'),
                                      replication('db01', 'hv01.hvlab.test', 'hv02.hvlab.test', health='Warning', problems=[NETWORK_PROBLEM])],
                        not_replicated=[], summary={})
    replica_side = dict(replications=[replication('web01', 'hv01.hvlab.test', 'hv02.hvlab.test', mode='Replica')])
    text = reports.replication_markdown([primary_side, primary_side, {'results': [replica_side]}])
    rows = [line for line in text.splitlines() if line.startswith('| ') and not line.startswith(('| VM', '| ---'))]
    assert [row.split(' | ')[:2] for row in rows] == [['| db01', 'Primary'], ['| web01', 'Primary'], ['| web01', 'Replica']]
    assert rows[0].endswith('| Warning | 2026-11-22T00:10:00+00:00 | retried | Check the listener firewall rule. |')


def test_replication_html_arrow_per_server_pair_coloured_by_worst_health():
    result = dict(replications=[replication('web01', 'hv01.hvlab.test', 'hv02.hvlab.test'),
                                replication('db01', 'hv01.hvlab.test', 'hv02.hvlab.test', health='Critical',
                                            problems=[dict(NETWORK_PROBLEM, reason='authorization', classification='administrator',
                                                           action='Add an authorization entry.')]),
                                replication('app01', 'hv02.hvlab.test', 'hv03.hvlab.test')])
    page = reports.replication_html(result)
    svg = svg_of(page)
    edges = {group.find(SVG_NS + 'title').text: group.find(SVG_NS + 'path').get('stroke')
             for group in svg.iter(SVG_NS + 'g') if (group.get('class') or '').startswith('edge')}
    assert edges == {'hv01.hvlab.test -> hv02.hvlab.test: db01, web01': reports.STATUS_COLOURS['failed'],
                     'hv02.hvlab.test -> hv03.hvlab.test: app01': reports.STATUS_COLOURS['ok']}
    assert '<h2>Problems</h2>' in page and 'Add an authorization entry.' in page
    assert '<span>Critical: <strong>1</strong></span>' in page


def test_addresses_keep_their_full_label_in_the_diagram():
    svg = svg_of(reports.preflight_html(preflight_result('127.0.10.1', 'hv02.hvlab.test')))
    labels = sorted(text.text for group in svg.iter(SVG_NS + 'g') if group.get('class') == 'host' for text in group.iter(SVG_NS + 'text'))
    assert labels == ['127.0.10.1', 'hv02']


def test_bad_input_names_the_filter():
    with pytest.raises(AnsibleFilterError, match='preflight report expects a dict or a list of dicts, got int'):
        reports.preflight_markdown(3)


@pytest.mark.parametrize('name', ['preflight_markdown', 'preflight_html', 'replication_markdown', 'replication_html'])
def test_filters_resolve_by_fqcn_and_render_in_a_template(name):
    assert filter_loader.get('hyperv.mobility.' + name) is not None
    data = [preflight_result('hv01', 'hv02')] if name.startswith('preflight') else dict(replications=[replication('web01', 'hv01', 'hv02')])
    templar = Templar(loader=None, variables={'data': data})
    rendered = templar.template(trust_as_template('{{ data | hyperv.mobility.%s }}' % name))
    assert ('hv01' in rendered) and ('hv02' in rendered)


# ---------------------------------------------------------------- failover drill

def failover_result(action, vm='web01', replica='hv02', changed=True, failed=False, started=None, msg='', steps=None, seconds=1.5, **extra):
    result = dict(action=action, changed=changed, failed=failed, steps=steps if steps is not None else ['hv02: Start-VMFailover -AsTest'],
                  elapsed_seconds=seconds, item={'vm': vm, 'replica': replica}, msg=msg, **extra)
    if started is not None:
        result['started_vm'] = started
    return result


UP = dict(host='hv02', fqdn='hv02.corp', name='web01 - Test', started=True, state='Running', heartbeat='OkApplicationsUnknown', verified=True,
          elapsed_seconds=12.5, network_adapters=[{'name': 'Network Adapter', 'switch': 'Isolated', 'addresses': ['10.2.0.15']}])


def test_drill_rows_one_per_vm_and_step_with_result_and_time():
    loops = {'results': [failover_result('test', started=UP, steps=['hv02: Start-VMFailover -AsTest', 'hv02: Start-VM Name=web01 - Test']),
                         failover_result('test', vm='db01', changed=False, steps=[], recovery_point='db01 - Standard Replica - (1)'),
                         {'skipped': True, 'item': {'vm': 'skipped01'}}]}
    rows = reports.drill_rows([loops])
    assert [(row['vm'], row['step'], row['result'], row['seconds']) for row in rows] == [
        ('web01', 'test failover', 'changed', 1.5), ('web01', 'start and verify', 'changed', 12.5), ('db01', 'test failover', 'ok', 1.5)]
    assert rows[0]['detail'] == 'hv02: Start-VMFailover -AsTest', 'the Start-VM line belongs to the start row'
    assert rows[1]['detail'] == 'web01 - Test Running on hv02.corp, heartbeat OkApplicationsUnknown; Network Adapter on Isolated: 10.2.0.15'
    assert rows[2]['detail'] == 'recovery point db01 - Standard Replica - (1): already done'


def test_a_failed_action_and_a_silent_guest_are_failed_rows_and_the_report_fails():
    silent = dict(UP, heartbeat='NoContact', verified=False, network_adapters=[])
    results = [failover_result('planned', failed=True, started=silent, msg="planned of VM 'web01' is done (...), but the VM is not verified up"),
               failover_result('planned', vm='db01', failed=True, msg='planned of VM db01 is not possible: turned on', changed=False, steps=[])]
    report = reports.drill_report(results, 'planned failover', '2026-12-06T04:00:00Z')
    assert (report['result'], report['vms'], report['failed_steps']) == ('failed', 2, 2)
    assert [(row['vm'], row['step'], row['result']) for row in report['rows']] == [
        ('web01', 'planned failover', 'changed'), ('web01', 'start and verify', 'failed'), ('db01', 'planned failover', 'failed')]
    markdown = reports.drill_markdown(report)
    assert markdown.startswith('# Planned failover: FAILED\n\n2026-12-06T04:00:00Z - 2 VM(s), 2 failed step(s).\n')
    assert '| db01 | hv02 | planned failover | failed | 1.5 | planned of VM db01 is not possible: turned on |' in markdown
    assert reports.drill_markdown([], 'failback').startswith('# Failback: OK')

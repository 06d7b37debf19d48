# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reports people read: the live-migration preflight and the Hyper-V Replica health, as Markdown and as HTML; the evidence of a
failover drill (test failover, planned failover, failback) as JSON rows and Markdown.

Controller-side only (the filter plugins hyperv.mobility.preflight_markdown / preflight_html / replication_markdown /
replication_html call this). Three steps, each small and pure:

1. normalise what the user registered (a migration_preflight result - of one ``destination``, or of ``destinations``
   with one row per direction -, a list of them, a registered loop with ``results``, the ``directions`` of
   playbooks/preflight.yml; a vm_replication_info result or a list of them) into rows: PreflightRow / ReplicationRow;
2. render the rows as a Markdown table (GitHub-flavoured, cells escaped);
3. render them as one self-contained HTML page (inline CSS, inline SVG diagram of the hosts with an arrow per
   direction / relationship, no scripts, no external resources) so the file can be mailed or attached to a ticket.
"""


import math
from html import escape

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence

OK = 'ok'
WARNING = 'warning'
FAILED = 'failed'
# Worst first.
STATUS_ORDER = (FAILED, WARNING, OK)

# Hyper-V's ReplicationHealth values mapped onto the same three report colours.
REPLICATION_HEALTH_STATUS = {'normal': OK, 'warning': WARNING, 'critical': FAILED}
STATUS_COLOURS = {OK: '#2e7d32', WARNING: '#b26a00', FAILED: '#c62828', 'unknown': '#616161'}


def worst_status(statuses):
    statuses = [status for status in statuses if status in STATUS_ORDER]
    for status in STATUS_ORDER:
        if status in statuses:
            return status
    return 'unknown'


def _host_name(value):
    """A host as a result names it: a string, or the facts dict migration_preflight returns.

    From the facts, the host's own computer name comes first: ``name`` is what the task was given, an inventory name for
    the destination but often an address for the source (ansible_host), and a report should name both ends alike.
    """
    if isinstance(value, dict):
        return str(value.get('computer_name') or value.get('name') or value.get('fqdn') or '')
    return '' if value is None else str(value)


def _flatten(data, what):
    """Lists (nested, as ``map('extract', hostvars, ...)`` produces) and registered loops (``results``) to a flat list of dicts."""
    if isinstance(data, dict):
        if 'results' in data and is_sequence(data['results']):
            return _flatten(data['results'], what)
        return [data]
    if is_sequence(data):
        items = []
        for entry in data:
            items.extend(_flatten(entry, what))
        return items
    raise AnsibleFilterError('%s expects a dict or a list of dicts, got %s' % (what, type(data).__name__))


# ---------------------------------------------------------------- preflight

class PreflightRow:
    """One source -> destination direction and its checks."""

    def __init__(self, source, destination, checks, error=None):
        self.source = source
        self.destination = destination
        self.checks = checks          # [{'name', 'status', 'detail', 'fix'}]
        self.error = error            # the task's own failure message when it returned no checks

    @classmethod
    def from_result(cls, result):
        checks = [dict(name=str(check.get('name', '')), status=str(check.get('status', '')),
                       detail=check.get('detail') or '', fix=check.get('fix') or '')
                  for check in result.get('checks') or [] if isinstance(check, dict)]
        # The module names both hosts in its facts (source.name, destination.name); a loop result of a task that failed
        # before returning them still names the destination in ``item``.
        source = _host_name(result.get('source'))
        destination = _host_name(result.get('destination')) or _host_name(result.get('item'))
        error = None
        if not checks:
            error = str(result.get('msg') or 'the preflight returned no checks')
        return cls(source or '?', destination or '?', checks, error)

    @property
    def status(self):
        if self.error:
            return FAILED
        return worst_status([check['status'] for check in self.checks])

    @property
    def problems(self):
        """Failed checks first, then warnings, each in the module's own order."""
        return [check for status in (FAILED, WARNING) for check in self.checks if check['status'] == status]

    @property
    def first_problem(self):
        if self.error:
            return dict(name='task', status=FAILED, detail=self.error, fix='')
        problems = self.problems
        return problems[0] if problems else None

    @property
    def delegation_status(self):
        """Status of the Kerberos delegation check: the arrow of this direction in the diagram is dashed unless it is ok."""
        for check in self.checks:
            if check['name'] == 'delegation':
                return check['status']
        return 'unknown'

    def summary(self):
        counts = dict((status, 0) for status in (OK, WARNING, FAILED))
        for check in self.checks:
            if check['status'] in counts:
                counts[check['status']] += 1
        return counts


def _directions_of(result):
    """A migration_preflight result of ``destinations`` as one pair-shaped result per direction; any other result as is.

    Its ``directions`` name the destination as given and carry its facts in ``destination_facts``; the source's facts are
    the result's own, once for all directions.
    """
    directions = result.get('directions')
    if 'checks' in result or not is_sequence(directions) or not all(isinstance(direction, dict) and 'checks' in direction
                                                                    for direction in directions):
        return [result]
    pairs = []
    for direction in directions:
        pair = dict(direction, destination=direction.get('destination_facts') or direction.get('destination'))
        pair.setdefault('source', result.get('source'))
        pairs.append(pair)
    return pairs


def preflight_rows(data):
    results = [pair for result in _flatten(data, 'preflight report') for pair in _directions_of(result)]
    rows = [PreflightRow.from_result(result) for result in results]
    return sorted(rows, key=lambda row: (row.source.lower(), row.destination.lower()))


# ---------------------------------------------------------------- replication

class ReplicationRow:
    """One Hyper-V Replica relationship as one host reported it."""

    FIELDS = ('name', 'mode', 'state', 'health', 'primary_server', 'replica_server', 'last_replication_time', 'needs')

    def __init__(self, values, problems):
        self.values = values
        self.problems = problems

    @classmethod
    def from_entry(cls, entry):
        values = dict((field, '' if entry.get(field) is None else str(entry.get(field))) for field in cls.FIELDS)
        values['vm_id'] = str(entry.get('vm_id') or '')
        problems = [problem for problem in entry.get('problems') or [] if isinstance(problem, dict)]
        return cls(values, problems)

    @property
    def status(self):
        return REPLICATION_HEALTH_STATUS.get(self.values['health'].lower(), 'unknown')

    @property
    def key(self):
        return tuple(self.values[field].lower() for field in ('vm_id', 'name', 'mode', 'primary_server', 'replica_server'))

    @property
    def action(self):
        return self.problems[0].get('action') or '' if self.problems else ''


def replication_rows(data):
    rows = {}
    for result in _flatten(data, 'replication report'):
        entries = result.get('replications') if 'replications' in result else [result]
        for entry in entries or []:
            if isinstance(entry, dict):
                row = ReplicationRow.from_entry(entry)
                rows.setdefault(row.key, row)     # the same relationship read twice (two tasks) is one row
    return sorted(rows.values(), key=lambda row: (row.values['name'].lower(), row.values['mode'].lower()))


# ---------------------------------------------------------------- failover drill

# The words a drill report uses for the actions of hyperv.mobility.vm_failover.
DRILL_ACTIONS = {'test': 'test failover', 'cleanup_test': 'test failover cleanup', 'planned': 'planned failover',
                 'unplanned': 'unplanned failover', 'complete': 'complete failover', 'cancel': 'cancel failover',
                 'reverse': 'reverse replication', 'failback': 'failback'}
SKIPPED = 'skipped'
CHANGED = 'changed'


def _drill_vm(result):
    item = result.get('item')
    if isinstance(item, dict) and item.get('vm'):
        return str(item['vm']), str(item.get('replica') or '')
    arguments = (result.get('invocation') or {}).get('module_args') or {}
    return str(arguments.get('name') or ''), str(arguments.get('destination') or '')


def _action_row(vm, replica, result, start_failed):
    action = result.get('action') or ((result.get('invocation') or {}).get('module_args') or {}).get('action') or ''
    if result.get('failed') and not start_failed:
        outcome, detail = FAILED, result.get('msg') or ''
    else:
        outcome = CHANGED if result.get('changed') else OK
        steps = [step for step in result.get('steps') or [] if ': Start-VM ' not in step]
        detail = '; '.join(steps) if steps else 'already done'
        if result.get('recovery_point') and result.get('recovery_point') != 'latest':
            detail = 'recovery point %s: %s' % (result['recovery_point'], detail)
    return dict(vm=vm, replica=replica, step=DRILL_ACTIONS.get(action, action), result=outcome, seconds=result.get('elapsed_seconds'),
                detail=detail)


def _start_row(vm, replica, result):
    started = result.get('started_vm')
    if not isinstance(started, dict):
        return None
    failed = bool(result.get('failed')) and started.get('verified') is not True
    if result.get('failed') and started.get('verified') is None and not started.get('started'):
        return dict(vm=vm, replica=replica, step='start and verify', result=SKIPPED, seconds=None, detail='the action failed')
    addresses = ', '.join('%s on %s: %s' % (adapter.get('name'), adapter.get('switch') or 'no switch', ', '.join(adapter.get('addresses') or []) or
                                            'no address') for adapter in started.get('network_adapters') or [])
    detail = '%s %s on %s, heartbeat %s' % (started.get('name'), started.get('state'), started.get('fqdn') or started.get('host'),
                                            started.get('heartbeat'))
    if addresses:
        detail += '; ' + addresses
    if failed:
        detail = result.get('msg') or detail
    return dict(vm=vm, replica=replica, step='start and verify', result=FAILED if failed else (CHANGED if started.get('started') else OK),
                seconds=started.get('elapsed_seconds'), detail=detail)


def drill_rows(data):
    """One row per VM and step (the vm_failover action, then start and verify when it was asked) from vm_failover results: one
    result, a list (nested lists flattened) or registered loops. A result skipped by a condition gives no row."""
    rows = []
    for result in _flatten(data, 'drill report'):
        if result.get('skipped'):
            continue
        vm, replica = _drill_vm(result)
        start = _start_row(vm, replica, result)
        rows.append(_action_row(vm, replica, result, start is not None and start['result'] == FAILED))
        if start is not None:
            rows.append(start)
    return rows


def drill_report(data, drill='failover drill', when=None):
    """The drill's evidence as one JSON-able document: what, when, the overall result and the rows."""
    rows = drill_rows(data)
    failed = [row for row in rows if row['result'] == FAILED]
    return dict(drill=drill, time=when, result=FAILED if failed else OK, vms=len(set(row['vm'] for row in rows)), failed_steps=len(failed),
                rows=rows)


DRILL_HEADER = ('VM', 'replica', 'step', 'result', 'seconds', 'detail')


def drill_markdown(data, drill='failover drill', when=None):
    """The drill report as Markdown: a heading with the overall result, then the rows' table."""
    report = data if isinstance(data, dict) and 'rows' in data and 'drill' in data else drill_report(data, drill, when)
    when_text = '%s - ' % markdown_cell(report['time']) if report.get('time') else ''
    parts = ['# %s: %s\n' % (markdown_cell(report['drill'].capitalize()), report['result'].upper()),
             '%s%d VM(s), %d failed step(s).\n' % (when_text, report['vms'], report['failed_steps']),
             markdown_table(DRILL_HEADER, [(row['vm'], row['replica'], row['step'], row['result'],
                                            '' if row['seconds'] is None else row['seconds'], row['detail']) for row in report['rows']])]
    return '\n'.join(parts)


# ---------------------------------------------------------------- Markdown

def markdown_cell(value):
    """A value that cannot break the table: pipes escaped, line breaks turned into spaces."""
    return ' '.join(str('' if value is None else value).split()).replace('|', '\\|')


def markdown_table(header, rows):
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '|'.join([' --- '] * len(header)) + '|']
    lines.extend('| ' + ' | '.join(markdown_cell(cell) for cell in row) + ' |' for row in rows)
    return '\n'.join(lines) + '\n'


PREFLIGHT_HEADER = ('source', 'destination', 'status', 'ok', 'warning', 'failed', 'first problem', 'fix')


def _preflight_cells(row):
    first = row.first_problem
    counts = row.summary()
    return (row.source, row.destination, row.status, counts[OK], counts[WARNING], counts[FAILED],
            '%s: %s' % (first['name'], first['detail']) if first else '', first['fix'] if first else '')


def preflight_markdown(data, title='Live migration preflight', details=False):
    rows = preflight_rows(data)
    parts = []
    if title:
        parts.append('# %s\n' % markdown_cell(title))
    parts.append(markdown_table(PREFLIGHT_HEADER, [_preflight_cells(row) for row in rows]))
    if details:
        for row in rows:
            parts.append('## %s -> %s (%s)\n' % (markdown_cell(row.source), markdown_cell(row.destination), row.status))
            parts.append(markdown_table(('check', 'status', 'detail', 'fix'),
                                        [(check['name'], check['status'], check['detail'], check['fix']) for check in row.checks]))
    return '\n'.join(parts)


REPLICATION_HEADER = ('VM', 'mode', 'primary', 'replica', 'state', 'health', 'last replication', 'needs', 'action')


def _replication_cells(row):
    values = row.values
    return (values['name'], values['mode'], values['primary_server'], values['replica_server'], values['state'], values['health'],
            values['last_replication_time'], values['needs'], row.action)


def replication_markdown(data, title='Hyper-V Replica health'):
    rows = replication_rows(data)
    parts = ['# %s\n' % markdown_cell(title)] if title else []
    parts.append(markdown_table(REPLICATION_HEADER, [_replication_cells(row) for row in rows]))
    return '\n'.join(parts)


DRAIN_HEADER = ('VM', 'state', 'memory MB', 'source', 'destination', 'result', 'attempts', 'seconds', 'reason', 'fix')
DRAIN_RESULT_STATUS = {'moved': OK, 'planned': OK, 'excluded': WARNING, 'left': WARNING, 'failed': FAILED, 'not_placed': FAILED}


def drain_rows(data):
    """The VM entries of host_drain results (one result, a list of them, a registered loop), worst first, then by name."""
    entries = [entry for result in _flatten(data, 'host_drain') for entry in result.get('vms') or []]
    order = dict((status, index) for index, status in enumerate(STATUS_ORDER))
    return sorted(entries, key=lambda entry: (order.get(DRAIN_RESULT_STATUS.get(entry.get('result')), len(order)),
                                              str(entry.get('source') or '').lower(), str(entry.get('name') or '').lower()))


def drain_markdown(data, title='Host drain'):
    rows = drain_rows(data)
    counts = {}
    for entry in rows:
        counts[entry.get('result')] = counts.get(entry.get('result'), 0) + 1
    parts = ['# %s\n' % markdown_cell(title)] if title else []
    parts.append(', '.join('%s: %d' % (result, count) for result, count in sorted(counts.items())) + '\n' if counts else 'No VM to move.\n')
    parts.append(markdown_table(DRAIN_HEADER, [(entry.get('name'), entry.get('state'), entry.get('memory_mb'), entry.get('source'),
                                                entry.get('destination'), entry.get('result'), entry.get('attempts'),
                                                entry.get('duration_seconds'), entry.get('reason'), entry.get('fix')) for entry in rows]))
    return '\n'.join(parts)


# ---------------------------------------------------------------- SVG diagram

class Edge:
    """One arrow of the diagram: every row between the same two hosts in the same direction."""

    def __init__(self, source, target, status, dashed, label):
        self.source = source
        self.target = target
        self.status = status
        self.dashed = dashed
        self.label = label


class HostDiagram:
    """Hosts on a circle, one curved arrow per direction, so that A -> B and B -> A bow to different sides."""

    WIDTH = 640
    HEIGHT = 480
    NODE_RADIUS = 34

    def __init__(self, title, edges, legend):
        self.title = title
        self.edges = edges
        self.legend = legend        # [str]: what line styles and colours mean
        hosts = []
        for edge in edges:
            for host in (edge.source, edge.target):
                if host not in hosts:
                    hosts.append(host)
        self.hosts = sorted(hosts, key=str.lower)

    def positions(self):
        centre_x, centre_y = self.WIDTH / 2.0, self.HEIGHT / 2.0 - 10
        radius = min(centre_x, centre_y) - self.NODE_RADIUS - 30
        if len(self.hosts) == 1:
            return {self.hosts[0]: (centre_x, centre_y)}
        return dict((host, (centre_x + radius * math.cos(2 * math.pi * index / len(self.hosts) - math.pi / 2),
                            centre_y + radius * math.sin(2 * math.pi * index / len(self.hosts) - math.pi / 2)))
                    for index, host in enumerate(self.hosts))

    def _arrow(self, edge, positions):
        (x1, y1), (x2, y2) = positions[edge.source], positions[edge.target]
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        unit_x, unit_y = (x2 - x1) / length, (y2 - y1) / length
        # Start and end on the node circles; the control point sits to the right of the direction of travel.
        start = (x1 + unit_x * self.NODE_RADIUS, y1 + unit_y * self.NODE_RADIUS)
        end = (x2 - unit_x * (self.NODE_RADIUS + 4), y2 - unit_y * (self.NODE_RADIUS + 4))
        bow = 0.18 * length
        control = ((x1 + x2) / 2.0 - unit_y * bow, (y1 + y2) / 2.0 + unit_x * bow)
        label_at = ((start[0] + 2 * control[0] + end[0]) / 4.0, (start[1] + 2 * control[1] + end[1]) / 4.0)
        colour = STATUS_COLOURS.get(edge.status, STATUS_COLOURS['unknown'])
        dash = ' stroke-dasharray="7 5"' if edge.dashed else ''
        return ('<g class="edge %s"><title>%s</title>'
                '<path d="M %.1f %.1f Q %.1f %.1f %.1f %.1f" fill="none" stroke="%s" stroke-width="2.5"%s marker-end="url(#arrow-%s)"/>'
                '<text x="%.1f" y="%.1f" text-anchor="middle" font-size="11" fill="%s">%s</text></g>'
                % (escape(edge.status), escape('%s -> %s: %s' % (edge.source, edge.target, edge.label)), start[0], start[1], control[0],
                   control[1], end[0], end[1], colour, dash, escape(edge.status), label_at[0], label_at[1] - 4, colour, escape(edge.label)))

    def render(self):
        positions = self.positions()
        markers = ''.join('<marker id="arrow-%s" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
                          '<path d="M 0 0 L 10 5 L 0 10 z" fill="%s"/></marker>' % (status, colour) for status, colour in STATUS_COLOURS.items())
        parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">'
                 % (self.WIDTH, self.HEIGHT, self.WIDTH, self.HEIGHT, escape(self.title)),
                 '<title>%s</title><defs>%s</defs>' % (escape(self.title), markers)]
        parts.extend(self._arrow(edge, positions) for edge in self.edges)
        for host in self.hosts:
            x, y = positions[host]
            parts.append('<g class="host"><circle cx="%.1f" cy="%.1f" r="%d" fill="#e3f2fd" stroke="#1565c0" stroke-width="2"/>'
                         '<text x="%.1f" y="%.1f" text-anchor="middle" font-size="12" font-weight="bold">%s</text></g>'
                         % (x, y, self.NODE_RADIUS, x, y + 4, escape(node_label(host))))
        legend_y = self.HEIGHT - 16
        parts.append('<text x="10" y="%d" font-size="11" fill="#424242">%s</text>' % (legend_y, escape(' - '.join(self.legend))))
        parts.append('</svg>')
        return '\n'.join(parts)


def node_label(host):
    """The short name of a host (hv01 for hv01.corp.example.com); an address stays whole."""
    first = host.split('.')[0]
    return host if first.isdigit() or ':' in host else first


def preflight_edges(rows):
    return [Edge(row.source, row.destination, row.status, row.delegation_status != OK,
                 'delegation %s' % row.delegation_status if row.delegation_status != OK else row.status) for row in rows]


def replication_edges(rows):
    grouped = {}
    for row in rows:
        key = (row.values['primary_server'], row.values['replica_server'])
        if all(key):
            grouped.setdefault(key, []).append(row)
    edges = []
    for (primary, replica), members in sorted(grouped.items()):
        names = sorted(set(row.values['name'] for row in members), key=str.lower)
        label = '%d VM%s' % (len(names), '' if len(names) == 1 else 's') if len(names) > 2 else ', '.join(names)
        status = worst_status([row.status for row in members])
        edges.append(Edge(primary, replica, status, status == 'unknown', label))
    return edges


# ---------------------------------------------------------------- HTML

CSS = ('body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#212121}'
       'table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bdbdbd;padding:4px 8px;text-align:left;vertical-align:top}'
       'th{background:#eeeeee}td.ok{color:#2e7d32;font-weight:bold}td.warning{color:#b26a00;font-weight:bold}'
       'td.failed{color:#c62828;font-weight:bold}td.unknown{color:#616161}.summary span{margin-right:1.5em}'
       'figure{margin:1em 0}figcaption{font-size:.9em;color:#616161}')


def html_table(header, rows, status_column=None):
    """Rows of cells; the cell in ``status_column`` gets its status as CSS class."""
    lines = ['<table><thead><tr>%s</tr></thead><tbody>' % ''.join('<th>%s</th>' % escape(str(cell)) for cell in header)]
    for row in rows:
        cells = []
        for index, cell in enumerate(row):
            css = ' class="%s"' % escape(str(cell)) if index == status_column else ''
            cells.append('<td%s>%s</td>' % (css, escape('' if cell is None else str(cell))))
        lines.append('<tr>%s</tr>' % ''.join(cells))
    lines.append('</tbody></table>')
    return '\n'.join(lines)


def html_page(title, summary, diagram, caption, sections):
    return '\n'.join([
        '<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', '<title>%s</title>' % escape(title),
        '<style>%s</style>' % CSS, '</head>', '<body>', '<h1>%s</h1>' % escape(title),
        '<p class="summary">%s</p>' % ''.join('<span>%s: <strong>%s</strong></span>' % (escape(str(key)), escape(str(value)))
                                              for key, value in summary),
        '<figure>%s<figcaption>%s</figcaption></figure>' % (diagram, escape(caption)),
    ] + sections + ['</body>', '</html>', ''])


def _status_counts(rows):
    counts = [(status, sum(1 for row in rows if row.status == status)) for status in (OK, WARNING, FAILED)]
    unknown = sum(1 for row in rows if row.status == 'unknown')
    return counts + ([('unknown', unknown)] if unknown else [])


def preflight_html(data, title='Live migration preflight'):
    rows = preflight_rows(data)
    legend = ['solid arrow: Kerberos delegation in place', 'dashed: delegation missing or not checked', 'colour: worst check of the direction']
    diagram = HostDiagram(title, preflight_edges(rows), legend).render()
    sections = ['<h2>Directions</h2>', html_table(PREFLIGHT_HEADER, [_preflight_cells(row) for row in rows], status_column=2)]
    for row in rows:
        sections.append('<h2>%s &#8594; %s</h2>' % (escape(row.source), escape(row.destination)))
        checks = [(check['name'], check['status'], check['detail'], check['fix']) for check in row.checks]
        if row.error:
            checks.insert(0, ('task', FAILED, row.error, ''))
        sections.append(html_table(('check', 'status', 'detail', 'fix'), checks, status_column=1))
    return html_page(title, [('directions', len(rows))] + _status_counts(rows), diagram,
                     'One arrow per source -> destination direction.', sections)


def replication_html(data, title='Hyper-V Replica health'):
    rows = replication_rows(data)
    legend = ['arrow: primary -> Replica server', 'colour: worst replication health of the VMs it carries']
    diagram = HostDiagram(title, replication_edges(rows), legend).render()
    sections = ['<h2>Relationships</h2>', html_table(REPLICATION_HEADER, [_replication_cells(row) for row in rows])]
    problems = [(row.values['name'], row.values['mode'], problem.get('reason', ''), problem.get('classification', ''),
                 problem.get('explanation', ''), problem.get('action', '')) for row in rows for problem in row.problems]
    if problems:
        sections.extend(['<h2>Problems</h2>', html_table(('VM', 'mode', 'reason', 'classification', 'explanation', 'action'), problems)])
    counts = [(health, sum(1 for row in rows if row.values['health'] == health)) for health in sorted(set(row.values['health'] for row in rows))]
    return html_page(title, [('relationships', len(rows))] + counts, diagram, 'One arrow per primary -> Replica server pair.', sections)

"""The lab's control endpoint (JSON over HTTP) and LabControl, its client for tests.

Routes (docs/dev/contracts.md): GET /health, GET /hosts, GET|PATCH /hosts/<name>, GET /counters,
POST /counters/reset, POST|GET|DELETE /faults, POST /latency, POST /replication (Hyper-V Replica's clock, data
writes and replication faults: hvlab.model.replication.control), and GET /hosts/<name>/commands (the last commands the host
ran with their parameters, since the counters were reset; for tests that prove values arrive unchanged), GET|DELETE
/migrations (every live migration the lab queued or ran, with its times and result: World.migrations).
"""

import http.server
import json
import socketserver
import typing
import urllib.error
import urllib.request

DEFAULT_CONTROL_URL = 'http://127.0.10.254:8700'


class ControlError(Exception):
    """The control endpoint refused a request (HTTP status and its JSON error message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__('%s: %s' % (status, message))
        self.status = status
        self.message = message


def _host_summary(host: typing.Any) -> dict:
    return {'name': host.name, 'fqdn': host.fqdn, 'address': host.address, 'domain': host.domain}


class ControlRequestHandler(http.server.BaseHTTPRequestHandler):
    """Routes the control requests to the LabServer (counters, faults, latency) and its world (host state)."""

    protocol_version = 'HTTP/1.1'
    server: 'ControlServer'

    def log_message(self, format: str, *args: typing.Any) -> None:  # pylint: disable=redefined-builtin
        return None

    def do_GET(self) -> None:  # pylint: disable=invalid-name
        self._route('GET')

    def do_POST(self) -> None:  # pylint: disable=invalid-name
        self._route('POST')

    def do_PATCH(self) -> None:  # pylint: disable=invalid-name
        self._route('PATCH')

    def do_DELETE(self) -> None:  # pylint: disable=invalid-name
        self._route('DELETE')

    def _route(self, method: str) -> None:
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        try:
            body = json.loads(raw) if raw else {}
            parts = [part for part in self.path.split('?', 1)[0].split('/') if part]
            status, answer = self._dispatch(method, parts, body)
        except (KeyError, LookupError) as error:
            status, answer = 404, {'error': str(error.args[0] if error.args else error)}
        except (ValueError, TypeError) as error:
            status, answer = 400, {'error': str(error)}
        data = json.dumps(answer, default=str).encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, method: str, parts: typing.List[str], body: typing.Any) -> typing.Tuple[int, typing.Any]:
        lab = self.server.lab
        route = (method, tuple(parts[:1]), len(parts))
        if route == ('GET', ('health',), 1):
            return 200, {'ok': True}
        if route == ('GET', ('hosts',), 1):
            return 200, [_host_summary(host) for host in lab.world.hosts]
        if method == 'GET' and parts[:1] == ['hosts'] and parts[2:] == ['commands']:
            return 200, lab.host_controls(self._host(parts[1]).name).recorded_commands()
        if parts[:1] == ['hosts'] and len(parts) == 2:
            host = self._host(parts[1])
            if method == 'GET':
                return 200, host.to_state()
            if method == 'PATCH':
                if not isinstance(body, dict):
                    raise ValueError('PATCH body must be a JSON object')
                host.patch(body)
                return 200, host.to_state()
        if route == ('GET', ('counters',), 1):
            return 200, {name: controls.counters() for name, controls in lab.controls.items()}
        if method == 'POST' and parts == ['counters', 'reset']:
            for controls in lab.controls.values():
                controls.reset_counters()
            return 200, {'ok': True}
        if method == 'GET' and parts == ['migrations']:
            return 200, lab.world.migrations()
        if method == 'DELETE' and parts == ['migrations']:
            lab.world.clear_migrations()
            return 200, {'ok': True}
        if method == 'POST' and parts == ['migration-time']:
            seconds = float(body.get('seconds')) if isinstance(body, dict) and body.get('seconds') is not None else None
            if seconds is None or not 0 <= seconds <= 3600:
                raise ValueError('POST /migration-time body must be a JSON object with seconds, from 0 to 3600')
            lab.world.migration_seconds = seconds
            return 200, {'seconds': seconds}
        if parts == ['faults']:
            return self._faults(method, body)
        if method == 'POST' and parts == ['latency']:
            targets = list(lab.controls.values()) if body.get('host') == '*' else [lab.host_controls(self._host(body['host']).name)]
            for controls in targets:
                controls.set_latency(int(body['ms']))
            return 200, {'ok': True}
        if method == 'POST' and parts == ['directory']:
            if not isinstance(body, dict) or not body.get('ldap_url'):
                raise ValueError('POST /directory body must be a JSON object with ldap_url, user, password and ca_path')
            lab.world.configure_directory(body['ldap_url'], body.get('user'), body.get('password'), body.get('ca_path'))
            return 200, {'ok': True}
        if method == 'POST' and parts == ['site-recovery']:
            if not isinstance(body, dict) or not body.get('url'):
                raise ValueError('POST /site-recovery body must be a JSON object with url and ca_path')
            lab.world.configure_site_recovery(body['url'], body.get('ca_path'))
            return 200, {'ok': True}
        if method == 'POST' and parts == ['replication']:
            if not isinstance(body, dict):
                raise ValueError('POST /replication body must be a JSON object')
            return 200, lab.world.replication_control(body)
        return 404, {'error': 'no route %s /%s' % (method, '/'.join(parts))}

    def _faults(self, method: str, body: typing.Any) -> typing.Tuple[int, typing.Any]:
        lab = self.server.lab
        if method == 'GET':
            return 200, {name: controls.pending_faults() for name, controls in lab.controls.items()}
        if method == 'DELETE':
            for controls in lab.controls.values():
                controls.clear_faults()
            return 200, {'ok': True}
        if method == 'POST':
            host = self._host(body['host'])
            lab.host_controls(host.name).inject_fault(body['kind'], int(body.get('count', 1)), int(body.get('after', 0)))
            return 200, {'ok': True}
        return 405, {'error': 'method not allowed'}

    def _host(self, name: str) -> typing.Any:
        wanted = name.lower()
        for host in self.server.lab.world.hosts:
            if wanted in (host.name.lower(), host.fqdn.lower(), host.address):
                return host
        raise LookupError('unknown host %r' % name)


class ControlServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: typing.Tuple[str, int], lab: typing.Any) -> None:
        self.lab = lab
        super().__init__(address, ControlRequestHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return 'http://%s:%d' % (host, port)


class LabControl:
    """Client of the control endpoint (urllib only, for tests and the CLI)."""

    def __init__(self, base_url: str = DEFAULT_CONTROL_URL, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip('/')
        self.timeout = timeout

    def _call(self, method: str, path: str, body: typing.Any = None) -> typing.Any:
        data = None if body is None else json.dumps(body).encode('utf-8')
        request = urllib.request.Request(self.base_url + path, data=data, method=method,
                                         headers={'Content-Type': 'application/json'} if data is not None else {})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b'null')
        except urllib.error.HTTPError as error:
            payload = error.read()
            try:
                message = json.loads(payload).get('error', '')
            except ValueError:
                message = payload.decode('utf-8', 'replace')
            raise ControlError(error.code, message) from None

    def health(self) -> dict:
        return self._call('GET', '/health')

    def hosts(self) -> list:
        return self._call('GET', '/hosts')

    def host_state(self, name: str) -> dict:
        return self._call('GET', '/hosts/%s' % name)

    def patch_host(self, name: str, **fields: typing.Any) -> dict:
        return self._call('PATCH', '/hosts/%s' % name, fields)

    def counters(self) -> dict:
        return self._call('GET', '/counters')

    def reset_counters(self) -> None:
        self._call('POST', '/counters/reset', {})

    def inject_fault(self, host: str, kind: str, count: int = 1, after: int = 0) -> None:
        """after (command faults only): let that many commands run normally before the fault fires."""
        self._call('POST', '/faults', {'host': host, 'kind': kind, 'count': count, 'after': after})

    def commands(self, host: str) -> list:
        """The commands the host ran since the counters were reset: [{'name', 'parameters': [[name, value], ...]}]."""
        return self._call('GET', '/hosts/%s/commands' % host)

    def configure_directory(self, ldap_url: str, user: str, password: str, ca_path: str | None) -> None:
        """Join the lab's hosts to a domain controller (Kerberos live migrations read delegation from it)."""
        self._call('POST', '/directory', {'ldap_url': ldap_url, 'user': user, 'password': password, 'ca_path': ca_path})

    def configure_site_recovery(self, url: str, ca_path: str | None) -> None:
        """Where the hosts' Site Recovery provider registers (the fake Azure's base URL and its CA)."""
        self._call('POST', '/site-recovery', {'url': url, 'ca_path': ca_path})

    def migrations(self) -> list:
        """Every move the lab ran or queued: [{vm_name, source, destination, queued, started, finished, result, ...}]."""
        return self._call('GET', '/migrations')

    def clear_migrations(self) -> None:
        self._call('DELETE', '/migrations')

    def set_migration_time(self, seconds: float) -> float:
        """How long every move transfers from now on (World.migration_seconds); answers the time set."""
        return self._call('POST', '/migration-time', {'seconds': seconds})['seconds']

    def put_files(self, host: str, files: dict) -> dict:
        """Place files on a host ({path: content, or None to delete}), as win_copy would."""
        return self.patch_host(host, files=files)

    def pending_faults(self) -> dict:
        return self._call('GET', '/faults')

    def clear_faults(self) -> None:
        self._call('DELETE', '/faults')

    def set_latency(self, host: str, ms: int) -> None:  # pylint: disable=invalid-name  # the contract's parameter name
        self._call('POST', '/latency', {'host': host, 'ms': ms})

    def replication(self, **body: typing.Any) -> dict:
        """Drive Hyper-V Replica's simulated time: speed, write, fault, import_initial_replication, advance_seconds.

        Answers {'clock': ISO time, 'speed': simulated seconds per wall-clock second}; see hvlab.model.replication.control.
        """
        return self._call('POST', '/replication', body)


def in_flight_series(records: list, host: str | None = None) -> list:
    """[(seconds since the first move started, moves transferring then)] from GET /migrations records, at every start and end;
    host: only the moves from or to that host (short name)."""
    chosen = [record for record in records if record.get('started') and (host is None or host in (record['source'], record['destination']))]
    edges = sorted([(record['started'], 1) for record in chosen] + [(record['finished'], -1) for record in chosen if record['finished']])
    series, current = [], 0
    first = edges[0][0] if edges else 0.0
    for moment, step in edges:
        current += step
        series.append((moment - first, current))
    return series


def peak_in_flight(records: list, host: str | None = None) -> int:
    """The most moves that transferred at once (on host, or anywhere)."""
    return max((count for _moment, count in in_flight_series(records, host)), default=0)

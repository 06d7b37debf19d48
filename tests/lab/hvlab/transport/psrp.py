"""PowerShell remoting shells: the server side of a runspace pool and its pipelines, on psrpcore.

All PSRP framing (fragments, messages, state changes, CLIXML) is psrpcore's; this module only feeds it the
bytes of WSMan Create/Command/Send, turns a created pipeline into engine Commands, runs them on the SimHost
and keeps what psrpcore wants to send until the client's Receive collects it.
"""

import base64
import typing
import uuid

from psrpcore import (
    CreatePipelineEvent, GetAvailableRunspacesEvent, GetCommandMetadataEvent, PSRPPayload, ResetRunspaceStateEvent,
    ServerPipeline, ServerRunspacePool, SetMaxRunspacesEvent, SetMinRunspacesEvent, StreamType,
)
from psrpcore.types import ErrorCategory, ErrorCategoryInfo, InvocationInfo, NETException, PSInvocationState, PSObject

from hvlab.transport import values

# Receive answers carry at most this many bytes of PSRP data (well under the 500 KiB MaxEnvelopeSizekb).
RECEIVE_CHUNK = 128 * 1024


class ErrorCommandInfo(PSObject):
    """The MyCommand of an error's InvocationInfo: a cmdlet (CommandTypes.Cmdlet = 8)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.Name = name
        self.CommandType = 8
        self.Definition = name


def engine_statements(pipeline_metadata: typing.Any) -> typing.List[list]:
    """psrpcore's PowerShell metadata -> list of statements, each a list of engine Commands."""
    from hvlab.engine import Command  # pylint: disable=import-outside-toplevel  # the engine is optional at import time

    statements: typing.List[list] = [[]]
    for ps_command in pipeline_metadata.commands:
        parameters = [(name, values.from_psrp(value)) for name, value in ps_command.parameters]
        statements[-1].append(Command(str(ps_command.command_text), parameters))
        if ps_command.end_of_statement:
            statements.append([])
    return [statement for statement in statements if statement]


def _error_category(name: str) -> ErrorCategory:
    try:
        return ErrorCategory[name]
    except KeyError:
        return ErrorCategory.NotSpecified


def write_execution(pipeline: ServerPipeline, execution: typing.Any) -> None:
    """Write an engine Execution's output, errors and warnings on a running pipeline."""
    for item in execution.output:
        pipeline.write_output(values.remoting_object(item))
    for error in execution.errors:
        exception = NETException(Message=error.message)
        exception_type = error.exception_type or 'System.Exception'
        exception.PSObject.type_names = [exception_type] + [name for name in exception.PSTypeNames if name != exception_type]
        target = error.target
        invocation = InvocationInfo(
            InvocationName=error.command, MyCommand=ErrorCommandInfo(error.command) if error.command else None,
            PipelineLength=1, PipelinePosition=1, HistoryId=1, Line='', PositionMessage='', ScriptName='', ScriptLineNumber=0,
            OffsetInLine=0, ExpectingInput=False, CommandOrigin=None,
        )
        pipeline.write_error(
            exception,
            category_info=ErrorCategoryInfo(Category=_error_category(error.category), Activity=error.command or '',
                                            Reason=exception_type.rsplit('.', 1)[-1], TargetName=target or '',
                                            TargetType='String' if target is not None else ''),
            target_object=target,
            fully_qualified_error_id=error.fully_qualified_error_id,
            invocation_info=invocation,
        )
    for warning in execution.warnings:
        pipeline.write_warning(warning)


def _whole_fragments(buffer: bytearray, limit: int) -> int:
    """How many bytes of buffer to send in one Receive: whole PSRP fragments (MS-PSRP 2.2.4: object id, fragment id, flags,
    then the blob's length, big-endian, and the blob), at most limit unless one fragment alone is larger. A client parses the
    fragments of each stream element on their own (pypsrp's defragment), so a fragment cut in two breaks it."""
    end = 0
    while end + 21 <= len(buffer):
        size = 21 + int.from_bytes(buffer[end + 17:end + 21], 'big')
        if end and end + size > limit:
            break
        end += size
    return end or len(buffer)


class PsrpShell:
    """One runspace pool (a WSMan shell with the Microsoft.PowerShell resource URI)."""

    resource_uri = 'http://schemas.microsoft.com/powershell/Microsoft.PowerShell'
    input_streams = 'stdin pr'
    output_streams = 'stdout'

    def __init__(self, shell_id: str, run_statements: typing.Callable[[list], typing.Any],
                 run_command: typing.Callable[[typing.Callable[[], typing.Any]], typing.Any]) -> None:
        """run_statements(statements) -> Execution runs on the host; run_command(fn) is the host's fault gate."""
        self.shell_id = shell_id
        self._run_statements = run_statements
        self._run_command = run_command
        self._pool = ServerRunspacePool()
        # PSRP data waiting for a Receive, per target (None = the pool, else the pipeline id).
        self._outbox: typing.Dict[typing.Optional[uuid.UUID], bytearray] = {}

    # --- WSMan operations -----------------------------------------------------------------------------------------
    def open(self, creation_xml_b64: str) -> None:
        self._feed(base64.b64decode(creation_xml_b64), None)

    def command(self, command_id: str, arguments: typing.List[str]) -> str:
        pipeline_id = uuid.UUID(command_id) if command_id else uuid.uuid4()
        ServerPipeline(self._pool, pipeline_id)
        self._feed(b''.join(base64.b64decode(arg) for arg in arguments), pipeline_id)
        return str(pipeline_id).upper()

    def send(self, command_id: typing.Optional[str], data: bytes) -> None:
        self._feed(data, uuid.UUID(command_id) if command_id else None)

    def receive(self, command_id: typing.Optional[str]) -> typing.Tuple[typing.List[bytes], typing.Optional[bool]]:
        """(chunks of PSRP data, done) for the pool or a pipeline; done is None for the pool."""
        target = uuid.UUID(command_id) if command_id else None
        buffer = self._outbox.get(target, bytearray())
        cut = _whole_fragments(buffer, RECEIVE_CHUNK)
        chunk, rest = bytes(buffer[:cut]), buffer[cut:]
        self._outbox[target] = rest
        if target is None:
            return ([chunk] if chunk else []), None
        pipeline = self._pool.pipeline_table.get(target)
        finished = pipeline is None or pipeline.state in (PSInvocationState.Completed, PSInvocationState.Failed,
                                                          PSInvocationState.Stopped)
        return ([chunk] if chunk else []), finished and not rest

    def has_data(self, command_id: typing.Optional[str]) -> bool:
        target = uuid.UUID(command_id) if command_id else None
        if self._outbox.get(target):
            return True
        pipeline = self._pool.pipeline_table.get(target) if target else None
        return pipeline is not None and pipeline.state != PSInvocationState.Running

    def signal(self, command_id: str, code: str) -> None:
        pipeline = self._pool.pipeline_table.get(uuid.UUID(command_id)) if command_id else None
        if pipeline is None:
            return
        if pipeline.state == PSInvocationState.Running:
            pipeline.stop()
            self._drain()
        if code.endswith('/terminate') or code.endswith('terminate'):
            pipeline.close()
            self._outbox.pop(pipeline.pipeline_id, None)

    def close(self) -> None:
        for pipeline in list(self._pool.pipeline_table.values()):
            if pipeline.state == PSInvocationState.Running:
                pipeline.stop()
            pipeline.close()
        self._outbox.clear()

    # --- PSRP processing ------------------------------------------------------------------------------------------
    def _feed(self, data: bytes, pipeline_id: typing.Optional[uuid.UUID]) -> None:
        self._pool.receive_data(PSRPPayload(data, StreamType.default, pipeline_id))
        while True:
            event = self._pool.next_event()
            if event is None:
                break
            self._handle(event)
        self._drain()

    def _handle(self, event: typing.Any) -> None:
        if isinstance(event, CreatePipelineEvent):
            pipeline = self._pool.pipeline_table[event.pipeline_id]
            self._run_command(lambda: self._invoke(pipeline))
        elif isinstance(event, GetCommandMetadataEvent):
            pipeline = self._pool.pipeline_table[event.pipeline_id]
            pipeline.start()
            pipeline.complete()
        elif isinstance(event, GetAvailableRunspacesEvent):
            self._pool.runspace_availability_response(event.ci, max(self._pool.max_runspaces, 1))
        elif isinstance(event, (SetMaxRunspacesEvent, SetMinRunspacesEvent, ResetRunspaceStateEvent)):
            self._pool.runspace_availability_response(event.ci, True)
        # Session capability, init, key exchange: psrpcore has already queued the answers.

    def _invoke(self, pipeline: ServerPipeline) -> None:
        pipeline.start()
        execution = self._run_statements(engine_statements(pipeline.metadata))
        write_execution(pipeline, execution)
        pipeline.complete()
        # Queue the answer now so that a connection dropped after the run still leaves it for a later Receive.
        self._drain()

    def _drain(self) -> None:
        while True:
            payload = self._pool.data_to_send()
            if payload is None:
                return
            self._outbox.setdefault(payload.pipeline_id, bytearray()).extend(payload.data)

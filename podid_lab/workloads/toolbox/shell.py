"""busybox `sh` as far as troubleshooting needs it: `-c`, `;`, `&&`, `||`, `$VAR`, quotes."""

from __future__ import annotations

import posixpath
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from . import COMMANDS
from .context import PodContext

UNSUPPORTED = (
    "sh: {what} is not supported by the podid lab's toolbox shell, which runs commands "
    "joined by ; && || with $VAR and quotes\n"
)


@dataclass
class Session:
    """One shell (or one command) running in the pod: its variables, streams and last status."""

    pod: PodContext
    stdout: BinaryIO
    stderr: BinaryIO
    stdin: BinaryIO
    variables: dict[str, str] = field(default_factory=dict)
    status: int = 0

    def out(self, text: str | bytes) -> None:
        """Write to standard output."""
        self.stdout.write(text.encode() if isinstance(text, str) else text)
        self.stdout.flush()

    def err(self, text: str) -> None:
        """Write to standard error."""
        self.stderr.write(text.encode())
        self.stderr.flush()


Command = Callable[[Session, list[str]], int]


class ShellSyntaxError(Exception):
    """A script the toolbox shell cannot run (said in the message)."""


# -- words and operators --------------------------------------------------------------------------

# A word is a list of segments: (text, expand) where expand means "$NAME" references apply.
Word = list[tuple[str, bool]]
Token = tuple[str, Word]  # ("word", segments) or ("op", [(operator, False)])


def tokenize(script: str) -> list[Token]:
    """Split a script into words and the operators `;`, `&&`, `||` (newlines count as `;`)."""
    tokens: list[Token] = []
    word: Word = []
    in_word = False
    i = 0

    def finish() -> None:
        nonlocal word, in_word
        if in_word:
            tokens.append(("word", word))
        word, in_word = [], False

    while i < len(script):
        ch = script[i]
        if ch == "'":
            end = script.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("sh: syntax error: unterminated quoted string\n")
            word.append((script[i + 1 : end], False))
            in_word, i = True, end + 1
        elif ch == '"':
            i, text = _double_quoted(script, i + 1)
            word.append((text, True))
            in_word = True
        elif ch == "\\" and i + 1 < len(script):
            word.append((script[i + 1], False))
            in_word, i = True, i + 2
        elif ch in " \t":
            finish()
            i += 1
        elif ch == "#" and not in_word:
            end = script.find("\n", i)
            i = len(script) if end < 0 else end
        elif ch in ";\n" or script.startswith(("&&", "||"), i):
            finish()
            op = ";" if ch in ";\n" else script[i : i + 2]
            tokens.append(("op", [(op, False)]))
            i += 1 if op == ";" else 2
        elif ch in "|&<>`" or script.startswith("$(", i):
            what = {"|": "a pipe (|)", "&": "a background job (&)", "`": "command substitution"}
            raise ShellSyntaxError(
                UNSUPPORTED.format(
                    what=what.get(ch, "command substitution" if ch == "$" else "a redirection")
                )
            )
        else:
            start = i
            while (
                i < len(script)
                and script[i] not in " \t;\n'\"\\|&<>`#"
                and not (script.startswith("$(", i))
            ):
                i += 1
            word.append((script[start:i], True))
            in_word = True
    finish()
    return tokens


def _double_quoted(script: str, i: int) -> tuple[int, str]:
    out = []
    while i < len(script) and script[i] != '"':
        if script[i] == "\\" and i + 1 < len(script) and script[i + 1] in '"\\$`':
            out.append("\\" + script[i + 1] if script[i + 1] == "$" else script[i + 1])
            i += 2
            continue
        if script[i] == "`" or script.startswith("$(", i):
            raise ShellSyntaxError(UNSUPPORTED.format(what="command substitution"))
        out.append(script[i])
        i += 1
    if i >= len(script):
        raise ShellSyntaxError("sh: syntax error: unterminated quoted string\n")
    return i + 1, "".join(out)


def expand(word: Word, session: Session) -> str:
    """A word's text with `$NAME`, `${NAME}` and `$?` replaced (unset names are empty)."""
    parts = []
    for text, live in word:
        if not live:
            parts.append(text)
            continue
        i = 0
        while i < len(text):
            if text[i] == "\\" and text.startswith("\\$", i):
                parts.append("$")
                i += 2
            elif text[i] == "$" and i + 1 < len(text):
                i, value = _variable(text, i + 1, session)
                parts.append(value)
            else:
                parts.append(text[i])
                i += 1
    return "".join(parts)


def _variable(text: str, i: int, session: Session) -> tuple[int, str]:
    if text[i] == "?":
        return i + 1, str(session.status)
    if text[i] == "{":
        end = text.find("}", i)
        if end < 0:
            raise ShellSyntaxError("sh: syntax error: bad substitution\n")
        return end + 1, session.variables.get(text[i + 1 : end], "")
    end = i
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    if end == i:
        return i, "$"
    return end, session.variables.get(text[i:end], "")


# -- running --------------------------------------------------------------------------------------


def run_script(session: Session, script: str) -> int:
    """Run a script (as `sh -c` does); the status is the last command's."""
    try:
        tokens = tokenize(script)
    except ShellSyntaxError as exc:
        session.err(str(exc))
        session.status = 2
        return 2
    skip = False
    words: list[Word] = []
    for kind, value in [*tokens, ("op", [(";", False)])]:
        if kind == "word":
            words.append(value)
            continue
        op = value[0][0]
        if words and not skip:
            session.status = run_words(session, words)
        words = []
        skip = (op == "&&" and session.status != 0) or (op == "||" and session.status == 0)
    return session.status


def run_words(session: Session, words: list[Word]) -> int:
    """Run one simple command: assignments, then the command and its arguments."""
    argv = [expand(w, session) for w in words]
    assignments: dict[str, str] = {}
    while argv and _is_assignment(argv[0]):
        name, _, value = argv.pop(0).partition("=")
        assignments[name] = value
    if not argv:
        session.variables.update(assignments)
        return 0
    if argv[0] == "exit":
        raise SystemExit(int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else session.status)
    if argv[0] == "export":
        for item in argv[1:]:
            name, _, value = item.partition("=")
            session.variables[name] = value if "=" in item else session.variables.get(name, "")
        return 0
    saved = dict(session.variables)
    session.variables.update(assignments)
    try:
        return run_argv(session, argv, shell=True)
    finally:
        if assignments:
            session.variables = saved


def _is_assignment(word: str) -> bool:
    name, sep, _ = word.partition("=")
    return bool(sep) and name.isidentifier()


def find_command(session: Session, name: str) -> Command | None:
    """The command a name (or a path on $PATH) runs in this image, if it has it."""
    from .commands import COMMAND_TABLE  # here: the commands module imports this one (sh)

    base = posixpath.basename(name)
    folder = posixpath.dirname(name)
    on_path = session.variables.get("PATH", "").split(":")
    if folder and folder not in on_path:
        return None
    if base not in COMMANDS[session.pod.flavor]:
        return None
    return COMMAND_TABLE.get(base)


def run_argv(session: Session, argv: list[str], *, shell: bool) -> int:
    """Run a command by name; unknown names are "not found" (127) as sh reports them."""
    command = find_command(session, argv[0])
    if command is None:
        if shell:
            session.err(f"sh: {argv[0]}: not found\n")
            return 127
        # A container whose command the image lacks. A real runtime fails the start (exit code
        # 128, reason StartError) and puts this in the container's status; here it is the log.
        session.err(f'exec: "{argv[0]}": executable file not found in $PATH\n')
        return 128
    return command(session, argv[1:])


def sh(session: Session, args: list[str]) -> int:
    """`sh [-c SCRIPT]`: run a script, or read commands from stdin (a prompt on a TTY)."""
    if args[:1] == ["-c"]:
        if len(args) < 2:
            session.err("sh: -c requires an argument\n")
            return 2
        return run_script(session, args[1])
    if args and args[0].startswith("-") and args[0] not in ("-i", "-"):
        session.err(f"sh: unsupported option {args[0]}: the toolbox shell takes -c or -i\n")
        return 2
    if args and not args[0].startswith("-"):
        session.err(f"sh: can't open '{args[0]}': No such file or directory\n")
        return 2
    return interactive(session)


def interactive(session: Session) -> int:
    """Read and run lines until end of input or `exit`; Ctrl-C abandons the current line."""
    tty = session.stdin.isatty()
    if tty:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    prompt = "~ $ " if session.pod.flavor == "curl" else "/ # "
    while True:
        if tty:
            session.out(prompt)
        try:
            line = session.stdin.readline()
        except KeyboardInterrupt:
            session.out("\n")
            continue
        if not line:
            return session.status
        try:
            run_script(session, line.decode("utf-8", "replace"))
        except KeyboardInterrupt:
            session.out("\n")
            session.status = 130


def stdio_session(pod: PodContext) -> Session:
    """A session on this process's standard streams, with the container's environment."""
    return Session(
        pod=pod,
        stdout=sys.stdout.buffer,
        stderr=sys.stderr.buffer,
        stdin=sys.stdin.buffer,
        variables=dict(pod.env),
    )

"""Parse one env fragment the way bash reads it under `set -a; source FILE`.

Accepted: `KEY=VALUE` (several on a line, optionally after `export`), `source PATH` / `. PATH`,
`# comments`, blank lines. Values follow bash: 'single quotes' (literal, may span lines),
"double quotes" (`\\` escapes only `$ \\ " `` and a newline; may span lines), a backslash
escaping one character, a backslash-newline joining lines, `$NAME`, `${NAME}` and
`${NAME<op>word}` for op in `:- - :+ + :? ?`, and a `$` that bash keeps literally (`PRICE=5$`).

Refused with file:line:column and the construct named, because bash would do something else
than assign a string: `$(...)`, backticks, `$[...]`, `$'...'`, `$"..."`, special parameters
(`$1 $$ $@ ...`), names bash sets itself (`_ RANDOM UID ...`), an unquoted `~` where bash
expands it to a home directory, unquoted `; & | < > ( )`, a word after a value (bash would run
it as a command), `${NAME:=word}` and other expansions, `+=`, NUL bytes.

Two deliberate deviations, both documented in the README: a CR before a newline (Windows line
endings) is dropped and a UTF-8 byte order mark at the start is ignored.

Error messages never quote text from the fragment (it may be a secret): they give the place,
the construct, and what to write instead.
"""
from __future__ import annotations

import bisect
import re

from symphony.core.envcompiler.model import Definition, EnvError, Lit, Ref
from symphony.core.secrets import is_secret_name, is_secrets_fragment

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_REST = re.compile(r"[A-Za-z0-9_]+")
# The commonest lines, each taken in one regex step (the general path reads them the same; tests
# check both against bash): a blank line or a comment (no group); KEY= (group 1) then a plain value
# (group 2) or a value of plain text and ${NAME} references, unquoted or wholly in double quotes,
# as in `URL="${HOST}:${PORT}"` (group 3), then blanks and a comment; `source PATH` of a plain path
# (group 4). Possessive runs: a line that does not match fails in linear time, with no backtracking.
_REF = r"\$\{[A-Za-z_][A-Za-z0-9_]*\}"
_PLAIN = r"[^ \t\n'\"\\$`~;&|<>()\x00#]"
_LINE_END = r"(?:[ \t]+(?:#[^\n]*)?)?(?=\n|\Z)"
_FAST_LINE = re.compile(
    r"[ \t]*(?:#[^\n]*)?(?=\n|\Z)"
    r"|(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)="
    r"(?:(" + _PLAIN + r"*+)" + _LINE_END
    + r"|(\"(?:[^\"\\$`\n\x00]++|" + _REF + r")*+\"|(?:" + _PLAIN + r"++|" + _REF + r")*+)" + _LINE_END + ")"
    r"|(?:source|\.)[ \t]+([^ \t\n'\"\\$`~;&|<>()\x00#{}=*?\[\]]++)" + _LINE_END)
_REF_SPLIT = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
BLANKS = " \t"
METACHARS = ";&|<>()"
SPECIAL_PARAMS = "@*#?!-$0123456789"
MAX_NESTING = 64
_OPS = (":-", ":+", ":?", ":=", "-", "+", "?", "=")
# Names bash sets or reads itself: a value assigned to them does not read back as written, is
# refused (readonly), or changes how bash parses the rest (POSIXLY_CORRECT, BASH_COMPAT).
BASH_SPECIAL_NAMES = frozenset({
    "_", "BASHOPTS", "BASHPID", "BASH_ALIASES", "BASH_ARGC", "BASH_ARGV", "BASH_ARGV0", "BASH_CMDS",
    "BASH_COMMAND", "BASH_COMPAT", "BASH_EXECUTION_STRING", "BASH_LINENO", "BASH_REMATCH", "BASH_SOURCE",
    "BASH_SUBSHELL", "BASH_VERSINFO", "BASH_VERSION", "BASH_XTRACEFD", "COMP_WORDBREAKS", "DIRSTACK",
    "EPOCHREALTIME", "EPOCHSECONDS", "EUID", "FUNCNAME", "GROUPS", "HISTCMD", "LINENO", "OPTIND",
    "PIPESTATUS", "POSIXLY_CORRECT", "PPID", "RANDOM", "SECONDS", "SHELLOPTS", "SHLVL", "SRANDOM", "UID",
})
# Runs of characters that mean only themselves in each context: consumed in one step, so a
# multi-megabyte value costs one regex match instead of a Python loop per character.
_PLAIN_WORD = re.compile(r"[^ \t\n'\"\\$`~:;&|<>()\x00}]+")
_PLAIN_DQ = re.compile(r'[^"\\$`]+')
_PLAIN_DQ_BRACE = re.compile(r"[^}\\'\"$`<>]+")
_NO_QUOTE_HINT = "write the value in single quotes, or escape the character with a backslash"
_PROCESS_SUBSTITUTION = "<(…) or >(…) inside ${…} is a process substitution in bash: it would run a command"
# The one-step reader makes ~40,000 records for 1,000 services: tuple.__new__ builds the same
# named tuple as calling the class, without the Python frame of its generated __new__.
_record = tuple.__new__


class _Stop(Exception):
    """Parsing this fragment cannot go on (e.g. a quote open to the end of the file)."""


class _Parser:
    def __init__(self, text: str, relpath: str):
        self.t = text
        self.n = len(text)
        self.rel = relpath
        self._starts: list[int] | None = None  # line starts, found when a place is first asked for
        self.depth = 0
        self.secret_value = False  # parsing a secret's value: errors name no text of it

    # -- places and errors ----------------------------------------------------------------
    def place(self, i: int) -> tuple[int, int]:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.t)]
        line = bisect.bisect_right(self._starts, i)
        return line, i - self._starts[line - 1] + 1

    def err(self, i: int, message: str, hint: str, *, fatal: bool = False) -> EnvError:
        line, col = self.place(i)
        exc = EnvError(f"{self.rel}:{line}:{col}: {message}", hint=hint)
        exc.fatal = fatal
        return exc

    # -- low-level helpers ----------------------------------------------------------------
    def nm(self, name: str) -> str:
        """A name read from a value, for a message: hidden when the value is a secret's."""
        return "…" if self.secret_value else name

    def cont(self, i: int) -> int:
        """Skip backslash-newline pairs (bash removes them before anything else, outside '')."""
        while self.t.startswith("\\\n", i):
            i += 2
        return i

    def at(self, i: int) -> str:
        return self.t[i] if i < self.n else ""

    def name_at(self, i: int) -> tuple[str, int]:
        """A name starting at i, continuation lines allowed inside it; ("", i) if none."""
        m = _NAME.match(self.t, i)
        if not m:
            return "", i
        out, j = [m.group()], m.end()
        while self.t.startswith("\\\n", j):  # rare: a name broken by backslash-newline
            more = _NAME_REST.match(self.t, self.cont(j))
            if not more:
                break
            out.append(more.group())
            j = more.end()
        return "".join(out), j

    def skip_blanks(self, i: int) -> int:
        while True:
            i = self.cont(i)
            ch = self.at(i)
            if ch == "" or ch not in BLANKS:  # ("" is in every string)
                return i
            i += 1

    # -- statements -------------------------------------------------------------------------
    def parse(self, problems: list | None) -> list:
        entries: list = []
        append = entries.append
        i, line = 0, 1  # line: the number of the line at i (a fast line is exactly one line)
        t, n, rel = self.t, self.n, self.rel
        fast_line, special, ref_parts, record = _FAST_LINE.match, BASH_SPECIAL_NAMES, _ref_parts, _record
        while i < n:
            m = fast_line(t, i)
            if m is not None:
                kind, taken = m.lastindex, True  # kind None: a blank line or a comment
                if kind == 4:
                    append(("source", m.group(4), line))
                elif kind is not None:  # KEY=plain (2) or KEY=text-and-${NAME}s (3)
                    key, raw = m.group(1, kind)
                    # a name bash sets itself, or a reference to one (parts None): the general path says why
                    parts = ref_parts(raw) if kind == 3 else (record(Lit, (raw,)),) if raw else ()
                    taken = parts is not None and key not in special
                    if taken:
                        append(record(Definition, (key, parts, rel, line, raw)))
                if taken:
                    i = m.end() + 1
                    line += 1
                    continue
            try:
                i = self.statement(i, entries)
            except EnvError as exc:
                if problems is None:
                    raise
                problems.append(exc)
                if exc.fatal:
                    break
                i = self.end_of_command(i)
            line = self.place(i)[0]
        return entries

    def end_of_command(self, i: int) -> int:
        """Where the command bash reads from i ends: after the first newline outside quotes, a
        backslash or a comment. Reading resumes there after an error, so the lines of a quoted
        value (a PEM key after a stray blank) are not read, and reported, as lines of their own."""
        t, n = self.t, self.n
        word_start = True
        while i < n:
            ch = t[i]
            if ch == "\\":
                i += 2
            elif ch == "'":
                i = t.find("'", i + 1) + 1 or n
            elif ch == '"':
                i += 1
                while i < n and t[i] != '"':
                    i += 2 if t[i] == "\\" else 1
                i += 1
            elif ch == "\n":
                return i + 1
            elif ch == "#" and word_start:
                return t.find("\n", i) + 1 or n
            else:
                i += 1
            word_start = ch in " \t;&|()"
        return n

    def statement(self, i: int, entries: list) -> int:
        i = self.skip_blanks(i)
        ch = self.at(i)
        if ch in ("", "\n", "#"):  # only continuation lines before: parse() reads the rest as a blank line
            return i
        start = i
        name, j = self.name_at(i)
        after = self.cont(j)
        if name and self.at(after) == "=":
            return self.assignments(start, entries)
        if name == "export" and self.at(after) in ("", " ", "\t", "\n"):
            k = self.skip_blanks(after)
            word, m = self.name_at(k)
            if self.at(k) in ("", "\n", "#") or (word and self.at(self.cont(m)) in ("", "\n", " ", "\t")):
                raise self.err(start, "`export` without an assignment", "write `export KEY=VALUE`")
            return self.assignments(k, entries)
        if name == "source" or (not name and ch == "."):
            word_end = after if name else i + 1
            if self.at(word_end) in ("", " ", "\t", "\n"):
                return self.source(self.skip_blanks(word_end), start, entries)
        raise self.bad_word(start, name, after)

    def bad_word(self, start: int, name: str, after: int) -> EnvError:
        if name and self.t.startswith("+=", after):
            return self.err(after, f"`{name}+=` (append) is not supported", "write the whole value: KEY=VALUE")
        if name and self.at(after) == "[":
            return self.err(after, f"`{name}[…]` (an array element) is not supported", "use a plain KEY=VALUE")
        # a word with '=' in it: a bad name before the '='
        k = after
        while self.at(k) not in ("", "\n", "=") and self.at(k) not in BLANKS:
            k += 1
        if self.at(k) == "=":
            return self.err(start, "bad variable name before '='",
                            "names are ASCII letters, digits and _, and do not start with a digit")
        return self.err(start, "cannot parse this line",
                        "expected KEY=VALUE, `export KEY=VALUE`, `source PATH` or a # comment")

    def assignments(self, i: int, entries: list) -> int:
        while True:
            name, j = self.name_at(i)
            j = self.cont(j)
            if not name or self.at(j) != "=":
                raise self.bad_word(i, name, j)
            if name in BASH_SPECIAL_NAMES:
                raise self.err(i, f"{name} is a variable bash sets itself; it would not read back as written",
                               "rename the variable")
            line, _ = self.place(i)
            value_start = j + 1
            self.secret_value = is_secrets_fragment(self.rel) or is_secret_name(name)
            try:
                parts, end = self.word(value_start)
            finally:
                self.secret_value = False
            raw = self.t[value_start:end]
            entries.append(Definition(name, tuple(_merge(parts)), self.rel, line, raw))
            k = self.skip_blanks(end)
            if self.at(k) in ("", "\n", "#"):  # the end of the line, or a comment: parse() reads it
                return k
            nxt, m = self.name_at(k)
            if nxt and self.at(self.cont(m)) == "=":
                i = k
                continue
            raise self.err(k, "unquoted blank inside a value: bash would run the rest of the line as a command",
                           "quote the value: KEY=\"a b\" or KEY='a b'")

    def source(self, i: int, start: int, entries: list) -> int:
        if self.at(i) in ("", "\n", "#"):
            raise self.err(start, "`source` without a path", "write `source common/base.env`")
        parts, end = self.word(i)
        if any(not isinstance(p, Lit) for p in parts):
            raise self.err(i, "a sourced path must be written literally (no $)",
                           "write the path relative to environments/")
        path = "".join(p.text for p in parts)
        k = self.skip_blanks(end)
        if self.at(k) not in ("", "\n", "#"):
            raise self.err(k, "`source` takes exactly one path", "one `source PATH` per line")
        line, _ = self.place(start)
        entries.append(("source", path, line))
        return k  # the end of the line, or a comment: parse() reads it

    # -- words --------------------------------------------------------------------------------
    def word(self, i: int, *, brace: bool = False, opened: int = 0) -> tuple[list, int]:
        """An unquoted word: a value (brace=False, ends at a blank or newline) or the word of
        `${NAME op word}` (brace=True, ends at `}`). Returns (parts, index after)."""
        parts: list = []
        buf: list[str] = []
        tilde_expands = True  # bash expands an unquoted ~ at the start of the word and after each ':'

        def flush():
            if buf:
                parts.append(Lit("".join(buf)))
                buf.clear()

        while True:
            i = self.cont(i)
            ch = self.at(i)
            if ch == "":
                if brace:
                    raise self.err(opened, "unterminated ${", "close the reference with }", fatal=True)
                break
            if brace and ch == "}":
                flush()
                return parts, i + 1
            if not brace and (ch in BLANKS or ch == "\n"):
                break
            at_tilde_place, tilde_expands = tilde_expands, False
            run = _PLAIN_WORD.match(self.t, i)
            if run:
                buf.append(run.group())
                i = run.end()
                continue
            if ch == "\\":
                if i + 1 >= self.n:
                    buf.append("\\")  # a backslash at the very end of the file is literal
                    i = self.n
                else:
                    buf.append(self.t[i + 1])
                    i += 2
            elif ch == "'":
                end = self.t.find("'", i + 1)
                if end == -1:
                    raise self.err(i, "unterminated single quote", "close the quote", fatal=True)
                buf.append(self.t[i + 1:end])
                i = end + 1
            elif ch == '"':
                flush()
                dq_parts, i = self.double_quoted(i + 1, i)
                parts.extend(dq_parts)
            elif ch == "`":
                raise self.err(i, "backticks would run a command; Symphony never executes config",
                               "write the value itself (in single quotes for a literal backtick)")
            elif ch == "$":
                i = self.dollar(i, "unquoted", parts, buf, flush)
            elif ch == "~" and at_tilde_place:
                raise self.err(i, "an unquoted ~ here is replaced by a home directory in bash",
                               "quote it ('~') or write the path itself")
            elif not brace and ch in METACHARS:
                raise self.err(i, f"an unquoted {ch!r} is shell syntax in bash, not part of a value", _NO_QUOTE_HINT)
            elif brace and self.process_substitution(i):
                raise self.err(i, _PROCESS_SUBSTITUTION, _NO_QUOTE_HINT)
            else:
                buf.append(ch)
                tilde_expands = ch == ":"
                i += 1
        flush()
        return parts, i

    def double_quoted(self, i: int, opened: int) -> tuple[list, int]:
        parts: list = []
        buf: list[str] = []

        def flush():
            if buf:
                parts.append(Lit("".join(buf)))
                buf.clear()

        while True:
            ch = self.at(i)
            if ch == "":
                raise self.err(opened, "unterminated double quote", "close the quote", fatal=True)
            run = _PLAIN_DQ.match(self.t, i)
            if run:
                buf.append(run.group())
                i = run.end()
                continue
            if ch == '"':
                flush()
                if not parts:
                    parts.append(Lit(""))
                return parts, i + 1
            if ch == "\\":
                nxt = self.at(i + 1)
                if nxt == "\n":
                    i += 2
                elif nxt in ('$', '`', '"', "\\"):
                    buf.append(nxt)
                    i += 2
                else:
                    buf.append("\\")
                    i += 1
            elif ch == "`":
                raise self.err(i, "backticks would run a command; Symphony never executes config",
                               "escape it as \\` or use single quotes")
            elif ch == "$":
                i = self.dollar(i, "dq", parts, buf, flush)

    def dq_brace_word(self, i: int, opened: int) -> tuple[list, int]:
        """The word of `${NAME op word}` inside double quotes: bash keeps single quotes there."""
        parts: list = []
        buf: list[str] = []

        def flush():
            if buf:
                parts.append(Lit("".join(buf)))
                buf.clear()

        while True:
            ch = self.at(i)
            if ch == "":
                raise self.err(opened, "unterminated ${", "close the reference with }", fatal=True)
            run = _PLAIN_DQ_BRACE.match(self.t, i)
            if run:
                buf.append(run.group())
                i = run.end()
                continue
            if ch == "}":
                flush()
                return parts, i + 1
            if ch == "\\":
                nxt = self.at(i + 1)
                if nxt == "\n":
                    i += 2
                elif nxt in ('$', '`', '"', "\\", "}"):
                    buf.append(nxt)
                    i += 2
                else:  # bash keeps both: "${U:-a\\'b}" is a\\'b (that quote opens nothing)
                    buf.append("\\" + nxt)
                    i += 2  # (past the end of the text is the end: the next round reports the open ${)
            elif ch == "'":
                end = self.t.find("'", i + 1)
                if end == -1:
                    raise self.err(i, "unterminated single quote inside \"${…}\"", "close the quote", fatal=True)
                inner = self.t[i + 1:end]
                if any(c in inner for c in "$`\\\"\n"):
                    raise self.err(i, "single quotes holding $, \\, \", ` or a newline inside \"${…}\" "
                                      "(bash keeps the quotes and still expands)",
                                   "move the default out of the double quotes: KEY=${NAME:-'…'}")
                buf.append(self.t[i:end + 1])  # bash keeps them: "${U:-'x y'}" is 'x y'
                i = end + 1
            elif ch == '"':
                flush()
                dq_parts, i = self.double_quoted(i + 1, i)
                parts.extend(dq_parts)
            elif ch == "`":
                raise self.err(i, "backticks would run a command; Symphony never executes config",
                               "escape it as \\` or use single quotes")
            elif ch == "$":
                i = self.dollar(i, "dq_brace", parts, buf, flush)
            elif self.process_substitution(i):  # bash parses it here too (and wants its `)`)
                raise self.err(i, _PROCESS_SUBSTITUTION, "move the default out of the double quotes, in single quotes")
            else:  # a < or > that starts nothing
                buf.append(ch)
                i += 1

    def process_substitution(self, i: int) -> bool:
        """`<(` or `>(` at i: inside `${…}` bash reads it as a process substitution, quoted or not."""
        return self.at(i) in ("<", ">") and self.at(self.cont(i + 1)) == "("

    def dollar(self, i: int, ctx: str, parts: list, buf: list, flush) -> int:
        """A `$` at i in context unquoted | dq | dq_brace; appends to parts/buf; returns next i."""
        j = self.cont(i + 1)
        nxt = self.at(j)
        if nxt == "{":
            ref, end = self.braced(self.cont(j + 1), i, ctx)
            flush()
            parts.append(ref)
            return end
        if nxt == "(":
            raise self.err(i, "$(...) would run a command; Symphony never executes config",
                           "write the value itself; for a literal $ write \\$ or use single quotes")
        if nxt == "[":
            raise self.err(i, "$[...] is arithmetic in bash", "write the result, or quote the $")
        if nxt in SPECIAL_PARAMS and nxt:
            raise self.err(i, f"${nxt} is a bash special parameter, not a variable",
                           "for a literal $ write \\$ or use single quotes")
        if nxt == "'" and ctx != "dq":
            raise self.err(i, "$'...' (ANSI-C quoting) is not supported", "write the characters themselves in quotes")
        if nxt == '"' and ctx != "dq":
            raise self.err(i, "$\"...\" (locale translation) is not supported", "drop the $ before the quote")
        name, end = self.name_at(j)
        if name:
            if name in BASH_SPECIAL_NAMES:
                raise self.err(i, f"${self.nm(name)} is set by bash itself",
                               "reference a variable of the config instead")
            flush()
            parts.append(Ref(name))
            return end
        buf.append("$")  # bash keeps a $ that starts nothing: "5$", "$%", "a$ b"
        return i + 1

    def braced(self, i: int, dollar: int, ctx: str) -> tuple[Ref, int]:
        if self.depth >= MAX_NESTING:
            raise self.err(dollar, f"${{…}} nested deeper than {MAX_NESTING} levels", "simplify the value", fatal=True)
        self.depth += 1
        try:
            return self._braced(i, dollar, ctx)
        finally:
            self.depth -= 1

    def _braced(self, i: int, dollar: int, ctx: str) -> tuple[Ref, int]:
        name, j = self.name_at(i)
        if not name:
            ch = self.at(i)
            if ch == "":
                raise self.err(dollar, "unterminated ${", "close the reference with }", fatal=True)
            what = {"#": "${#…} (length)", "!": "${!…} (indirection)"}.get(ch)
            if what is None:
                what = (f"${{{ch}…}} (a bash special parameter)" if ch in SPECIAL_PARAMS
                        else "${ without a variable name")
            raise self.err(dollar, f"{what} is not supported", "use ${NAME} with a valid variable name")
        if name in BASH_SPECIAL_NAMES:
            raise self.err(dollar, f"${{{self.nm(name)}}} is set by bash itself",
                           "reference a variable of the config instead")
        j = self.cont(j)
        ch = self.at(j)
        if ch == "":
            raise self.err(dollar, f"unterminated ${{{self.nm(name)}", "close the reference with }", fatal=True)
        if ch == "}":
            return Ref(name), j + 1
        if ch == "\n":
            raise self.err(dollar, f"unterminated ${{{self.nm(name)}", "close the reference with } on the same line")
        op = ch
        if ch == ":":  # `:\⏎-` is `:-`: bash joins the lines first
            j = self.cont(j + 1)
            op += self.at(j)
        op = op if op in _OPS else None
        if op in (":=", "="):
            raise self.err(dollar, f"${{{self.nm(name)}{op}…}} assigns in bash; not supported",
                           f"write ${{{self.nm(name)}:-…}} instead")
        if op is None:
            raise self.err(dollar, f"unsupported expansion ${{{self.nm(name)}…}}",
                           "supported: ${V} ${V:-d} ${V-d} ${V:+a} ${V+a} ${V:?msg} ${V?msg}")
        start = j + 1  # j is the operator's last character
        if ctx == "unquoted":
            word, end = self.word(start, brace=True, opened=dollar)
        else:
            word, end = self.dq_brace_word(start, dollar)
        return Ref(name, op, tuple(_merge(word))), end


def _ref_parts(raw: str) -> tuple | None:
    """The parts of a value the fast line reader took: plain text and ${NAME} references,
    unquoted or wholly in double quotes (an explicit "" is one empty literal, as parsed in full).
    None when it references a name bash sets itself (the full parser explains why that is refused)."""
    pieces = _REF_SPLIT.split(raw[1:-1] if raw.startswith('"') else raw)  # text, name, text, name, ...
    if len(pieces) == 1:
        return (_record(Lit, (pieces[0],)),)
    parts = []
    for index, piece in enumerate(pieces):
        if index % 2:
            if piece in BASH_SPECIAL_NAMES:
                return None
            parts.append(_record(Ref, (piece, None, ())))
        elif piece:
            parts.append(_record(Lit, (piece,)))
    return tuple(parts)


def parse_fragment(text: str, relpath: str, problems: list | None = None) -> list:
    """Entries of a fragment, in order: Definition, or ("source", path, line).

    A bad statement raises EnvError, or, given a `problems` list, is appended to it and
    skipped, so one run can report every bad line of every fragment."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n")
    parser = _Parser(text, relpath)
    nul = text.find("\x00")
    if nul >= 0:  # bash cannot hold a NUL byte in a variable; nothing after it reads as written
        exc = parser.err(nul, "NUL byte in the file", "save the fragment as text without NUL bytes")
        if problems is None:
            raise exc
        problems.append(exc)
        return []
    return parser.parse(problems)


def _merge(parts: list) -> list:
    merged: list = []
    for p in parts:
        if isinstance(p, Lit) and merged and isinstance(merged[-1], Lit):
            merged[-1] = Lit(merged[-1].text + p.text)
        else:
            merged.append(p)
    return merged

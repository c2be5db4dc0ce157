"""The one secret classification (env.*, masking, env.check, Kubernetes Secrets) and the masker.

A variable is secret when any of these holds (README "Secrets" documents the same rule):

1. it is defined in a secrets fragment (`secrets.env`, or a file named `*.secrets.env`,
   `*-secrets.env`, `*_secrets.env`), whatever its name;
2. its name has a secret word as one of its `_`-separated parts (case-insensitive):
   PASSWORD(S) PASSWD PASS PWD PASSPHRASE SECRET(S) TOKEN(S) KEY(S) APIKEY ACCESSKEY PRIVATE
   CREDENTIAL(S) CREDS PEPPER SALT — or a part that ends in PASSWORD, PASSWD, SECRET, TOKEN,
   APIKEY, PASSPHRASE or CREDENTIALS (DBPASSWORD, CLIENTSECRET, AUTHTOKEN) — unless its last part
   is PATH, PATHS, FILE, FILES, FILENAME, DIR or DIRECTORY: such a variable names where a secret
   lives (TLS_KEY_PATH, POSTGRES_PASSWORD_FILE), not the secret;
3. its value is a URL with a password in it (`scheme://user:password@…`);
4. its value was built from a secret (the compiler tracks this: `${DB_PASSWORD}` inside DB_URL).

Masking (`Masker`, used through symphony.infra.console.mask): every registered secret value of 6 characters
or more is masked wherever it occurs; shorter ones only where they stand as a whole token (not
next to a letter, digit or `_`), so a 2-character password does not turn every "ab" inside a
word into ******. Matching is one compiled regular expression over the distinct 6-character
prefixes (a trie), so the cost grows with the text, not with text x number of secrets. Whatever
was registered, a URL's password (`scheme://user:PASSWORD@`) and an http(s) URL's token
(`https://TOKEN@`) are masked in every text: a config repo's URL, a git message.
"""
from __future__ import annotations

import re

SECRET_WORDS = frozenset({
    "PASSWORD", "PASSWORDS", "PASSWD", "PASS", "PWD", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "TOKENS",
    "KEY", "KEYS", "APIKEY", "ACCESSKEY", "PRIVATE", "CREDENTIAL", "CREDENTIALS", "CREDS", "PEPPER", "SALT",
})
SECRET_WORD_ENDINGS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY", "PASSPHRASE", "CREDENTIALS")
LOCATION_WORDS = frozenset({"PATH", "PATHS", "FILE", "FILES", "FILENAME", "DIR", "DIRECTORY"})
SECRETS_FRAGMENT_NAMES = ("secrets.env",)
SECRETS_FRAGMENT_SUFFIXES = (".secrets.env", "-secrets.env", "_secrets.env")
MIN_ANYWHERE = 6  # secrets at least this long are masked anywhere; shorter ones as whole tokens


def is_secret_name(key: str) -> bool:
    upper = key.upper()
    if _ANY_SECRET_WORD.search(upper) is None:
        return False
    words = [w for w in upper.split("_") if w]
    if not words or words[-1] in LOCATION_WORDS:
        return False
    return any(w in SECRET_WORDS or w.endswith(SECRET_WORD_ENDINGS) for w in words)


def is_secrets_fragment(relpath: str) -> bool:
    name = relpath.replace("\\", "/").rsplit("/", 1)[-1]
    return name in SECRETS_FRAGMENT_NAMES or name.endswith(SECRETS_FRAGMENT_SUFFIXES)


# "://" then the userinfo up to '@'. Every repetition stops at '/', so attempts at different "://"
# cannot overlap: linear time (the old pattern that also searched for the scheme backtracked
# quadratically: a 100 KB value took 14 s).
_USERINFO = re.compile(r"://([^/\s@]*)@")
_SCHEME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-")
_TOKEN_SCHEMES = ("http", "https")  # `https://TOKEN@host`: how git and CI pass a token


def _url_credentials(text: str):
    """(start, end, is a password) of each credential in a URL in `text`: the password of
    `scheme://user:password@host` (a scheme: letters, digits, + . -, with a letter), and the whole
    userinfo of `http(s)://token@host`."""
    if "://" not in text:  # most texts: one substring search instead of a regex scan
        return
    for m in _USERINFO.finditer(text):
        i = m.start()
        while i > 0 and text[i - 1] in _SCHEME_CHARS:
            i -= 1
        scheme = text[i:m.start()]
        if not any(c.isalpha() for c in scheme):
            continue
        user, colon, password = m.group(1).partition(":")
        if password:
            yield m.start(1) + len(user) + 1, m.end(1), True
        elif user and not colon and scheme.lower().rsplit("+", 1)[-1] in _TOKEN_SCHEMES:
            yield m.start(1), m.end(1), False


def url_has_password(value: str) -> bool:
    """`scheme://user:password@host` anywhere in `value`, in time linear in len(value)."""
    return any(is_password for _, _, is_password in _url_credentials(value))


def url_credential_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` holds a URL's password or token: what every output masks, whatever was registered."""
    return [(start, end) for start, end, _ in _url_credentials(text)]


def is_secret(key: str, value: str | None = None) -> bool:
    """Secret by rules 2 and 3: the name marks a secret, or the value is a URL with credentials.
    The compiler adds rules 1 and 4."""
    return is_secret_name(key) or bool(value and url_has_password(value))


def secret_values(env: dict[str, str]) -> list[str]:
    """The values to mask in any output derived from `env` (rules 2 and 3)."""
    return [v for k, v in env.items() if v and is_secret(k, v)]


MASK = "******"


def shown_forms(value: str) -> set[str]:
    """The forms in which an output may carry `value`: itself; trimmed (a service that strips it);
    each line of a multi-line value that has MIN_ANYWHERE characters or more (a log prints it line by
    line, the engine joins lines with "; "; shorter lines, such as a JSON secret's `{`, would blank
    out common text); and escaped as a Python repr or JSON string shows it (a backslash doubled, a
    quote or newline escaped)."""
    import json

    forms = {value, value.strip()}
    if "\n" in value or "\r" in value:
        forms.update(line.strip() for line in value.splitlines() if len(line.strip()) >= MIN_ANYWHERE)
    forms.update((repr(value)[1:-1], json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]))
    return {f for f in forms if f.strip()}


def _trie_pattern(words) -> str:
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node) -> str:
        alts = [re.escape(ch) + emit(node[ch]) for ch in sorted(k for k in node if k)]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


# Every secret word and every secret ending is a substring of a name that has one: a name with
# none of them is not secret, which one search tells (most names in a config are not secrets)
# (as a trie: a search tries each letter once instead of each word, 35% faster per name)
_ANY_SECRET_WORD = re.compile(_trie_pattern(SECRET_WORDS | set(SECRET_WORD_ENDINGS)))


class Masker:
    """Replaces every registered secret in a text by MASK (see the module doc for the rule)."""

    def __init__(self):
        self._values: set[str] = set()
        self._compiled = None

    def add(self, values) -> None:
        before = len(self._values)
        # whitespace alone is no secret to hide, and masking it would blank out every gap
        self._values.update(form for v in values if isinstance(v, str) and v.strip() for form in shown_forms(v))
        if len(self._values) != before:
            self._compiled = None

    def __len__(self) -> int:
        return len(self._values)

    def _build(self):
        long_index: dict[str, dict[int, set[str]]] = {}
        short = set()
        for v in self._values:
            if len(v) >= MIN_ANYWHERE:
                long_index.setdefault(v[:MIN_ANYWHERE], {}).setdefault(len(v), set()).add(v)
            else:
                short.add(v)
        index = {p: sorted(by_len.items(), reverse=True) for p, by_len in long_index.items()}
        long_rx = re.compile(f"(?=({_trie_pattern(index)}))") if index else None
        # greedy optional tails in the trie: the longest whole token wins, shorter ones on backtracking
        short_rx = re.compile(rf"(?=(?<!\w)({_trie_pattern(short)})(?!\w))") if short else None
        return long_rx, index, short_rx

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every secret occurrence in `text`, overlapping ones included."""
        if self._compiled is None:
            self._compiled = self._build()
        long_rx, index, short_rx = self._compiled
        found = []
        if long_rx is not None:
            for m in long_rx.finditer(text):
                i = m.start()
                for size, values in index[m.group(1)]:
                    if text[i:i + size] in values:
                        found.append((i, i + size))
                        break
        if short_rx is not None:
            found.extend((m.start(), m.start() + len(m.group(1))) for m in short_rx.finditer(text))
        return found

    def mask(self, text: str) -> str:
        if not text:
            return text
        found = (self.spans(text) if self._values else []) + url_credential_spans(text)
        if not found:
            return text
        found.sort()
        merged: list[list[int]] = []
        for start, end in found:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        out, last = [], 0
        for start, end in merged:
            out.append(text[last:start])
            out.append(MASK)
            last = end
        out.append(text[last:])
        return "".join(out)
